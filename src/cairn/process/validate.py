"""Checks of a definition at deploy: every formula type-checks against the table, and the
step settings name real fields. (Service tasks' actions are checked by the rule engine's
code, in between: ``services.process_definitions``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from cairn.core import FieldErrors, Message
from cairn.process.engine import Definition
from cairn.process.model import BPMN_NS, ProcessModel, is_duration
from cairn.process.script_engine import FormulaScriptEngine, ScriptContext, ScriptError
from cairn.store import TableSchema


def check_formulas(
    d: Definition, ctx: ScriptContext, errors: FieldErrors
) -> tuple[FormulaScriptEngine, dict[str, Any]]:
    """Conditions, scripts and timer formulas (every problem into ``errors``); the engine and
    the names scripts set (for ``check_steps``)."""
    model = d.model
    engine = d.engine(ctx)
    data: dict[str, Any] = {}
    for flow_id, text in model.conditions.items():
        try:
            engine.compile(text, data)
        except ScriptError as e:
            errors.add(f"bpmn.{flow_id}", Message("process.condition", {"detail": str(e)}))
    for sid, lines in model.scripts.items():
        for name, text in lines:
            try:
                engine.compile(text, data)
            except ScriptError as e:
                errors.add(f"bpmn.{sid}", Message("process.condition", {"detail": str(e)}))
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
            errors.add(f"bpmn.{tid}", Message("process.timer", {"detail": str(e)}))
    return engine, data


def check_steps(
    model: ProcessModel,
    engine: FormulaScriptEngine,
    data: dict[str, Any],
    schema: TableSchema | None,
    errors: FieldErrors,
) -> None:
    """Form fields, field assignees and deadline fields exist; assignee formulas compile; a
    user task has somebody to do it (an assignee rule, candidates or a lane)."""
    for step in model.steps.values():
        keys = [f.key for f in step.form]
        keys += [r.value or "" for r in step.assignees if r.kind == "field"]
        if step.deadline and step.deadline.field:
            keys.append(step.deadline.field)
        for k in keys:
            if schema is None or k not in schema.by_key:
                errors.add(f"bpmn.{step.id}", Message("field.unknown", {"key": k}))
        for r in step.assignees:
            if r.kind == "formula":
                try:
                    engine.compile(r.value or "", data)
                except ScriptError as e:
                    errors.add(f"bpmn.{step.id}", Message("process.condition", {"detail": str(e)}))
        if not step.assignees and not step.candidates and not step.lane:
            label = {"name": step.name or step.id, "id": step.id}
            errors.add(f"bpmn.{step.id}", Message("process.no_assignee", label))


def gateway_warnings(xml: bytes | str, process_id: str) -> FieldErrors:
    """Exclusive and inclusive gateways with two or more outgoing flows and no default flow
    (a warning: when no condition holds, the instance stops at an incident)."""
    warnings = FieldErrors()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    for proc in root.findall(f"{{{BPMN_NS}}}process"):
        if (proc.get("id") or "") != process_id:
            continue
        outgoing: dict[str, int] = {}
        for f in proc.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            src = (f.get("sourceRef") or "").strip()
            outgoing[src] = outgoing.get(src, 0) + 1
        for kind in ("exclusiveGateway", "inclusiveGateway"):
            for g in proc.iter(f"{{{BPMN_NS}}}{kind}"):
                gid = g.get("id") or ""
                if outgoing.get(gid, 0) >= 2 and not g.get("default"):
                    label = {"name": g.get("name") or gid, "id": gid}
                    warnings.add(f"bpmn.{gid}", Message("process.gateway_no_default", label))
    return warnings
