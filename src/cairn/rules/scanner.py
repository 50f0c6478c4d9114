"""Scans: the firings date, schedule and inactivity rules have due (each a fired-once row and
an outbox event), waits that are over, and a rule's forecast."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from cairn.core import Event
from cairn.rules import runlog
from cairn.rules.compiled import Compiled
from cairn.rules.ports import Work
from cairn.rules.public import iso
from cairn.rules.trigger_base import GRACE, SCAN_LIMIT, ScanContext
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine

log = logging.getLogger(__name__)

#: A forecast lists this many firings (its total and days count them all).
MAX_ITEMS = 1000


def scan_context(
    engine: RuleEngine, work: Work, c: Compiled, limit: int | None = SCAN_LIMIT
) -> ScanContext:
    return ScanContext(
        work.conn,
        work.catalog,
        c.schema,
        c.id,
        c.row["armed_at"],
        work.now,
        engine.runtime.clock,
        limit,
    )


def scan(engine: RuleEngine) -> dict[str, int]:
    """Fire what is due (date, schedule and inactivity rules) and resume finished waits: each
    a fired-once row and an outbox event, in one transaction per rule. Run by one periodic
    job every minute; what came due while no worker ran fires now, marked late."""
    fired = late = resumed = 0
    runtime = engine.runtime
    for rule_id in engine.scan_rule_ids():
        try:
            with runtime.work() as work:
                c = engine.compiled(work, rule_id)
                if c is None or c.kind != "scan":
                    continue
                n, n_late = fire(engine, work, c)
                fired += n
                late += n_late
        except Exception:  # one broken rule must not stop the others
            log.exception("rule %s: scan failed", rule_id)
    with runtime.work() as work:
        for job in store.take_due_jobs(work.conn, work.now):
            resumed += 1
            rule = store.get(work.conn, None, job["rule_id"])
            if rule is None:
                continue
            work.emit(
                Event(
                    runlog.RESUME,
                    rule["app_id"],
                    rule["table_id"],
                    job["payload"].get("record_id"),
                    {
                        **job["payload"],
                        "rule_id": job["rule_id"],
                        "run_id": job["run_id"],
                        "late": work.now - job["due_at"] > GRACE,
                    },
                )
            )
    return {"fired": fired, "late": late, "resumed": resumed}


def fire(engine: RuleEngine, work: Work, c: Compiled) -> tuple[int, int]:
    """The rule's due firings, in ``work``: (how many fired, how many of them late)."""
    ctx = scan_context(engine, work, c)
    dues = engine.triggers.of(c.spec.trigger).due(c.spec.trigger, ctx)
    if not dues:
        return 0, 0
    armed = c.row["armed_at"]
    rows = [(d.record_id, d.fire_key, d.due_at, d.late(work.now, armed)) for d in dues]
    store.insert_firings(
        work.conn,
        [
            {
                "rule_id": c.id,
                "record_id": rid,
                "fire_key": key,
                "due_at": due,
                "fired_at": work.now,
                "late": is_late,
            }
            for rid, key, due, is_late in rows
        ],
    )
    n = n_late = 0
    skipped = {(d.record_id, d.fire_key) for d in dues if d.skip}
    for rid, key, due, is_late in rows:
        if not rid or (rid, key) in skipped:
            continue  # a schedule's occurrence marker; one skipped (fired-once, no run)
        n += 1
        n_late += is_late
        work.emit(
            Event(
                runlog.FIRED,
                c.schema.app.id,
                c.schema.id,
                rid,
                {
                    "rule_id": c.id,
                    "run_key": f"fire:{rid}:{key}",
                    "trigger": c.spec.trigger.type,
                    "late": is_late,
                    "due_at": iso(due),
                },
            )
        )
    return n, n_late


def forecast(engine: RuleEngine, work: Work, c: Compiled, days: int) -> dict[str, Any]:
    """The firings a scanned rule has coming in the next ``days``: the first ``MAX_ITEMS``
    (soonest first), the exact total, and the firings per local day of the window (every day,
    none too; one already due counts today: it fires at the next scan). A schedule's
    occurrences are items of their own (no record) but not counted per day. The trigger counts
    them (``TriggerType.outlook``): a date, schedule or inactivity rule builds only the firings
    listed, not every one it counts."""
    ctx = scan_context(engine, work, c, limit=None)
    until: datetime = work.now + timedelta(days=days)
    out = engine.triggers.of(c.spec.trigger).outlook(c.spec.trigger, ctx, until, MAX_ITEMS)
    items = [
        {
            "record_id": d.record_id or None,
            "fire_key": d.fire_key,
            "due_at": iso(d.due_at),
            "overdue": d.due_at <= ctx.now,
        }
        for d in out.items
    ]
    return {
        "days": days,
        "items": items,
        "total": out.total,
        "per_day": per_day(out.moments, ctx.now, until, ctx.tz),
    }


def per_day(
    moments: Counter[datetime], now: datetime, until: datetime, tz: tzinfo
) -> list[dict[str, Any]]:
    """Record firings (how many per moment, UTC naive) per local date from today to
    ``until``'s date; one already due counts today."""

    def local(moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(tz).date()

    counts: Counter[date] = Counter()
    for m, n in moments.items():
        counts[local(max(m, now))] += n
    first, last = local(now), local(until)
    out = []
    day = first
    while day <= last:
        out.append({"date": day.isoformat(), "count": counts.get(day, 0)})
        day += timedelta(days=1)
    return out
