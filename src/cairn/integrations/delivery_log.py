"""The delivery log as the administrators read it: every message and webhook sent through an
outside channel with its status, attempts, last error and the provider's answer, each with the
rule and the record it came from named; the filters of the list and the counts of the admin
menu. Reads only, in the caller's transaction (sending again: ``redelivery``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth.audit import naive_utc
from cairn.core import Invalid, NotFound, id_from_text
from cairn.store import Catalog
from cairn.store import deliveries as store

#: The longest page of the list.
MAX_LIMIT = 500


def at(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def narrowed(
    *,
    status: str | None = None,
    channel: str | None = None,
    rule_id: int | None = None,
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> store.Filter:
    """The list's filters (``status`` may name several: ``retrying,dead``); ``Invalid`` on an
    unknown status."""
    statuses = [x for x in (status or "").split(",") if x]
    for x in statuses:
        if x not in store.STATUSES:
            raise Invalid.on("status", "value.choice", value=x)
    return store.Filter(
        status=statuses,
        channel=channel or None,
        rule_id=rule_id,
        q=(q or "").strip()[:200] or None,
        since=naive_utc(since),
        until=naive_utc(until),
    )


def page(
    conn: sa.Connection, catalog: Catalog, f: store.Filter, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Deliveries newest first, after ``cursor``; ``total`` counts every match."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.on("limit", "value.max", max=MAX_LIMIT)
    before = id_from_text(cursor) if cursor else None
    if cursor and before is None:
        raise Invalid.on("cursor", "notify.cursor")
    rows = store.page(conn, f, before=before, limit=limit + 1)
    total = store.count(conn, f)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": public(conn, catalog, rows),
        "next_cursor": str(rows[-1]["id"]) if more and rows else None,
        "total": total,
    }


def detail(conn: sa.Connection, catalog: Catalog, delivery_id: int) -> dict[str, Any]:
    """One delivery with what it keeps to be sent again and every attempt."""
    row = store.get(conn, delivery_id)
    if row is None:
        raise NotFound("delivery.not_found", id=delivery_id)
    [item] = public(conn, catalog, [row])
    item["payload"] = row["payload"] or {}
    item["idempotency_key"] = row["idempotency_key"]
    # In the detail ``attempts`` is the list of them (the list's count: ``attempt_count``).
    item["attempt_count"] = row["attempts"]
    item["attempts"] = [
        {
            "at": at(a["at"]),
            "status": a["status"],
            "error": a["error"],
            "response": a["response"],
            "ms": a["ms"],
            "replay_by": a["replay_by"],
        }
        for a in store.attempts(conn, delivery_id)
    ]
    return item


def failed_counts(conn: sa.Connection) -> dict[str, int]:
    """How many deliveries are dead and how many wait for a retry (the admin menu)."""
    return store.by_status(conn, store.FAILED)


def public(conn: sa.Connection, catalog: Catalog, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as the API shows them, each with its rule and record named (one look-up of the
    rules for the page)."""
    rules = store.rules_named(
        conn, sorted({r["rule_id"] for r in rows if r["rule_id"] is not None})
    )
    return [_public(catalog, r, rules.get(r["rule_id"])) for r in rows]


def _public(catalog: Catalog, r: Any, rule: Any) -> dict[str, Any]:
    app = catalog.apps.get(rule.app_id) if rule is not None else None
    record = None
    schema = catalog.schemas.get(r["table_id"]) if r["table_id"] is not None else None
    if schema is not None and r["record_id"] is not None:
        record = {"app": schema.app.key, "table": schema.table.key, "id": r["record_id"]}
    return {
        "id": r["id"],
        "channel": r["channel"],
        "kind": r["kind"] or r["channel"].partition(":")[0],
        "recipient": r["recipient"],
        "status": r["status"],
        "attempts": r["attempts"],
        "error": r["error"],
        "response": r["response"],
        "subject": r["subject"],
        "created_at": at(r["created_at"]),
        "updated_at": at(r["updated_at"]),
        "sent_at": at(r["sent_at"]),
        "next_attempt_at": at(r["next_attempt_at"]),
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
