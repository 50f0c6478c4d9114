"""Scanned triggers: date-relative, schedule and inactivity. Each plans a **scan**: one SQL
query over the rule's table that lists the records due now (and not yet fired for the same date
value, occurrence or quiet spell), pushed down to the database with index-friendly bounds
computed here. Each due record becomes a fired-once row (``rule_firings``, unique per rule,
record and fire key) and an outbox event in one transaction (``scanner``).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from croniter import CroniterBadDateError, croniter

from cairn.core import Invalid
from cairn.query.expand import links
from cairn.rules.spec import DateTrigger, InactivityTrigger, ScheduleTrigger
from cairn.rules.trigger_base import (
    MAX_OCCURRENCES,
    CheckContext,
    Due,
    Outlook,
    ScanContext,
    TriggerType,
    check_filter,
)
from cairn.store import system
from cairn.store.catalog import Catalog, TableSchema


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
        check_filter(spec, ctx)

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
        dues = self._due(spec, ctx, until)
        if spec.inside_window == "skip":
            # entered inside the window: its moment had passed when the record last changed
            return [
                d._replace(skip=True) if (d.changed or d.due_at) > d.due_at else d for d in dues
            ]
        return dues

    def outlook(self, spec: DateTrigger, ctx: ScanContext, until: datetime, first: int) -> Outlook:
        """Plain (not yearly, not skipping) rules on a date field: one ordered read of the
        window's records (the scan's query, without a limit), counted per date value here,
        each date's moment computed once; only the ``first`` become firings."""
        s, t = ctx.schema, ctx.schema.sa_table
        f = s.by_key[spec.field]
        if spec.yearly or spec.inside_window == "skip" or s.types[f.id].value_type != "date":
            return super().outlook(spec, ctx, until, first)
        lo, hi = self._date_bounds(spec, ctx.tz, ctx.armed_at, until)
        if lo > hi:
            return Outlook([], 0, Counter())
        col = t.c[f.column_name]
        key = sa.cast(col, sa.String)
        where = [t.c.deleted_at.is_(None), col.is_not(None), col >= lo, col <= hi]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        where.append(ctx.not_fired(t.c.id, key))
        # psycopg makes dates fast; SQLite's are read as stored, their text (the fire key)
        value = col if ctx.conn.dialect.name == "postgresql" else sa.type_coerce(col, sa.String)
        q = sa.select(t.c.id, value).where(*where).order_by(col, t.c.id)
        rows = ctx.conn.execute(q).all()
        per_value = Counter(map(itemgetter(1), rows))
        at, off, tz = self._at(spec), spec.offset_seconds, ctx.tz
        when: dict[Any, tuple[str, datetime]] = {}  # value → (fire key, moment)
        moments: Counter[datetime] = Counter()
        for v, n in per_value.items():
            d = v if isinstance(v, date) else date.fromisoformat(v[:10])
            when[v] = (
                str(v) if isinstance(v, str) else d.isoformat(),
                _local_moment(d, at, off, tz),
            )
            moments[when[v][1]] += n
        items = [Due(r[0], *when[r[1]]) for r in rows[:first]]
        return Outlook(items, len(rows), moments)

    def _due(self, spec: DateTrigger, ctx: ScanContext, until: datetime | None) -> list[Due]:
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
            rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(ctx.limit)).all()
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
                rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(ctx.limit)).all()
                per_date: dict[date, tuple[str, datetime]] = {}  # rows share a few hundred
                out = []
                for r in rows:
                    kd = per_date.get(r[1])
                    if kd is None:
                        kd = per_date[r[1]] = (r[1].isoformat(), _local_moment(r[1], at, off, tz))
                    out.append(Due(r[0], kd[0], kd[1], r[2]))
                return out
            q = sa.select(t.c.id, key, sa.cast(t.c.updated_at, sa.String)).where(
                *where, col >= lo_d, col <= hi_d, not_fired
            )
            rows = ctx.conn.execute(q.order_by(col, t.c.id).limit(ctx.limit)).all()
            return [
                Due(
                    r[0],
                    r[1],
                    _local_moment(date.fromisoformat(r[1][:10]), at, off, tz),
                    r[2],
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
            for r in ctx.conn.execute(q.order_by(t.c.id).limit(ctx.limit)).all():
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


# -- schedule ---------------------------------------------------------------------------------
#: A schedule with no occurrence within this many years is refused as never firing.
NEVER_YEARS = 5
#: Occurrences a forecast lists at most (every minute for 30 days would be 43,200).
FORECAST_OCCURRENCES = 2000


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
        if ctx.saving is not None and not self.next_times(
            spec, ctx.catalog.ctx.timezone, ctx.saving.now, 1
        ):
            raise Invalid.on(f"{ctx.loc}.cron", "rule.cron_never", cron=spec.cron)
        check_filter(spec, ctx)

    def next_times(
        self, spec: ScheduleTrigger, tz: tzinfo, after: datetime, n: int
    ) -> list[datetime]:
        """The next ``n`` occurrences after ``after`` within ``NEVER_YEARS`` (UTC, naive);
        fewer (none) for an expression that fires rarely (never: ``0 0 30 2 *``)."""
        horizon = after + timedelta(days=365 * NEVER_YEARS + 2)
        out: list[datetime] = []
        try:
            for occ in self.occurrences(spec, tz, after, horizon):
                out.append(occ)
                if len(out) >= n:
                    break
        except (CroniterBadDateError, ValueError, KeyError):
            pass
        return out

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

    def _matching_where(
        self, spec: ScheduleTrigger, ctx: ScanContext, key: str | None
    ) -> list[Any]:
        t = ctx.schema.sa_table
        where = [t.c.deleted_at.is_(None)]
        if key is not None:
            where.append(ctx.not_fired(t.c.id, sa.literal(key)))
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        return where

    def matching(
        self, spec: ScheduleTrigger, ctx: ScanContext, key: str | None, limit: int | None = -1
    ) -> list[int]:
        """The records an occurrence acts on (``key``: not yet fired for it), the first
        ``limit`` (-1: the context's)."""
        t = ctx.schema.sa_table
        q = sa.select(t.c.id).where(*self._matching_where(spec, ctx, key)).order_by(t.c.id)
        q = q.limit(ctx.limit if limit == -1 else limit)
        return list(ctx.conn.execute(q).scalars())

    def count_matching(self, spec: ScheduleTrigger, ctx: ScanContext, key: str | None) -> int:
        """How many records an occurrence acts on (a forecast's count, none of them read)."""
        t = ctx.schema.sa_table
        q = sa.select(sa.func.count(t.c.id)).where(*self._matching_where(spec, ctx, key))
        return int(ctx.conn.execute(q).scalar_one())

    def due(
        self, spec: ScheduleTrigger, ctx: ScanContext, until: datetime | None = None
    ) -> list[Due]:
        """Occurrences due since the last planned one, each with every matching record; the
        occurrence itself is marked planned (record 0). Without a limit (what a forecast
        counts, ``outlook``) it takes up to ``FORECAST_OCCURRENCES`` and reads the matching
        records once for those to come (none of them has fired yet)."""
        out: list[Due] = []
        start = self.last_planned(ctx)
        most = MAX_OCCURRENCES if ctx.limit is not None else FORECAST_OCCURRENCES
        coming: list[int] | None = None
        for i, occ in enumerate(self.occurrences(spec, ctx.tz, start, until or ctx.now)):
            if i >= most:
                break
            key = occ.isoformat(timespec="minutes")
            out.append(Due(0, key, occ))
            if ctx.limit is None and occ > ctx.now:
                if coming is None:
                    coming = self.matching(spec, ctx, None)
                ids = coming
            else:
                ids = self.matching(spec, ctx, key)
            out.extend(Due(rid, key, occ) for rid in ids)
        return out

    def outlook(
        self, spec: ScheduleTrigger, ctx: ScanContext, until: datetime, first: int
    ) -> Outlook:
        """What ``due`` lists for a forecast (up to ``FORECAST_OCCURRENCES`` occurrences, each
        followed by its records), counted in the database: an occurrence's records are read
        only while the list has room (the occurrences to come share one count and one read)."""
        items: list[Due] = []
        total = 0
        moments: Counter[datetime] = Counter()
        coming: tuple[int, list[int]] | None = None
        start = self.last_planned(ctx)
        for i, occ in enumerate(self.occurrences(spec, ctx.tz, start, until)):
            if i >= FORECAST_OCCURRENCES:
                break
            key = occ.isoformat(timespec="minutes")
            room = first - len(items)
            if occ > ctx.now:
                if coming is None:
                    n = self.count_matching(spec, ctx, None)
                    coming = (n, self.matching(spec, ctx, None, room - 1) if n and room > 1 else [])
                n, ids = coming
            else:
                n = self.count_matching(spec, ctx, key)
                ids = self.matching(spec, ctx, key, room - 1) if n and room > 1 else []
            total += 1 + n
            if n:
                moments[occ] += n
            if room > 0:
                items.append(Due(0, key, occ))
                items.extend(Due(rid, key, occ) for rid in ids[: room - 1])
        return Outlook(items, total, moments)


# -- inactivity -------------------------------------------------------------------------------
class Inactivity(TriggerType):
    """No linked record (through any of the ``sources``' relations) newer than ``days``: the
    quiet spell starts at the newest linked record of all sources (its ``date_field``, else
    its creation), or at the record's own creation when it has none. One firing per quiet
    spell (its start is the fire key).

    Every moment is compared as a date and time: a date field counts from its midnight
    (``moment``), so a date source and a datetime source (or the creation time) compare on
    both databases (SQLite keeps them as texts of different shapes)."""

    key = "inactivity"
    model = InactivityTrigger
    kind = "scan"

    def check(self, spec: InactivityTrigger, ctx: CheckContext) -> None:
        for i, src in enumerate(spec.sources):
            loc = f"sources.{i}"
            f = ctx.field(src.relation, f"{loc}.relation")
            if not f.is_relation:
                raise Invalid.on(f"{ctx.loc}.{loc}.relation", "rule.relation", field=src.relation)
            if src.date_field is not None:
                target = ctx.catalog.schema(int(f.options["target_table_id"]))
                tf = target.by_key.get(src.date_field)
                if tf is None or target.types[tf.id].value_type not in ("date", "datetime"):
                    raise Invalid.on(
                        f"{ctx.loc}.{loc}.date_field", "rule.field_type", field=src.date_field
                    )
        check_filter(spec, ctx)

    def last_activity(
        self, spec: InactivityTrigger, catalog: Catalog, schema: TableSchema, dialect: str
    ) -> Any:
        """The moment the quiet spell starts, per record (a correlated expression)."""
        t = schema.sa_table
        newest = []
        for src in spec.sources:
            lk = links(catalog, schema.by_key[src.relation], t)
            rows = lk.target_rows
            if src.date_field is None:
                moment = rows.c.created_at
            else:
                tf = lk.target.by_key[src.date_field]
                col = rows.c[tf.column_name]
                is_date = lk.target.types[tf.id].value_type == "date"
                moment = as_moment(col, dialect) if is_date else col
            newest.append(lk.select(sa.func.max(moment)).scalar_subquery())
        if len(newest) == 1:
            latest: Any = newest[0]
        elif dialect == "postgresql":
            latest = sa.func.greatest(*newest)  # leaves NULLs out
        else:  # SQLite's max() of several is NULL when one is: a floor stands in for none
            floor = sa.literal(NO_ACTIVITY)
            latest = sa.func.nullif(
                sa.func.max(*(sa.func.coalesce(n, floor) for n in newest)), floor
            )
        return sa.func.coalesce(latest, t.c.created_at, type_=sa.DateTime)

    def _quiet(self, spec: InactivityTrigger, ctx: ScanContext, until: datetime) -> sa.Select[Any]:
        """The records quiet by ``until`` and not fired for that spell: id and fire key."""
        t = ctx.schema.sa_table
        last = self.last_activity(spec, ctx.catalog, ctx.schema, ctx.conn.dialect.name)
        key = sa.cast(last, sa.String)
        where = [t.c.deleted_at.is_(None), last <= until - timedelta(days=spec.days)]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        return sa.select(t.c.id, key.label("k")).where(*where, ctx.not_fired(t.c.id, key))

    def due(
        self, spec: InactivityTrigger, ctx: ScanContext, until: datetime | None = None
    ) -> list[Due]:
        q = self._quiet(spec, ctx, until or ctx.now)
        quiet = timedelta(days=spec.days)
        out = []
        for r in ctx.conn.execute(q.order_by(q.selected_columns.id).limit(ctx.limit)).all():
            out.append(Due(r[0], str(r[1]), _parse_moment(r[1]) + quiet))
        return out

    def outlook(
        self, spec: InactivityTrigger, ctx: ScanContext, until: datetime, first: int
    ) -> Outlook:
        """One read of every quiet record, counted per spell start (each start parsed once);
        only the ``first`` (soonest, then by record) become firings."""
        rows = ctx.conn.execute(self._quiet(spec, ctx, until)).all()
        quiet = timedelta(days=spec.days)
        ends = {k: _parse_moment(k) + quiet for k in {r[1] for r in rows}}
        moments: Counter[datetime] = Counter()
        for r in rows:
            moments[ends[r[1]]] += 1
        soonest = heapq.nsmallest(first, rows, key=lambda r: (ends[r[1]], r[0]))
        return Outlook([Due(r[0], str(r[1]), ends[r[1]]) for r in soonest], len(rows), moments)


#: Below every moment: what a source without linked records counts as on SQLite.
NO_ACTIVITY = "0000-00-00"


def as_moment(col: Any, dialect: str) -> Any:
    """A date column as the date and time of its midnight (the shape of a stored datetime)."""
    if dialect == "postgresql":
        return sa.cast(col, sa.DateTime)
    return sa.func.datetime(col, type_=sa.DateTime)


def _parse_moment(v: Any) -> datetime:
    """A moment read back as text (the fire key): ``2026-01-05 09:00:00.000000`` (SQLite),
    ``2026-01-05 09:00:00`` (PostgreSQL), or a bare date (midnight)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, date):
        return datetime.combine(v, time(0))
    return datetime.fromisoformat(str(v)).replace(tzinfo=None)
