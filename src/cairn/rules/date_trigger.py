"""The date-relative trigger, a scanned one: ``offset`` from a date or datetime field. Its scan
is one SQL query over the rule's table listing the records due now and not yet fired for the
same date value, with index-friendly bounds computed here (``scanner`` runs it)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.rules.spec import DateTrigger
from cairn.rules.trigger_base import (
    CheckContext,
    Due,
    Outlook,
    ScanContext,
    TriggerType,
    check_filter,
)


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
