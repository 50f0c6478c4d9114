"""Checks of a definition at deploy: every formula type-checks against the table, and the
step settings name real fields. (Service tasks' actions are checked by the rule engine's
code, in between: ``services.process_definitions``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cairn.core import Invalid
from cairn.process.engine import Definition
from cairn.process.model import ProcessModel, is_duration
from cairn.process.script_engine import FormulaScriptEngine, ScriptContext, ScriptError
from cairn.store import TableSchema


def check_formulas(d: Definition, ctx: ScriptContext) -> tuple[FormulaScriptEngine, dict[str, Any]]:
    """Conditions, scripts and timer formulas; the engine and the names scripts set (for
    ``check_steps``)."""
    model = d.model
    engine = d.engine(ctx)
    data: dict[str, Any] = {}
    for flow_id, text in model.conditions.items():
        try:
            engine.compile(text, data)
        except ScriptError as e:
            raise Invalid.on(f"bpmn.{flow_id}", "process.condition", detail=str(e)) from None
    for sid, lines in model.scripts.items():
        for name, text in lines:
            try:
                engine.compile(text, data)
            except ScriptError as e:
                raise Invalid.on(f"bpmn.{sid}", "process.condition", detail=str(e)) from None
            data[name] = None
    for tid, text in model.timers.items():
        t = text.strip().strip("\"'")
        if is_duration(t):
            continue
        try:
            datetime.fromisoformat(t)
            continue
        except ValueError:
            pass
        try:
            engine.compile(text, data)
        except ScriptError as e:
            raise Invalid.on(f"bpmn.{tid}", "process.timer", detail=str(e)) from None
    return engine, data


def check_steps(
    model: ProcessModel,
    engine: FormulaScriptEngine,
    data: dict[str, Any],
    schema: TableSchema | None,
) -> None:
    """Form fields, field assignees and deadline fields exist; assignee formulas compile."""
    for step in model.steps.values():
        keys = [f.key for f in step.form]
        keys += [r.value or "" for r in step.assignees if r.kind == "field"]
        if step.deadline and step.deadline.field:
            keys.append(step.deadline.field)
        for k in keys:
            if schema is None or k not in schema.by_key:
                raise Invalid.on(f"bpmn.{step.id}", "field.unknown", key=k)
        for r in step.assignees:
            if r.kind == "formula":
                try:
                    engine.compile(r.value or "", data)
                except ScriptError as e:
                    raise Invalid.on(
                        f"bpmn.{step.id}", "process.condition", detail=str(e)
                    ) from None
