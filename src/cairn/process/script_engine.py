"""Conditions, scripts and timer expressions as Cairn formulas: never Python ``eval``/``exec``.

SpiffWorkflow's default script engine runs ``eval(expression)`` on task data, so a condition
``__import__('os').system(...)`` would run. Cairn gives every workflow a ``FormulaScriptEngine``
instead (again after every load: Spiff does not serialize the engine): a condition is parsed,
type-checked and evaluated by ``cairn.formula`` over the record's fields and the process
variables, and anything that is not a formula is refused.

Names in ``{...}`` are the bound record's fields (by key or name) first, then process variables
(``{action}``, ``{comment}``, ``{approved}``, variables set by script tasks and actions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from cairn.formula import (
    BLANK,
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    Environment,
    ErrorValue,
    FieldInfo,
    Formula,
    FormulaError,
    Record,
    Resolver,
    Type,
)
from cairn.process.model import is_duration, parse_script

#: Variables every process has (so conditions on them type-check before they are set).
BUILTIN_VARIABLES: dict[str, Type] = {
    "action": TEXT,
    "comment": TEXT,
    "approved": BOOLEAN,
    "rejected": BOOLEAN,
    "initiator_id": NUMBER,
}
DECLARED_TYPES = {
    "text": TEXT,
    "number": NUMBER,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATETIME,
}


class ScriptError(Exception):
    """A condition or script that is not a valid formula, or evaluated to an error value; at
    run time also any error of the engine on its way (``step_id``/``step_name``: the element
    it stopped at, when known)."""

    def __init__(
        self, message: str, step_id: str | None = None, step_name: str | None = None
    ) -> None:
        super().__init__(message)
        self.step_id = step_id
        self.step_name = step_name


def type_of(value: Any) -> Type | None:
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float | Decimal):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    return None


@dataclass
class VariableResolver:
    """Record fields (through ``base``) first, then process variables of known types."""

    base: Resolver | None
    variables: Mapping[str, Type]

    def field(self, name: str) -> FieldInfo | None:
        if self.base is not None:
            info = self.base.field(name)
            if info is not None:
                return info
        t = self.variables.get(name)
        return FieldInfo(f"${name}", t) if t is not None else None

    def target(self, relation_key: str) -> Resolver | None:
        return self.base.target(relation_key) if self.base is not None else None


@dataclass
class Values:
    """A formula ``Record`` over the bound record's stored values and the process data."""

    record: Mapping[str, Any]
    data: Mapping[str, Any]
    #: The record's sub-form rows by field (``#<id>``): ``SUM({明细.金额})`` reads them.
    rows: Mapping[str, Sequence[Record]] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        if key.startswith("$"):
            return self.data.get(key[1:])
        return self.record.get(key)

    def related(self, relation_key: str) -> Sequence[Record]:
        # Conditions read the record's own fields, lookups and sub-form rows, not the
        # records a relation links.
        return self.rows.get(relation_key, ())


@dataclass
class ScriptContext:
    """What one load of a workflow evaluates against (refreshed before engine steps)."""

    resolver: Resolver | None = None
    #: Identifies ``resolver`` for the formula cache (e.g. table id and schema version).
    resolver_key: Any = None
    record: Mapping[str, Any] = field(default_factory=dict)
    #: The record's sub-form rows by field (``#<id>``), as formula records.
    rows: Mapping[str, Sequence[Record]] = field(default_factory=dict)
    env: Environment | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Service tasks (``cairn:action``): given (step id, engine task id, process data), True
    #: when the actions are done, False when the task waits for them.
    call_service: Callable[[str, str, dict[str, Any]], bool] | None = None


