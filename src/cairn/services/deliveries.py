"""Deliveries (administrators): every message and webhook sent through an outside channel
with its status, attempts, last error and the provider's answer; replay one (one more attempt
with the same idempotency key, audit-logged) or every failed one of a channel or rule; the
counts the admin menu shows. The worker's retries (``retry_due``) run here too."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Entry, Principal, require_admin
from cairn.auth.audit import naive_utc
from cairn.core import Invalid, NotFound, id_from_text
from cairn.integrations import redelivery
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import deliveries as store
from cairn.store.system import rules as rules_table

if TYPE_CHECKING:
    from cairn.integrations.sending import Sender
    from cairn.services.context import Services

MAX_LIMIT = 500
#: Replay-all takes the matching deliveries this many at a time.
REPLAY_BATCH = 200
FAILED = (store.RETRYING, store.DEAD)


def _at(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


class DeliveryService:
    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def sender(self) -> Sender:
        return self.s.notify.sender

    # -- reading ---------------------------------------------------------------------------------
    def list(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        channel: str | None = None,
        rule_id: int | None = None,
        q: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Deliveries newest first, narrowed by the filters; ``total`` counts every match.
        ``status`` may name several (``retrying,dead``)."""
        require_admin(principal)
        statuses = [x for x in (status or "").split(",") if x]
        for x in statuses:
            if x not in store.STATUSES:
                raise Invalid.on("status", "value.choice", value=x)
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid.on("limit", "value.max", max=MAX_LIMIT)
        before = id_from_text(cursor) if cursor else None
        if cursor and before is None:
            raise Invalid.on("cursor", "notify.cursor")
        f = store.Filter(
            status=statuses,
            channel=channel or None,
            rule_id=rule_id,
            q=(q or "").strip()[:200] or None,
            since=naive_utc(since),
            until=naive_utc(until),
        )
        with unit_of_work(self.s, write=False) as uow:
            rows = store.page(uow.conn, f, before=before, limit=limit + 1)
            total = store.count(uow.conn, f)
            more = len(rows) > limit
            rows = rows[:limit]
            items = self._public(uow, rows)
        return {
            "items": items,
            "next_cursor": str(rows[-1]["id"]) if more and rows else None,
            "total": total,
        }

    def get(self, principal: Principal, delivery_id: int) -> dict[str, Any]:
        """One delivery with what it keeps to be sent again and every attempt."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return self._detail(uow, delivery_id)

    def summary(self, principal: Principal) -> dict[str, int]:
        """How many deliveries are dead and how many wait for a retry (the admin menu)."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            return store.by_status(uow.conn, FAILED)

    # -- replaying -------------------------------------------------------------------------------
    def replay(self, principal: Principal, delivery_id: int) -> dict[str, Any]:
        """One more attempt now, whatever the status, with the same idempotency key; the
        delivery after it."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            row = store.get(uow.conn, delivery_id)
        if row is None:
            raise NotFound("delivery.not_found", id=delivery_id)
        done = redelivery.replay(self.sender, row, principal.user_id)
        with unit_of_work(self.s, principal=principal) as uow:
            uow.audit(
                Entry(
                    "delivery.replay",
                    "delivery",
                    str(delivery_id),
                    details={"channel": row["channel"], "status": done.status},
                )
            )
            return self._detail(uow, delivery_id)

    def replay_all(self, principal: Principal, body: dict[str, Any]) -> dict[str, int]:
        """Replay every ``retrying`` or ``dead`` delivery of a channel and/or a rule (one of
        them at least): how many were replayed, sent and failed again."""
        require_admin(principal)
        channel = body.get("channel")
        rule_id = body.get("rule_id")
        if channel is not None and (not isinstance(channel, str) or not channel):
            raise Invalid.on("channel", "filter.shape")
        if rule_id is not None and (isinstance(rule_id, bool) or not isinstance(rule_id, int)):
            raise Invalid.on("rule_id", "filter.shape")
        if channel is None and rule_id is None:
            raise Invalid.on("channel", "delivery.replay_scope")
        f = store.Filter(status=FAILED, channel=channel, rule_id=rule_id)
        out = {"replayed": 0, "sent": 0, "failed": 0}
        # Only what failed before the replay began: a replay that fails again is not
        # taken a second time.
        with unit_of_work(self.s, write=False) as uow:
            todo = []
            after = 0
            while True:
                batch = store.ids(uow.conn, f, after=after, limit=REPLAY_BATCH)
                if not batch:
                    break
                todo.extend(batch)
                after = batch[-1]
        for delivery_id in todo:
            with unit_of_work(self.s, write=False) as uow:
                row = store.get(uow.conn, delivery_id)
            if row is None or row["status"] not in FAILED:
                continue  # sent meanwhile (a worker's retry)
            done = redelivery.replay(self.sender, row, principal.user_id)
            out["replayed"] += 1
            out["sent" if done.status == store.SENT else "failed"] += 1
        with unit_of_work(self.s, principal=principal) as uow:
            uow.audit(
                Entry(
                    "delivery.replay_all",
                    "delivery",
                    channel or f"rule:{rule_id}",
                    details={"channel": channel, "rule_id": rule_id, **out},
                )
            )
        return out

    def retry_due(self, limit: int = 100) -> dict[str, int]:
        """The worker's part: the retries that are due (``redelivery.retry_due``)."""
        return redelivery.retry_due(self.sender, limit)

    # -- shapes ----------------------------------------------------------------------------------
    def _detail(self, uow: UnitOfWork, delivery_id: int) -> dict[str, Any]:
        row = store.get(uow.conn, delivery_id)
        if row is None:
            raise NotFound("delivery.not_found", id=delivery_id)
        [item] = self._public(uow, [row])
        item["payload"] = row["payload"] or {}
        item["idempotency_key"] = row["idempotency_key"]
        # In the detail ``attempts`` is the list of them (the list's count: ``attempt_count``).
        item["attempt_count"] = row["attempts"]
        item["attempts"] = [
            {
                "at": _at(a["at"]),
                "status": a["status"],
                "error": a["error"],
                "response": a["response"],
                "ms": a["ms"],
                "replay_by": a["replay_by"],
            }
            for a in store.attempts(uow.conn, delivery_id)
        ]
        return item

    def _public(self, uow: UnitOfWork, rows: list[Any]) -> list[dict[str, Any]]:
        """Rows as the API shows them, each with its rule and record named (one look-up of
        the rules for the page)."""
        rule_ids = sorted({r["rule_id"] for r in rows if r["rule_id"] is not None})
        rules: dict[int, Any] = {}
        if rule_ids:
            q = sa.select(
                rules_table.c.id, rules_table.c.key, rules_table.c.name, rules_table.c.app_id
            ).where(rules_table.c.id.in_(rule_ids))
            rules = {r.id: r for r in uow.conn.execute(q)}
        cat = uow.catalog
        out = []
        for r in rows:
            rule = rules.get(r["rule_id"]) if r["rule_id"] is not None else None
            app = cat.apps.get(rule.app_id) if rule is not None else None
            record = None
            schema = cat.schemas.get(r["table_id"]) if r["table_id"] is not None else None
            if schema is not None and r["record_id"] is not None:
                record = {"app": schema.app.key, "table": schema.table.key, "id": r["record_id"]}
            out.append(
                {
                    "id": r["id"],
                    "channel": r["channel"],
                    "kind": r["kind"] or r["channel"].partition(":")[0],
                    "recipient": r["recipient"],
                    "status": r["status"],
                    "attempts": r["attempts"],
                    "error": r["error"],
                    "response": r["response"],
                    "subject": r["subject"],
                    "created_at": _at(r["created_at"]),
                    "updated_at": _at(r["updated_at"]),
                    "sent_at": _at(r["sent_at"]),
                    "next_attempt_at": _at(r["next_attempt_at"]),
                    "rule": {
                        "id": rule.id,
                        "key": rule.key,
                        "name": rule.name,
                        "app": app.key if app is not None else None,
                    }
                    if rule is not None
                    else None,
                    "run_id": r["run_id"],
                    "record": record,
                }
            )
        return out
