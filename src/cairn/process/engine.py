"""The adapter around SpiffWorkflow: the only module that imports it.

- ``Definition``: a deployed BPMN file parsed once (Spiff spec + ``ProcessModel``), shared by
  every instance of that version in this process.
- ``Run``: one instance's workflow, loaded from its state (which never contains the spec: the
  spec is re-attached from the definition) with a fresh ``FormulaScriptEngine`` every time.
- Timers read the time from the script engine (Cairn's clock), not from ``datetime.now``:
  Spiff's timer event definitions are subclassed and installed through the parser's
  ``OVERRIDE_PARSER_CLASSES`` (configuration, no patching). Nothing wakes up on its own: the
  host calls ``Run.refresh_timers`` when ``Run.next_timer()`` has come (the worker's scan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.parser.event_parsers import (
    BoundaryEventParser,
    IntermediateCatchEventParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    ServiceTask,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from cairn.core import Invalid
from cairn.process import structure
from cairn.process.model import ProcessModel, parse_model
from cairn.process.script_engine import (
    FormulaCache,
    FormulaScriptEngine,
    ScriptContext,
    ScriptError,
)


# -- timers on Cairn's clock --------------------------------------------------------------
def _now(task: Any) -> datetime:
    engine = task.workflow.script_engine
    return engine.now() if isinstance(engine, FormulaScriptEngine) else datetime.now(UTC)


def _aware(v: str | datetime) -> datetime:
    dt = v if isinstance(v, datetime) else datetime.fromisoformat(v)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class ClockDurationTimer(DurationTimerEventDefinition):
    """ "Wait this long": due = the clock's now + the duration, fired once the clock passes it."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            engine = my_task.workflow.script_engine
            value = engine.timer_value(my_task, self.expression)
            if isinstance(value, str):
                parsed = TimerEventDefinition.parse_iso_duration(value)
                start = _now(my_task)
                due = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            else:
                due = value
            event_value = _aware(due).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if _aware(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDateTimer(TimeDateEventDefinition):
    """ "Wait until": a date-time written in the model or computed by a formula."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.timer_value(my_task, self.expression)
            if isinstance(value, str):  # a duration where a date was expected: from now
                parsed = TimerEventDefinition.parse_iso_duration(value)
                start = _now(my_task)
                value = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            event_value = _aware(value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if _aware(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class _ClockTimers:
    """Parser mixin: timers whose time comes from Cairn's clock (cycles are not supported)."""

    def parse_timer_event(self, event: Any) -> Any:
        name = self.node.get("name", self.node.get("id"))  # type: ignore[attr-defined]
        description = self.get_event_description(event)  # type: ignore[attr-defined]
        time_date = first(self.xpath(".//bpmn:timeDate"))  # type: ignore[attr-defined]
        if time_date is not None:
            return ClockDateTimer(name, time_date.text or "", description=description)
        duration = first(self.xpath(".//bpmn:timeDuration"))  # type: ignore[attr-defined]
        if duration is not None:
            return ClockDurationTimer(name, duration.text or "", description=description)
        raise ValidationException(
            "Only timeDuration and timeDate timers are supported",
            node=self.node,  # type: ignore[attr-defined]
            file_name=self.filename,  # type: ignore[attr-defined]
        )


class _StartEvents(_ClockTimers, StartEventParser):
    pass


class _CatchEvents(_ClockTimers, IntermediateCatchEventParser):
    pass


class _BoundaryEvents(_ClockTimers, BoundaryEventParser):
    pass


class CairnServiceTask(ServiceTask):
    """A service task runs its ``cairn:action`` through the host (``ScriptContext.call_service``)."""

    def _execute(self, task: Any) -> bool | None:
        # None leaves the task STARTED (waiting): ``Run.finish_service`` completes it later.
        return True if task.workflow.script_engine.call_service(task) else None


class CairnParser(BpmnParser):
    OVERRIDE_PARSER_CLASSES = {  # noqa: RUF012 (Spiff's extension point is a class attribute)
        full_tag("startEvent"): (_StartEvents, StartEvent),
        full_tag("intermediateCatchEvent"): (_CatchEvents, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (_BoundaryEvents, BoundaryEvent),
        full_tag("serviceTask"): (TaskParser, CairnServiceTask),
    }


def _element(task: Any) -> str:
    """The BPMN element id of a Spiff task ("" for Spiff's own start and end specs and the
    process itself)."""
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or ""
    return "" if bpmn_id == getattr(task.workflow.spec, "name", None) else bpmn_id


# -- state without the spec ---------------------------------------------------------------
class _StateConverter(BpmnWorkflowConverter):
    """Instance state only: the spec is never written; it is handed back in on load."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    config[ClockDurationTimer] = TimerConditionalEventDefinitionConverter
    config[ClockDateTimer] = TimerConditionalEventDefinitionConverter
    config[CairnServiceTask] = BpmnTaskSpecConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _serializer()


# -- definitions and runs -----------------------------------------------------------------
class Definition:
    """A parsed definition version: the Spiff spec, Cairn's model and its compiled formulas."""

    def __init__(self, xml: bytes | str, *, deploying: bool = False) -> None:
        """``deploying``: also check the flow's shape (``structure``); a version already
        deployed loads without it, so its running instances can still be acted on."""
        self.model: ProcessModel = parse_model(xml)
        if deploying:
            structure.check(self.model.spiff_xml, self.model.process_id)
        parser = CairnParser()
        try:
            parser.add_bpmn_str(self.model.spiff_xml)
            self.spec = parser.get_spec(self.model.process_id)
            self.subprocess_specs = parser.get_subprocess_specs(self.model.process_id)
        except (ValidationException, SpiffWorkflowException, KeyError, ValueError) as e:
            raise Invalid.on("bpmn", "process.bpmn_invalid", detail=str(e)) from None
        self.formulas = FormulaCache()

    def engine(self, context: ScriptContext) -> FormulaScriptEngine:
        return FormulaScriptEngine(self.formulas, context, self.model.variables, self.model.scripts)

    def new(self, context: ScriptContext, data: Mapping[str, Any]) -> Run:
        wf = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.engine(context))
        wf.data.update(data)
        for t in wf.get_tasks(state=TaskState.READY):
            t.data.update(data)
        run = Run(self, wf)
        return run

    def load(self, state: dict[str, Any], context: ScriptContext) -> Run:
        dct = dict(state)
        dct["spec"] = self.spec
        dct["subprocess_specs"] = self.subprocess_specs
        dct.setdefault("typename", "BpmnWorkflow")
        wf = SERIALIZER.from_dict(dct)
        wf.script_engine = self.engine(context)  # not serialized: attach after every load
        return Run(self, wf)


def _failure(e: Exception) -> ScriptError:
    """An error on the engine's way as a ``ScriptError`` naming the element it stopped at
    (a formula's own error comes wrapped by Spiff, with the task it ran for)."""
    cause = getattr(e, "exception", None) or e.__cause__
    error = e if isinstance(e, ScriptError) else cause if isinstance(cause, ScriptError) else None
    text = str(error if error is not None else e).strip()
    task = getattr(e, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(e, "task_spec", None)
    step_id = getattr(spec, "bpmn_id", None) or (error.step_id if error is not None else None)
    step_name = getattr(spec, "bpmn_name", None) or (error.step_name if error else None)
    return ScriptError(text, step_id, step_name)


@dataclass(frozen=True)
class ReadyTask:
    id: str
    step_id: str
    name: str
    data: dict[str, Any]


class Run:
    def __init__(self, definition: Definition, wf: BpmnWorkflow) -> None:
        self.definition = definition
        self.wf = wf

    @property
    def context(self) -> ScriptContext:
        return self.wf.script_engine.context

    def advance(self) -> None:
        """Run every automatic step (gateways, scripts, services, timers that are due);
        ``ScriptError`` naming the step when one fails."""
        try:
            self.wf.do_engine_steps()
        except (ScriptError, SpiffWorkflowException) as e:
            raise _failure(e) from None

    def refresh_timers(self) -> None:
        self.wf.refresh_timers()
        self.advance()

    def ready(self) -> list[ReadyTask]:
        return [
            ReadyTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or "", t.data)
            for t in self.wf.get_tasks(state=TaskState.READY, manual=True)
        ]

    def complete(self, task_id: str, data: Mapping[str, Any]) -> None:
        task = self.wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise Invalid.on("task", "task.not_open")
        task.data.update(data)
        try:
            task.run()  # Spiff picks the next element here: a dead end fails already
        except (ScriptError, SpiffWorkflowException) as e:
            raise _failure(e) from None
        self.advance()

    def waiting_services(self) -> list[tuple[str, str]]:
        """Service tasks whose actions are not done yet: (task id, step id)."""
        return [
            (str(t.id), t.task_spec.bpmn_id)
            for t in self.wf.get_tasks(state=TaskState.STARTED)
            if isinstance(t.task_spec, CairnServiceTask)
        ]

    def finish_service(self, task_id: str) -> None:
        """A waiting service task's actions are done: it completes and the flow goes on."""
        task = self.wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.STARTED:
            raise Invalid.on("task", "task.not_open")
        task.complete()
        self.advance()

    def passed(self) -> list[tuple[str, str]]:
        """Completed manual steps, oldest first: (task id, step id)."""
        done = [
            t
            for t in self.wf.get_tasks(state=TaskState.COMPLETED, manual=True)
            if t.task_spec.bpmn_id in self.definition.model.steps
        ]
        done.sort(key=lambda t: t.last_state_change)
        return [(str(t.id), t.task_spec.bpmn_id) for t in done]

    def visited(self) -> list[str]:
        """The element ids of the flow nodes done so far, oldest first, each once (what a
        diagram shows as done)."""
        done = [t for t in self.wf.get_tasks(state=TaskState.COMPLETED) if _element(t)]
        done.sort(key=lambda t: t.last_state_change)
        return list(dict.fromkeys(_element(t) for t in done))

    def active(self) -> list[str]:
        """The element ids where the instance stands now (open user tasks, waiting timers and
        messages, running service tasks)."""
        states = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
        return list(
            dict.fromkeys(_element(t) for t in self.wf.get_tasks(state=states) if _element(t))
        )

    def rerun_from(self, step_id: str) -> None:
        """Go back to the latest completed task of ``step_id``; the steps after it run again."""
        candidates = [tid for tid, sid in self.passed() if sid == step_id]
        if not candidates:
            raise Invalid.on("step", "task.return_target")
        self.wf.reset_from_task_id(UUID(candidates[-1]))
        self.advance()

    def cancel(self) -> None:
        self.wf.cancel()

    @property
    def completed(self) -> bool:
        return self.wf.is_completed()

    @property
    def data(self) -> dict[str, Any]:
        return self.wf.data

    def next_timer(self) -> datetime | None:
        """When the earliest waiting timer is due (UTC, naive), None when nothing waits."""
        dues = []
        for ev in self.wf.waiting_events():
            if ev.event_type in ("ClockDurationTimer", "ClockDateTimer") and ev.value:
                dues.append(_aware(ev.value).astimezone(UTC).replace(tzinfo=None))
        return min(dues) if dues else None

    def dump(self) -> dict[str, Any]:
        dct = SERIALIZER.to_dict(self.wf)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        return dct