class FormulaCache:
    """Compiled formulas per (text, the types of the names in scope): one per definition."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], Formula] = {}

    def get(
        self, text: str, resolver: VariableResolver, scope: Any = None, location: str = "formula"
    ) -> Formula:
        sig = tuple(sorted((k, str(v)) for k, v in resolver.variables.items()))
        key = (text, sig, scope)
        f = self._cache.get(key)  # type: ignore[arg-type]
        if f is None:
            f = Formula.compile(_unquote(text), resolver, location=location)
            if len(self._cache) > 2000:
                self._cache.clear()
            self._cache[key] = f  # type: ignore[index]
        return f


def _unquote(text: str) -> str:
    return text.strip()


def variables_of(
    data: Mapping[str, Any], declared: Mapping[str, str] | None = None
) -> dict[str, Type]:
    out = dict(BUILTIN_VARIABLES)
    for k, t in (declared or {}).items():
        out[k] = DECLARED_TYPES.get(t, TEXT)
    for k, v in data.items():
        t = type_of(v)
        if t is not None and t != BLANK and not k.startswith("_"):
            out[k] = t
    return out


class FormulaEnvironment:
    """Spiff's "environment" seam (used for a few evaluations outside a task): formulas only."""

    def __init__(self, engine: FormulaScriptEngine) -> None:
        self.engine = engine
        self.globals: dict[str, Any] = {}

    def evaluate(
        self, expression: str, context: Mapping[str, Any], external_context: Any = None
    ) -> Any:
        return self.engine.value(expression, context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        raise ScriptError("scripts run as formula lines inside script tasks only")

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ScriptError("service calls go through cairn:action")

    def user_defined_state(self, external_context: Any = None) -> dict[str, Any]:
        return {}

    def restore_state(self, state: Any) -> None:
        return None

    def last_result(self) -> dict[str, Any]:
        return {}

    def clear_state(self) -> None:
        return None

    def preserve_state(self, bpmn_task: Any) -> None:
        return None

    def pop_state(self, data: Any) -> None:
        return None


class FormulaScriptEngine(PythonScriptEngine):
    def __init__(
        self,
        formulas: FormulaCache,
        context: ScriptContext,
        declared: Mapping[str, str] | None = None,
        scripts: Mapping[str, list[tuple[str, str]]] | None = None,
    ) -> None:
        self.formulas = formulas
        self.context = context
        self.declared = dict(declared or {})
        self.scripts = dict(scripts or {})
        self.environment = FormulaEnvironment(self)

    # -- Cairn's own calls ---------------------------------------------------------------
    def now(self) -> datetime:
        return self.context.now

    def compile(self, text: str, data: Mapping[str, Any], location: str = "formula") -> Formula:
        resolver = VariableResolver(self.context.resolver, variables_of(data, self.declared))
        try:
            return self.formulas.get(text, resolver, self.context.resolver_key, location)
        except FormulaError as e:
            raise ScriptError(f"{text!r} is not a valid formula: {e}") from None

    def value(self, text: str, data: Mapping[str, Any]) -> Any:
        f = self.compile(text, data)
        env = self.context.env or _default_env(self.context.now)
        v = f.evaluate(Values(self.context.record, data, self.context.rows), env)
        if isinstance(v, ErrorValue):
            raise ScriptError(f"{text!r} evaluated to {v}")
        return v

    def timer_value(self, task: Any, expression: str) -> str | datetime:
        """A timer's expression: an ISO duration or date-time as written (``PT24H``), or a
        formula giving a date/datetime (e.g. a record field)."""
        text = expression.strip()
        if is_duration(text):
            return text.strip("\"'")
        try:
            return datetime.fromisoformat(text.strip("\"'"))
        except ValueError:
            pass
        v = self.value(text, task.data)
        if isinstance(v, datetime):
            offset = self.context.env.utc_offset if self.context.env else 0
            return (v - timedelta(seconds=offset)).replace(tzinfo=UTC)
        if isinstance(v, date):
            return datetime(v.year, v.month, v.day, tzinfo=UTC)
        if isinstance(v, int | float):  # a duration in seconds
            return self.now() + timedelta(seconds=float(v))
        raise ScriptError(f"timer {expression!r} is not a duration or a date")

    # -- Spiff's calls --------------------------------------------------------------------
    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return self.value(expression, task.data)
        except ScriptError as e:
            raise _at(e, task) from None

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        """A script task: each ``name = formula`` line sets a process variable."""
        lines = self.scripts.get(task.task_spec.bpmn_id)
        if lines is None:
            lines = parse_script(script or "", "script")
        try:
            for name, text in lines:
                task.data[name] = self.value(text, task.data)
        except ScriptError as e:
            raise _at(e, task) from None
        return True

    def call_service(self, task: Any, **kwargs: Any) -> bool:
        """A service task: True when its actions are done (the task completes), False when
        it waits (an action goes through the outbox, or failed: the host records the
        incident and completes the task later)."""
        call = self.context.call_service
        if call is None:
            return True
        return bool(call(task.task_spec.bpmn_id, str(task.id), dict(task.data)))


def _at(e: ScriptError, task: Any) -> ScriptError:
    """The error, naming the element it happened at (a condition: its gateway or task)."""
    if e.step_id is None:
        spec = getattr(task, "task_spec", None)
        e.step_id = getattr(spec, "bpmn_id", None)
        e.step_name = getattr(spec, "bpmn_name", None)
    return e


def _default_env(now: datetime) -> Environment:
    naive = now.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return Environment(naive.date(), naive, 0)
