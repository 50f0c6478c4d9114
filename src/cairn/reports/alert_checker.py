"""The alert checker: a check measures the value (as the alert's owner), compares it with the
threshold and the state after the last check, logs the check and, at a crossing, runs its
actions (``alert_actions.py``). ``scan`` is the worker's: every alert that is due, then the
crossings whose actions did not finish.

A crossing is numbered (``alerts.crossings``) and its check row carries the key
``crossing:<n>`` (unique per alert), so a retried or resumed crossing never acts twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from cairn.auth import SYSTEM
from cairn.core import CairnError, NotFound
from cairn.reports.alert_actions import AlertActionRunner
from cairn.reports.alert_measure import AlertMeasure, owner_of
from cairn.reports.alerts import (
    AlertSchedule,
    AlertSpec,
    check_public,
    error_text,
    evaluate,
    next_check,
)
from cairn.reports.ports import Transactions, Work
from cairn.store import alerts as store

log = logging.getLogger(__name__)


class AlertChecker:
    def __init__(
        self, measure: AlertMeasure, runner: AlertActionRunner, transactions: Transactions
    ) -> None:
        self.measure = measure
        self.runner = runner
        self.tx = transactions

    def next_at(self, work: Work, schedule: AlertSchedule) -> datetime:
        return next_check(schedule, work.now, work.catalog.ctx.timezone)

    def measured(self, row: Any) -> tuple[dict[str, Any] | None, str | None]:
        """(value, unit, period) as the owner sees them now, or the reason there is none."""
        try:
            with self.tx.unit(write=False) as work:
                app = work.catalog.apps[row["app_id"]].key
                owner = owner_of(work.conn, row["owner_id"])
            spec = AlertSpec.model_validate(row["spec"])
            with self.tx.unit(write=False, principal=owner) as ow:
                return self.measure.compute(ow, app, spec), None
        except Exception as e:  # recorded in the check log; other alerts go on
            return None, error_text(e)

    def dry_run(self, alert_id: int) -> dict[str, Any]:
        """What a check now would find and what a crossing would do; logs nothing."""
        with self.tx.unit(write=False) as work:
            row = store.get(work.conn, None, alert_id)
        assert row is not None
        m, error = self.measured(row)
        spec = AlertSpec.model_validate(row["spec"])
        out: dict[str, Any] = {"dry_run": True, "state_before": row["state"], "error": error}
        if m is None:
            return out | {"value": None, "state": row["state"], "change": None, "would": []}
        e = evaluate(spec, m["value"], row["state"])
        change = "crossed" if e.crossed else "recovered" if e.recovered else None
        info, record = self.runner.context(row, m["value"], m, e.state)
        would = []
        bound = self.runner.actions.bound(SYSTEM, {})
        for i, a in enumerate(self.runner.parsed(row)):
            try:
                effect = bound.preview(a, i, info, record)
                would.append({"index": i, "type": a.type, "would": effect})
            except CairnError as err:
                would.append({"index": i, "type": a.type, "error": error_text(err)})
        return out | {
            "value": m["value"],
            "unit": m["unit"],
            "period": m["period"],
            "state": e.state,
            "change": change,
            "would_act": e.crossed,
            "would": would,
        }

    def check(self, alert_id: int, trigger: str) -> dict[str, Any]:
        """One check: the value, the state change, the check log row; a crossing's actions."""
        with self.tx.unit(write=False) as work:
            row = store.get(work.conn, None, alert_id)
        if row is None:
            raise NotFound("alert.not_found", id=alert_id)
        m, error = self.measured(row)
        crossing = None
        with self.tx.unit() as work:
            row = store.get(work.conn, None, alert_id)
            if row is None:
                raise NotFound("alert.not_found", id=alert_id)
            before = row["state"]
            base = {"alert_id": alert_id, "trigger": trigger, "checked_at": work.now, "actions": []}
            if m is None:
                store.set_state(work.conn, alert_id, last_checked_at=work.now)
                check_id = store.add_check(
                    work.conn,
                    **base,
                    state_before=before,
                    state=before,
                    status="error",
                    error=error,
                    finished_at=work.now,
                )
            else:
                e = evaluate(AlertSpec.model_validate(row["spec"]), m["value"], before)
                change = None
                if e.crossed:
                    crossing = store.cross(work.conn, alert_id, work.now)
                    change = "crossed" if crossing is not None else None
                elif e.recovered:
                    store.set_state(work.conn, alert_id, state="ok")
                    change = "recovered"
                store.set_state(
                    work.conn, alert_id, last_value=m["value"], last_checked_at=work.now
                )
                acting = crossing is not None and bool(row["actions"])
                check_id = store.add_check(
                    work.conn,
                    **base,
                    fire_key=f"crossing:{crossing}" if crossing is not None else None,
                    value=m["value"],
                    state_before=before,
                    state=e.state,
                    change=change,
                    status="running" if acting else "ok",
                    finished_at=None if acting else work.now,
                )
        if crossing is not None:
            self.runner.act(check_id, m)
        with self.tx.unit(write=False) as work:
            return check_public(store.get_check(work.conn, check_id))

    def scan(self) -> dict[str, int]:
        """Check every alert that is due (one indexed query), each claimed by moving its next
        check on, so two workers never check the same occurrence; then resume the crossings
        whose actions did not finish. One failing alert never stops the others."""
        checked = fired = recovered = errors = resumed = 0
        with self.tx.unit(write=False) as work:
            due = store.due(work.conn, work.now)
        acted: set[int] = set()
        for d in due:
            try:
                with self.tx.unit() as work:
                    row = store.get(work.conn, None, d["id"])
                    if row is None or not row["enabled"]:
                        continue
                    schedule = AlertSchedule.model_validate(row["schedule"])
                    if not store.claim(
                        work.conn, d["id"], d["next_check_at"], self.next_at(work, schedule)
                    ):
                        continue
                out = self.check(d["id"], "schedule")
            except Exception as e:
                errors += 1
                log.exception("alert %s: check failed", d["id"])
                self.record_failure(d["id"], e)
                continue
            checked += 1
            acted.add(out["id"])
            fired += out["change"] == "crossed"
            recovered += out["change"] == "recovered"
            errors += out["status"] in ("error", "failed")
        with self.tx.unit(write=False) as work:
            pending = [p for p in store.unfinished(work.conn) if p["id"] not in acted]
        for p in pending:
            try:
                self.runner.act(p["id"])
                resumed += 1
            except Exception:
                log.exception("alert check %s: resuming the actions failed", p["id"])
        return {
            "checked": checked,
            "fired": fired,
            "recovered": recovered,
            "errors": errors,
            "resumed": resumed,
        }

    def purge(self, days: int = 90) -> int:
        """Forget quiet checks (no change, no error) older than ``days``; how many."""
        with self.tx.unit() as work:
            return store.purge_checks(work.conn, work.now - timedelta(days=days))

    def record_failure(self, alert_id: int, e: BaseException) -> None:
        """An unexpected failure of a whole check, in the check log (best effort)."""
        try:
            with self.tx.unit() as work:
                row = store.get(work.conn, None, alert_id)
                if row is None:
                    return
                store.add_check(
                    work.conn,
                    alert_id=alert_id,
                    trigger="schedule",
                    state_before=row["state"],
                    state=row["state"],
                    status="error",
                    actions=[],
                    error=error_text(e),
                    checked_at=work.now,
                    finished_at=work.now,
                )
        except Exception:
            log.exception("alert %s: the failure could not be recorded", alert_id)
