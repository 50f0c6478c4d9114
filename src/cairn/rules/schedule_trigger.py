"""The schedule trigger, a scanned one: a cron expression in the workspace's time zone, for
every record matching the rule's filter. Its scan lists the records of the occurrences due now
and not yet fired for them (``scanner`` runs it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from croniter import CroniterBadDateError, croniter

from cairn.core import Invalid
from cairn.rules.spec import ScheduleTrigger
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
