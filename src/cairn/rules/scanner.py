"""Scans: the firings date, schedule and inactivity rules have due (each a fired-once row and
an outbox event), waits that are over, and a rule's forecast."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cairn.core import Event
from cairn.rules import runlog
from cairn.rules.compiled import Compiled
from cairn.rules.ports import Work
from cairn.rules.public import iso
from cairn.rules.trigger_base import GRACE, Due, ScanContext
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine

log = logging.getLogger(__name__)


def scan_context(engine: RuleEngine, work: Work, c: Compiled) -> ScanContext:
    return ScanContext(
        work.conn, work.catalog, c.schema, c.id, c.row["armed_at"], work.now, engine.runtime.clock
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
    for rid, key, due, is_late in rows:
        if not rid:
            continue  # a schedule's occurrence marker
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
    """The firings a scanned rule has coming in the next ``days`` (the first 1000)."""
    ctx = scan_context(engine, work, c)
    until: datetime = work.now + timedelta(days=days)
    dues: list[Due] = list(engine.triggers.of(c.spec.trigger).due(c.spec.trigger, ctx, until))
    items = [
        {
            "record_id": d.record_id or None,
            "fire_key": d.fire_key,
            "due_at": iso(d.due_at),
            "overdue": d.due_at <= ctx.now,
        }
        for d in sorted(dues, key=lambda d: (d.due_at, d.record_id))
    ]
    return {"days": days, "items": items[:1000], "total": len(items)}
