"""The Python back end: a typed tree evaluated over one ``Record``.

Values: numbers are floats, text str, booleans bool, dates ``date``, datetimes naive local
``datetime``, durations float seconds, blank ``None``, errors ``ErrorValue``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cairn.formula import runtime as rt
from cairn.formula.convert import py_bool, py_convert
from cairn.formula.env import Environment
from cairn.formula.functions.aggregates import ConditionalAggregate
from cairn.formula.functions.base import LazyFunction
from cairn.formula.resolve import Record, Ref
from cairn.formula.typecheck import Typed, relation_of
from cairn.formula.types import Type


def from_stored(value: Any, t: Type | str, env: Environment) -> Any:
    """A stored field value as a formula value of type ``t``."""
    kind = t if isinstance(t, str) else t.kind
    if value is None or isinstance(value, rt.ErrorValue):
        return value
    if kind in ("number", "duration"):
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, int | float | Decimal):
            return float(value)
        return rt.text_number(str(value))
    if kind == "datetime":
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            value = rt.as_datetime(value)
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None) - value.utcoffset()  # type: ignore[operator]
        return value.replace(microsecond=0) + timedelta(seconds=env.utc_offset)
    if kind == "date":
        if isinstance(value, str):
            return date.fromisoformat(value[:10])
        return rt.as_date(value)
    if kind == "boolean":
        return bool(value)
    if kind == "text":
        return value if isinstance(value, str) else rt.to_text(value)
    return value


def read_ref(ref: Ref, record: Record, env: Environment) -> Any:
    if ref.relation is None:
        if ref.whole_records:
            return list(record.related(ref.key))
        return from_stored(record.value(ref.key), ref.type, env)
    rows = record.related(ref.relation)
    if ref.multiple:
        elem = ref.type.elem or "text"
        return [from_stored(r.value(ref.key), elem, env) for r in rows]
    return from_stored(rows[0].value(ref.key), ref.type, env) if rows else None


@dataclass(frozen=True)
class RowRecord:
    """What a conditional aggregate's condition reads: this record's fields, and through
    ``relation`` the one linked ``row`` it is looking at."""

    record: Record
    relation: str
    row: Record

    def value(self, key: str) -> Any:
        return self.record.value(key)

    def related(self, relation_key: str) -> Sequence[Record]:
        return [self.row] if relation_key == self.relation else self.record.related(relation_key)


def conditional(
    t: Typed, record: Record, env: Environment, condition: Callable[[Record], Any]
) -> Any:
    """SUMIF and the like: the aggregate over the linked rows whose condition is TRUE (a
    blank, FALSE or an error leaves the row out)."""
    fn = t.fn
    assert isinstance(fn, ConditionalAggregate)
    ref = t.args[0].ref
    assert ref is not None
    relation = relation_of(ref)
    assert relation is not None
    rows = record.related(relation)
    values = read_ref(ref, record, env)
    kept = []
    for row, value in zip(rows, values, strict=True):
        ok = condition(RowRecord(record, relation, row))
        if not isinstance(ok, rt.ErrorValue) and py_bool(ok):
            kept.append(value)
    return fn.py_rows(kept, env, (t.args[0].type,))


def evaluate(t: Typed, record: Record, env: Environment) -> Any:
    """The value of the formula for ``record`` (an ``ErrorValue`` for #DIV/0! and the like)."""
    fn = t.fn
    if fn is None:
        if t.ref is not None:
            return read_ref(t.ref, record, env)
        return t.literal
    if fn.row_condition:
        cond = t.args[1]
        return conditional(t, record, env, lambda row: evaluate(cond, row, env))
    types = tuple(a.type for a in t.args)
    if isinstance(fn, LazyFunction):
        thunks = [(lambda a=a: evaluate(a, record, env)) for a in t.args]
        return fn.py_lazy(thunks, env, types)
    values = []
    for a, kind in zip(t.args, t.kinds, strict=True):
        v = evaluate(a, record, env)
        if isinstance(v, rt.ErrorValue):
            return v
        v = py_convert(v, kind)
        if isinstance(v, rt.ErrorValue):
            return v
        values.append(v)
    return fn.py(values, env, types)


Evaluator = Callable[[Record, Environment], Any]


def compile_python(t: Typed) -> Evaluator:
    """The typed tree as nested Python closures: the same rules as ``evaluate``, without
    walking the tree again for every record (what rules and validations run in a loop)."""
    fn = t.fn
    if fn is None:
        if t.ref is not None:
            ref = t.ref
            return lambda record, env: read_ref(ref, record, env)
        literal = t.literal
        return lambda record, env: literal
    if fn.row_condition:
        condition = compile_python(t.args[1])
        typed = t

        def aggregate(record: Record, env: Environment) -> Any:
            return conditional(typed, record, env, lambda row: condition(row, env))

        return aggregate
    types = tuple(a.type for a in t.args)
    args = [compile_python(a) for a in t.args]
    if isinstance(fn, LazyFunction):
        lazy = fn

        def call_lazy(record: Record, env: Environment) -> Any:
            thunks = [(lambda a=a: a(record, env)) for a in args]
            return lazy.py_lazy(thunks, env, types)

        return call_lazy
    pairs = list(zip(args, t.kinds, strict=True))
    plain = fn
    error = rt.ErrorValue

    def call(record: Record, env: Environment) -> Any:
        values = []
        for a, kind in pairs:
            v = a(record, env)
            if isinstance(v, error):
                return v
            if kind != "any" and kind != "literal":
                v = py_convert(v, kind)
                if isinstance(v, error):
                    return v
            values.append(v)
        return plain.py(values, env, types)

    return call
