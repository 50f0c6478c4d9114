"""What every trigger shares: the trigger type's contract, the contexts it checks and scans
in, a due firing, and the registry (the trigger types are in ``triggers`` and, scanned,
``date_trigger``, ``schedule_trigger``, ``inactivity_trigger``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple

import sqlalchemy as sa

from cairn.core import Clock, Invalid, Registry
from cairn.meta import Field
from cairn.query import compile_filter
from cairn.query.tag_filter import tag_conditions
from cairn.rules.ports import Saving
from cairn.store import system
from cairn.store.catalog import Catalog, TableSchema

#: A firing found later than this after it came due is marked late (scans run every minute).
GRACE = timedelta(minutes=3)
#: At most this many firings per rule per scan (the next scan goes on).
SCAN_LIMIT = 5000
#: Missed schedule occurrences caught up per scan.
MAX_OCCURRENCES = 50


@dataclass(frozen=True)
class CheckContext:
    catalog: Catalog
    schema: TableSchema
    loc: str = "trigger"
    #: Given when a rule is saved (not when a saved rule is loaded to run).
    saving: Saving | None = None

    def field(self, key: str, loc: str, types: set[str] | None = None) -> Field:
        f = self.schema.by_key.get(key)
        if f is None:
            raise Invalid.on(f"{self.loc}.{loc}", "field.unknown", key=key)
        if types is not None and self.schema.types[f.id].value_type not in types:
            raise Invalid.on(f"{self.loc}.{loc}", "rule.field_type", field=key)
        return f


class Due(NamedTuple):
    """One record due for a rule: the fired-once key and when it came due (UTC, naive)."""

    record_id: int
    fire_key: str
    due_at: datetime
    #: When the record last changed: a firing it made due (a date edited into the window)
    #: could not fire before then, so it is not late. As read (text on SQLite: parsed only
    #: when asked, ``changed``; a forecast of thousands never asks).
    since: datetime | str | None = None
    #: Marked fired without running (a date trigger's ``inside_window: skip``).
    skip: bool = False

    @property
    def changed(self) -> datetime | None:
        """``since`` as a moment (UTC, naive)."""
        if isinstance(self.since, str):
            return datetime.fromisoformat(self.since).replace(tzinfo=None)
        return self.since

    def late(self, now: datetime, armed_at: datetime) -> bool:
        """Found well after it could first have fired (no worker ran meanwhile)."""
        possible = max(self.due_at, armed_at, self.changed or self.due_at)
        return now - possible > GRACE


#: Due at, then record: a forecast's order.
SOONEST = itemgetter(2, 0)


class Outlook(NamedTuple):
    """What a forecast needs of a trigger up to a moment: the first firings (soonest, then by
    record), how many there are in all, and how many records come due at each moment (a
    schedule's occurrences are firings of their own, with no record: not counted per moment)."""

    items: list[Due]
    total: int
    moments: Counter[datetime]


@dataclass(frozen=True)
class ScanContext:
    conn: sa.Connection
    catalog: Catalog
    schema: TableSchema
    rule_id: int
    armed_at: datetime  # UTC, naive
    now: datetime  # UTC, naive
    clock: Clock
    #: Most records one scan query lists (None: all, for a forecast's exact total).
    limit: int | None = SCAN_LIMIT

    @property
    def tz(self) -> tzinfo:
        return self.catalog.ctx.timezone

    def filter(self, tree: Any) -> sa.ColumnElement[bool]:
        return compile_filter(self.catalog, self.schema, tree, self.clock)

    def not_fired(self, record_id: Any, key: Any) -> sa.ColumnElement[bool]:
        rf = system.rule_firings
        return ~sa.exists().where(
            rf.c.rule_id == self.rule_id, rf.c.record_id == record_id, rf.c.fire_key == key
        )


class TriggerType:
    key: ClassVar[str]
    model: ClassVar[type]
    #: "event" (outbox record events), "scan" (periodic SQL scan), "webhook" (inbound)
    kind: ClassVar[str] = "event"

    def check(self, spec: Any, ctx: CheckContext) -> None:
        """Refuse what the table does not have (unknown fields, wrong types, bad filters)."""

    def matches(self, spec: Any, event_type: str, payload: dict[str, Any]) -> bool:
        return False

    def due(self, spec: Any, ctx: ScanContext, until: datetime | None = None) -> list[Due]:
        """The records due at ``until`` (default: now) and not yet fired."""
        return []

    def outlook(self, spec: Any, ctx: ScanContext, until: datetime, first: int) -> Outlook:
        """The firings up to ``until`` (``ctx`` without a limit), the ``first`` of them listed.
        Here every firing ``due`` lists is built and counted; a trigger that can count without
        building each firing does so instead (the result is the same)."""
        dues = [d for d in self.due(spec, ctx, until) if not d.skip]
        if any(a.due_at > b.due_at for a, b in pairwise(dues)):
            dues.sort(key=SOONEST)  # a date scan's come sorted already (by date, then id)
        return Outlook(dues[:first], len(dues), Counter(d.due_at for d in dues if d.record_id))


def check_filter(spec: Any, ctx: CheckContext) -> None:
    if getattr(spec, "filter", None) is not None:
        try:
            compile_filter(ctx.catalog, ctx.schema, spec.filter, _EPOCH_CLOCK)
        except Invalid as e:
            raise e.under(f"{ctx.loc}.filter") from None
        if ctx.saving is not None:  # the tags a filter names must be the app's
            found = tag_conditions(spec.filter, f"{ctx.loc}.filter")
            ids = [v for _, values in found for v in values]
            known = ctx.saving.tags_exist(ctx.schema.app.id, ids) if ids else set()
            for where, values in found:
                for i, v in enumerate(values):
                    if v not in known:
                        raise Invalid.on(f"{where}.{i}", "tag.unknown", id=v)


class _EpochClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


_EPOCH_CLOCK = _EpochClock()


def same_value(shown: Any, expected: Any) -> bool:
    """A changed value (as the API shows it) against the value a rule names."""
    if shown == expected:
        return True
    if isinstance(shown, dict):
        return expected in (shown.get("value"), shown.get("id"), shown.get("name"))
    if isinstance(shown, list) and not isinstance(expected, list):
        return any(same_value(x, expected) for x in shown)
    return False


class TriggerRegistry(Registry[TriggerType]):
    def __init__(self) -> None:
        super().__init__("trigger")

    def of(self, spec: Any) -> TriggerType:
        return self.get(spec.type)


Planner = Callable[[ScanContext], list[Due]]
