"""Triggers: one class per ``trigger.type``, registered by key.

Record-event triggers answer ``matches`` for an outbox event. Date, schedule and inactivity
triggers plan a **scan**: one SQL query over the rule's table that lists the records due now
(and not yet fired for the same date value, occurrence or quiet spell), pushed down to the
database with index-friendly bounds computed here. Each due record becomes a fired-once row
(``rule_firings``, unique per rule, record and fire key) and an outbox event in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

import sqlalchemy as sa
from croniter import croniter

from cairn.core import Clock, Invalid, Registry
from cairn.meta import Field
from cairn.query import compile_filter
from cairn.query.expand import links
from cairn.rules.spec import (
    DateTrigger,
    InactivityTrigger,
    ProcessTrigger,
    RecordTrigger,
    ScheduleTrigger,
    WebhookTrigger,
)
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
    #: could not fire before then, so it is not late.
    since: datetime | None = None

    def late(self, now: datetime, armed_at: datetime) -> bool:
        """Found well after it could first have fired (no worker ran meanwhile)."""
        possible = max(self.due_at, armed_at, self.since or self.due_at)
        return now - possible > GRACE


@dataclass(frozen=True)
class ScanContext:
    conn: sa.Connection
    catalog: Catalog
    schema: TableSchema
    rule_id: int
    armed_at: datetime  # UTC, naive
    now: datetime  # UTC, naive
    clock: Clock

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


def _check_filter(spec: Any, ctx: CheckContext) -> None:
    if getattr(spec, "filter", None) is not None:
        try:
            compile_filter(ctx.catalog, ctx.schema, spec.filter, _EPOCH_CLOCK)
        except Invalid as e:
            raise e.under(f"{ctx.loc}.filter") from None


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


# -- record events ----------------------------------------------------------------------------
class RecordEventTrigger(TriggerType):
    model = RecordTrigger

    def __init__(self, key: str) -> None:
        self.key = key  # type: ignore[misc]

    def check(self, spec: RecordTrigger, ctx: CheckContext) -> None:
        for i, k in enumerate(spec.fields):
            ctx.field(k, f"fields.{i}")
        if (spec.from_ is not None or spec.to is not None) and (
            spec.type != "record.updated" or len(spec.fields) != 1
        ):
            raise Invalid.on(f"{ctx.loc}.fields", "rule.from_to_one_field")

    def matches(self, spec: RecordTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != spec.type:
            return False
        if spec.type != "record.updated" or not spec.fields:
            return True
        changes = payload.get("changes") or {}
        changed = [k for k in spec.fields if k in changes]
        if not changed:
            return False
        if spec.from_ is None and spec.to is None:
            return True
        before, after = changes[spec.fields[0]]
        if spec.from_ is not None and not same_value(before, spec.from_):
            return False
        return spec.to is None or same_value(after, spec.to)


# -- date-relative ----------------------------------------------------------------------------
class DateRelative(TriggerType):
    """``offset`` (negative: before) from a date field at a local time of day, or from a
    datetime field. Fires for a record once per date value: editing the date re-plans it.

    A firing is due when its moment has come; it counts from when the rule was armed: the
    later of the date and the due moment must lie after it (so a new rule does not fire for
    every date of the past, and a date within the window when created fires at once).
    """

    key = "date"
    model = DateTrigger
    kind = "scan"

    def check(self, spec: DateTrigger, ctx: CheckContext) -> None:
        f = ctx.field(spec.field, "field", {"date", "datetime"})
        is_date = ctx.schema.types[f.id].value_type == "date"
        if not is_date and (spec.at is not None or spec.yearly):
            raise Invalid.on(f"{ctx.loc}.at", "rule.date_only")
        _check_filter(spec, ctx)

    # moments ---------------------------------------------------------------------------------
    @staticmethod
    def _at(spec: DateTrigger) -> time:
        if spec.at is None:
            return time(0, 0)
        h, m = spec.at.split(":")
        return time(int(h), int(m))

    def due_moment(self, spec: DateTrigger, value: date | datetime, tz: tzinfo) -> datetime:
        """When a firing for this date value comes due (UTC, naive)."""
        if isinstance(value, datetime):
            return value + timedelta(seconds=spec.offset_seconds)
        return _local_moment(value, self._at(spec), spec.offset_seconds, tz)

    def _anchor(self, spec: DateTrigger, value: date, tz: tzinfo) -> datetime:
        local = datetime.combine(value, self._at(spec), tzinfo=tz)
        return local.astimezone(UTC).replace(tzinfo=None)

    def _date_bounds(
        self, spec: DateTrigger, tz: tzinfo, armed: datetime, until: datetime
    ) -> tuple[date, date]:
        """The dates whose firing is due by ``until`` and counts from ``armed``."""
        off = timedelta(seconds=spec.offset_seconds)
        hi = (until.replace(tzinfo=UTC).astimezone(tz) - off).date() + timedelta(days=2)
        while self.due_moment(spec, hi, tz) > until:
            hi -= timedelta(days=1)
        lo = (armed.replace(tzinfo=UTC).astimezone(tz) - abs(off)).date() - timedelta(days=2)

        def counts(d: date) -> bool:
            return max(self._anchor(spec, d, tz), self.due_moment(spec, d, tz)) >= armed

        while not counts(lo):
            lo += timedelta(days=1)
        return lo, hi

    def due(self, spec: DateTrigger, ctx: ScanContext, until: datetime | None = None) -> list[Due]:
        until = until or ctx.now
        s, t = ctx.schema, ctx.schema.sa_table
        f = s.by_key[spec.field]
        col = t.c[f.column_name]
        where = [t.c.deleted_at.is_(None), col.is_not(None)]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        if s.types[f.id].value_type == "datetime":
            off = timedelta(seconds=spec.offset_seconds)
            lo = ctx.armed_at - max(off, timedelta(0))
            key = sa.cast(col, sa.String)
            q = sa.select(t.c.id, col, key.label("k"), t.c.updated_at).where(
                *where, col <= until - off, col >= lo, ctx.not_fired(t.c.id, key)
            )
            rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(SCAN_LIMIT)).all()
            return [Due(r[0], r[2], self.due_moment(spec, r[1], ctx.tz), r[3]) for r in rows]
        lo_d, hi_d = self._date_bounds(spec, ctx.tz, ctx.armed_at, until)
        if lo_d > hi_d:
            return []
        if not spec.yearly:
            # Keys and times as text, parsed here (faster than the driver's type processing
            # on thousands of rows).
            key = sa.cast(col, sa.String)
            at, off, tz = self._at(spec), spec.offset_seconds, ctx.tz
            not_fired = ctx.not_fired(t.c.id, key)
            if ctx.conn.dialect.name == "postgresql":  # psycopg makes dates and times fast
                q = sa.select(t.c.id, col, t.c.updated_at).where(
                    *where, col >= lo_d, col <= hi_d, not_fired
                )
                rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(SCAN_LIMIT)).all()
                return [
                    Due(r[0], r[1].isoformat(), _local_moment(r[1], at, off, tz), r[2])
                    for r in rows
                ]
            q = sa.select(t.c.id, key, sa.cast(t.c.updated_at, sa.String)).where(
                *where, col >= lo_d, col <= hi_d, not_fired
            )
            rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(SCAN_LIMIT)).all()
            return [
                Due(
                    r[0],
                    r[1],
                    _local_moment(date.fromisoformat(r[1][:10]), at, off, tz),
                    _moment(r[2]),
                )
                for r in rows
            ]
        return self._yearly(spec, ctx, col, where, max(lo_d, hi_d - timedelta(days=364)), hi_d)

    def _yearly(
        self, spec: DateTrigger, ctx: ScanContext, col: Any, where: list[Any], lo: date, hi: date
    ) -> list[Due]:
        """Occurrences (this year's month and day of the date) between ``lo`` and ``hi``: one
        query per calendar year in the window; 29 February falls on the 28th in other years."""
        t = ctx.schema.sa_table
        pg = ctx.conn.dialect.name == "postgresql"
        mmdd = sa.func.to_char(col, "MM-DD") if pg else sa.func.strftime("%m-%d", col)
        out: list[Due] = []
        for year in range(lo.year, hi.year + 1):
            a = max(lo, date(year, 1, 1)).strftime("%m-%d")
            b = min(hi, date(year, 12, 31)).strftime("%m-%d")
            in_window = mmdd.between(a, b)
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            if not leap and a <= "02-28" <= b:
                in_window = sa.or_(in_window, mmdd == "02-29")
            key = sa.literal(f"{year}-") + sa.cast(mmdd, sa.String)
            q = sa.select(t.c.id, mmdd.label("md"), key.label("k"), t.c.updated_at).where(
                *where, in_window, ctx.not_fired(t.c.id, key)
            )
            for r in ctx.conn.execute(q.order_by(t.c.id).limit(SCAN_LIMIT)).all():
                m, d = (int(x) for x in str(r[1]).split("-"))
                if (m, d) == (2, 29) and not leap:
                    d = 28
                occ = date(year, m, d)
                out.append(Due(r[0], str(r[2]), self.due_moment(spec, occ, ctx.tz), r[3]))
        return out


@lru_cache(maxsize=4096)
def _local_moment(d: date, at: time, offset: int, tz: tzinfo) -> datetime:
    """``d`` at ``at`` in ``tz``, plus ``offset`` seconds, in UTC (naive). Scans meet the same
    few hundred dates again and again."""
    local = datetime.combine(d, at, tzinfo=tz) + timedelta(seconds=offset)
    return local.astimezone(UTC).replace(tzinfo=None)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=None)


# -- schedule ---------------------------------------------------------------------------------
class Schedule(TriggerType):
    """A cron expression in the installation's zone; each occurrence acts on every record
    matching the filter (each record once per occurrence). Occurrences missed while no worker
    ran are caught up, marked late."""

    key = "schedule"
    model = ScheduleTrigger
    kind = "scan"

    def check(self, spec: ScheduleTrigger, ctx: CheckContext) -> None:
        if not croniter.is_valid(spec.cron):
            raise Invalid.on(f"{ctx.loc}.cron", "rule.cron", cron=spec.cron)
        _check_filter(spec, ctx)

    def occurrences(
        self, spec: ScheduleTrigger, tz: tzinfo, after: datetime, until: datetime
    ) -> Iterator[datetime]:
        """Occurrences in (after, until], UTC naive."""
        it = croniter(spec.cron, after.replace(tzinfo=UTC).astimezone(tz))
        while True:
            nxt = it.get_next(datetime).astimezone(UTC).replace(tzinfo=None)
            if nxt > until:
                return
            yield nxt

    def last_planned(self, ctx: ScanContext) -> datetime:
        rf = system.rule_firings
        last = ctx.conn.execute(
            sa.select(sa.func.max(rf.c.due_at)).where(
                rf.c.rule_id == ctx.rule_id, rf.c.record_id == 0
            )
        ).scalar()
        return max(last, ctx.armed_at) if last else ctx.armed_at

    def matching(self, spec: ScheduleTrigger, ctx: ScanContext, key: str) -> list[int]:
        t = ctx.schema.sa_table
        where = [t.c.deleted_at.is_(None), ctx.not_fired(t.c.id, sa.literal(key))]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        q = sa.select(t.c.id).where(*where).order_by(t.c.id).limit(SCAN_LIMIT)
        return list(ctx.conn.execute(q).scalars())

    def due(
        self, spec: ScheduleTrigger, ctx: ScanContext, until: datetime | None = None
    ) -> list[Due]:
        """Occurrences due since the last planned one, each with every matching record; the
        occurrence itself is marked planned (record 0)."""
        out: list[Due] = []
        start = self.last_planned(ctx)
        for i, occ in enumerate(self.occurrences(spec, ctx.tz, start, until or ctx.now)):
            if i >= MAX_OCCURRENCES:
                break
            key = occ.isoformat(timespec="minutes")
            out.append(Due(0, key, occ))
            out.extend(Due(rid, key, occ) for rid in self.matching(spec, ctx, key))
        return out


# -- inactivity -------------------------------------------------------------------------------
class Inactivity(TriggerType):
    """No linked record (through ``relation``) newer than ``days``: the quiet spell starts at
    the newest linked record (its ``date_field``, else its creation), or at the record's own
    creation when it has none. One firing per quiet spell (its start is the fire key)."""

    key = "inactivity"
    model = InactivityTrigger
    kind = "scan"

    def check(self, spec: InactivityTrigger, ctx: CheckContext) -> None:
        f = ctx.field(spec.relation, "relation")
        if f.type != "relation":
            raise Invalid.on(f"{ctx.loc}.relation", "rule.relation", field=spec.relation)
        if spec.date_field is not None:
            target = ctx.catalog.schema(int(f.options["target_table_id"]))
            tf = target.by_key.get(spec.date_field)
            if tf is None or target.types[tf.id].value_type not in ("date", "datetime"):
                raise Invalid.on(f"{ctx.loc}.date_field", "rule.field_type", field=spec.date_field)
        _check_filter(spec, ctx)

    def last_activity(self, spec: InactivityTrigger, catalog: Catalog, schema: TableSchema) -> Any:
        t = schema.sa_table
        lk = links(catalog, schema.by_key[spec.relation], t)
        if spec.date_field is not None:
            tf = lk.target.by_key[spec.date_field]
            moment = lk.target_rows.c[tf.column_name]
        else:
            moment = lk.target_rows.c.created_at
        newest = lk.select(sa.func.max(moment)).scalar_subquery()
        return sa.func.coalesce(newest, t.c.created_at)

    def due(
        self, spec: InactivityTrigger, ctx: ScanContext, until: datetime | None = None
    ) -> list[Due]:
        until = until or ctx.now
        t = ctx.schema.sa_table
        last = self.last_activity(spec, ctx.catalog, ctx.schema)
        quiet = timedelta(days=spec.days)
        key = sa.cast(last, sa.String)
        where = [t.c.deleted_at.is_(None), last <= until - quiet]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        q = (
            sa.select(t.c.id, last.label("last"), key.label("k"))
            .where(*where, ctx.not_fired(t.c.id, key))
            .order_by(t.c.id)
            .limit(SCAN_LIMIT)
        )
        out = []
        for r in ctx.conn.execute(q).all():
            moment = r[1] if isinstance(r[1], datetime) else _parse_moment(r[1])
            out.append(Due(r[0], str(r[2]), moment + quiet))
        return out


def _parse_moment(v: Any) -> datetime:
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime.combine(v, time(0))
    return datetime.fromisoformat(str(v)).replace(tzinfo=None)


# -- inbound webhook --------------------------------------------------------------------------
class InboundWebhook(TriggerType):
    key = "webhook"
    model = WebhookTrigger
    kind = "webhook"

    def check(self, spec: WebhookTrigger, ctx: CheckContext) -> None:
        if not spec.mapping:
            raise Invalid.on(f"{ctx.loc}.mapping", "rule.mapping_empty")
        for k in spec.mapping:
            f = ctx.field(k, f"mapping.{k}")
            if not ctx.schema.types[f.id].writable:
                raise Invalid.on(f"{ctx.loc}.mapping.{k}", "field.read_only")
        if spec.match is not None:
            ctx.field(spec.match, "match")
            if spec.match not in spec.mapping:
                raise Invalid.on(f"{ctx.loc}.match", "rule.match_unmapped", field=spec.match)

    @staticmethod
    def extract(spec: WebhookTrigger, body: Any) -> dict[str, Any]:
        """The record input the JSON body maps to (a missing path leaves the field out)."""
        out: dict[str, Any] = {}
        for key, path in spec.mapping.items():
            v: Any = body
            found = True
            for part in path.split("."):
                if isinstance(v, dict) and part in v:
                    v = v[part]
                elif isinstance(v, list) and part.isdecimal() and int(part) < len(v):
                    v = v[int(part)]
                else:
                    found = False
                    break
            if found:
                out[key] = v
        return out


class TriggerRegistry(Registry[TriggerType]):
    def __init__(self) -> None:
        super().__init__("trigger")

    def of(self, spec: Any) -> TriggerType:
        return self.get(spec.type)


class ProcessEventTrigger(TriggerType):
    """An event of the process engine on a record of the rule's table: a task overdue, or a
    process completed (``completed``, ``rejected``, ``withdrawn`` or ``cancelled`` in the
    payload's ``status``); ``process`` narrows it to one process key."""

    model = ProcessTrigger

    def __init__(self, key: str) -> None:
        self.key = key  # type: ignore[misc]

    def matches(self, spec: ProcessTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != spec.type:
            return False
        return spec.process is None or payload.get("definition") == spec.process


def builtin_triggers() -> TriggerRegistry:
    r = TriggerRegistry()
    for key in ("record.created", "record.updated", "record.deleted"):
        r.register(RecordEventTrigger(key))
    for key in ("process.task_overdue", "process.completed"):
        r.register(ProcessEventTrigger(key))
    for t in (DateRelative(), Schedule(), Inactivity(), InboundWebhook()):
        r.register(t)
    return r


Planner = Callable[[ScanContext], list[Due]]
