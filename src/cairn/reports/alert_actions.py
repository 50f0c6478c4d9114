"""A crossing's actions: the rule engine's actions (through ``ports.AlertActions``) run once
in effect per (alert, crossing, action), each marked done in the check log in the transaction
of its effect; a failure is logged, and one a retry may cure leaves the check running for the
next scan."""

from __future__ import annotations

import logging
import time
from typing import Any

from cairn.core import CairnError, NotFound
from cairn.core.actionlog import entry, merge
from cairn.reports.alert_measure import owner_of
from cairn.reports.alerts import MAX_ATTEMPTS, AlertSpec, error_text
from cairn.reports.ports import AlertActions, Transactions, Work
from cairn.store import alerts as store

log = logging.getLogger(__name__)


def created_record(entries: list[dict[str, Any]]) -> int | None:
    """The record the last ``create_record`` action of this crossing made (a ``start_process``
    after it starts on that record)."""
    rid = None
    for e in entries:
        if e.get("type") == "create_record" and e.get("status") == "ok":
            records = (e.get("result") or {}).get("records") or []
            if records:
                rid = records[0]
    return rid


def shown_number(v: Any) -> Any:
    """A whole number as a message shows it (a count measured as 4.0 reads 4); anything else
    as it is (a template rounds with ``{{ value | round(1) }}``)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class AlertActionRunner:
    def __init__(self, actions: AlertActions, transactions: Transactions) -> None:
        self.actions = actions
        self.tx = transactions

    def parsed(self, row: Any) -> list[Any]:
        return self.actions.parse(row["actions"] or [])

    def context(
        self, row: Any, value: Any, m: dict[str, Any] | None, state: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(what the rule engine's actions read as the rule, as the record) for an alert."""
        spec = AlertSpec.model_validate(row["spec"])
        with self.tx.unit(write=False) as work:
            app = work.catalog.apps[row["app_id"]]
            try:
                schema = work.catalog.table(app.key, spec.table or "")
                table_key, table_id = schema.table.key, schema.id
            except NotFound:
                table_key, table_id = spec.table or "", None
        period = (m or {}).get("period") or {}
        alert = {
            "id": row["id"],
            "key": row["key"],
            "name": row["name"],
            "value": shown_number(value),
            "threshold": shown_number(spec.threshold),
            "op": spec.op,
            "unit": (m or {}).get("unit") or "",
            "period": f"{period['start']} – {period['end']}" if period else "",
            "state": state,
        }
        info = {
            "id": row["id"],
            "key": row["key"],
            "name": row["name"],
            "app": app.key,
            "table": table_key,
            "app_id": app.id,
            "table_id": table_id,
            "owner_id": row["owner_id"],
            "secret": None,
            "targets": {},
            "field_kinds": {},
            "field_names": {},
            "link": f"/apps/{app.key}/alerts/{row['id']}",
        }
        record = {**alert, "owner_id": row["owner_id"], "alert": alert}
        record.pop("id")
        return info, record

    def act(self, check_id: int, m: dict[str, Any] | None = None) -> None:
        """Run (or resume) the actions of a crossing: each at most once in effect (the key
        ``alert:<id>:crossing:<n>:<action>``, marked done with its effect). A failure is kept
        in the log; one a retry may cure leaves the check running for the next scan."""
        with self.tx.unit() as work:
            ck = store.get_check(work.conn, check_id)
            if ck is None or ck["status"] != "running":
                return
            row = store.get(work.conn, None, ck["alert_id"])
            attempts = ck["attempts"] + 1
            store.set_check(work.conn, check_id, attempts=attempts)
            if row is None:
                store.set_check(
                    work.conn,
                    check_id,
                    status="failed",
                    error="the alert is gone",
                    finished_at=work.now,
                )
                return
            try:
                owner = owner_of(work.conn, row["owner_id"])
            except CairnError as e:
                store.set_check(
                    work.conn, check_id, status="failed", error=error_text(e), finished_at=work.now
                )
                return
        if m is None:
            m = {"unit": None, "period": None}
        info, record = self.context(row, ck["value"], m, "firing")
        actions = self.parsed(row)
        log_entries: list[dict[str, Any]] = list(ck["actions"] or [])
        done = {e["index"] for e in log_entries if e.get("status") == "ok"}
        todo = [i for i in range(len(actions)) if i not in done]
        if not todo:
            with self.tx.unit() as work:
                store.set_check(work.conn, check_id, status="ok", error=None, finished_at=work.now)
            return
        bound = self.actions.bound(owner, {"alert_id": row["id"]})
        last = todo[-1]
        run_key = ck["fire_key"]
        for i in todo:
            a = actions[i]
            t0 = time.perf_counter()
            created = created_record(log_entries)

            def mark(work: Work, result: Any, i: int = i, t0: float = t0, a: Any = a) -> None:
                ms = (time.perf_counter() - t0) * 1000
                entries = merge(log_entries, entry(i, a.type, "ok", ms, result))
                settled = (
                    {"status": "ok", "error": None, "finished_at": work.now} if i == last else {}
                )
                store.set_check(work.conn, check_id, actions=entries, **settled)
                log_entries[:] = entries

            try:
                key = f"alert:{row['id']}:{run_key}:{i}"
                bound.run(a, i, info, created, record, key, mark)
            except Exception as e:
                ms = (time.perf_counter() - t0) * 1000
                msg = error_text(e)
                retryable = getattr(e, "retryable", not isinstance(e, CairnError))
                give_up = not retryable or attempts >= MAX_ATTEMPTS
                log.warning("alert %s: action %s failed: %s", row["id"], i, msg)
                with self.tx.unit() as work:
                    store.set_check(
                        work.conn,
                        check_id,
                        actions=merge(log_entries, entry(i, a.type, "failed", ms, error=msg)),
                        error=msg,
                        **({"status": "failed", "finished_at": work.now} if give_up else {}),
                    )
                return
