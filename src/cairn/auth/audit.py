"""The audit log: append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON
(id, time, actor, channel, address, action, target, details). The head row (``audit_head``) is
locked by every appender, so entries from concurrent transactions chain in commit order; any
edit, insertion or deletion breaks the chain at that entry, which ``verify`` reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cairn.auth.principal import Principal
from cairn.store import Catalog, system
from cairn.store import records as store_records
from cairn.store.bulk import insert_many

GENESIS = "0" * 64

#: Configuration objects whose create, update, delete (and, for those with a recycle bin,
#: restore) the unit of work audits by itself (``cairn.auth.config_audit``).
CONFIG_KINDS = ("app", "table", "field", "rule", "dashboard", "alert", "kpi_mapping", "identity_rule", "tag", "segment", "score_model", "view", "form", "form_publication", "channel", "role", "department", "user")  # fmt: skip

#: What a process task's assignee does to it (``task.<action>``).
TASK_ACTIONS = ("complete", "approve", "reject", "return", "transfer", "claim", "delegate", "add_signer", "attach", "comment", "reassign")  # fmt: skip

#: Every action code the audit log holds, for the audit page to translate. Keep it complete:
#: a test fails when code writes an action that is not listed here.
ACTIONS: tuple[str, ...] = (
    # records
    "record.create",
    "record.create_many",
    "record.update",
    "record.delete",
    "record.restore",
    "record.purge",
    "record.merge",
    "record.unmerge",
    "record.export",
    "record.import_start",
    "record.import",
    "comment.create",
    "comment.delete",
    "interaction.delete",
    # schema and configuration: <kind>.create / .update / .delete / .restore
    *(f"{kind}.{op}" for kind in CONFIG_KINDS for op in ("create", "update", "delete", "restore")),
    "table.layout",
    "customer_view.update",
    "process.deploy",
    # sign-in, tokens, users, roles
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "token.create",
    "token.revoke",
    "user.password_reset",
    "permission.change",
    "permission.role_create",
    "permission.role_update",
    "permission.role_delete",
    # processes and their tasks
    "process.start",
    "process.retry",
    "process.withdraw",
    "process.cancel",
    *(f"task.{a}" for a in TASK_ACTIONS),
    # a rule's inbound-webhook secret replaced
    "rule.webhook_secret",
    # reports, the working calendar
    "report.export",
    "calendar.hours",
    # One-ID: a duplicate suggestion decided (one, or many at once)
    "duplicate.decide",
    "duplicate.decide_many",
    # a "find duplicates" run over a table started, cancelled
    "duplicate.find",
    "duplicate.find_cancel",
    "calendar.day",
    "calendar.day_delete",
    # deliveries through outside channels sent again by an administrator
    "delivery.replay",
    "delivery.replay_all",
    # departments and people synced from WeCom / DingTalk
    "directory.sync",
    # a test clock moved forward (only where CAIRN_TEST_CLOCK is on)
    "test_clock.advance",
)


@dataclass
class Entry:
    action: str
    target_type: str | None = None
    target_id: str | int | None = None
    app_id: int | None = None
    table_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _canonical(row: dict[str, Any]) -> bytes:
    """The entry as hashed: sorted keys, no spaces, UTF-8 (what a verifier recomputes)."""
    at = row["at"]
    body = {
        "id": row["id"],
        "at": at.isoformat() if isinstance(at, datetime) else at,
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "channel": row["channel"],
        "address": row["address"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "app_id": row["app_id"],
        "table_id": row["table_id"],
        "details": row["details"],
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _canonical(row)).hexdigest()


def append(conn: sa.Connection, now: datetime, actor: Principal, entries: Iterable[Entry]) -> None:
    """Add entries in the caller's transaction (they commit or roll back with the change)."""
    items = list(entries)
    if not items:
        return
    head = system.audit_head
    last_id, last_hash = conn.execute(
        sa.select(head.c.last_id, head.c.last_hash).where(head.c.id == 1).with_for_update()
    ).one()
    rows = []
    for e in items:
        last_id += 1
        row = {
            "id": last_id,
            "at": now,
            "actor_id": actor.user_id,
            "actor_name": actor.username,
            "channel": actor.channel,
            "address": (actor.address or "")[:64] or None,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": None if e.target_id is None else str(e.target_id),
            "app_id": e.app_id,
            "table_id": e.table_id,
            "details": e.details,
            "prev_hash": last_hash,
        }
        try:
            row["hash"] = last_hash = entry_hash(row["prev_hash"], row)
        except TypeError:
            # A value JSON does not know (a Decimal, a date): store it as it will read back.
            row["details"] = _jsonable(e.details)
            row["hash"] = last_hash = entry_hash(row["prev_hash"], row)
        rows.append(row)
    insert_many(conn, system.audit_log, rows)
    conn.execute(head.update().where(head.c.id == 1).values(last_id=last_id, last_hash=last_hash))


def _jsonable(value: Any) -> Any:
    """Details as they will read back from a JSON column (so the hash verifies later)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class Verification:
    checked: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(conn: sa.Connection, batch: int = 2000) -> Verification:
    """Walk the chain from the start; the first entry whose link or hash does not hold."""
    log = system.audit_log
    prev, expected_id, checked = GENESIS, None, 0
    after = 0
    while True:
        rows = conn.execute(
            sa.select(log).where(log.c.id > after).order_by(log.c.id).limit(batch)
        ).all()
        if not rows:
            break
        for r in rows:
            m = dict(r._mapping)
            if expected_id is not None and m["id"] != expected_id:
                return Verification(checked, expected_id, "missing")
            if m["prev_hash"] != prev:
                return Verification(checked, m["id"], "link")
            if entry_hash(prev, m) != m["hash"]:
                return Verification(checked, m["id"], "hash")
            prev, expected_id, checked = m["hash"], m["id"] + 1, checked + 1
            after = m["id"]
    head = conn.execute(sa.select(system.audit_head)).first()
    if head is not None and (head.last_id != after or head.last_hash != prev):
        return Verification(checked, after + 1, "truncated")
    return Verification(checked)


def public(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"],
        "at": m["at"].isoformat() + "Z",
        "actor_id": m["actor_id"],
        "actor_name": m["actor_name"],
        "channel": m["channel"],
        "address": m["address"],
        "action": m["action"],
        "target_type": m["target_type"],
        "target_id": m["target_id"],
        "app_id": m["app_id"],
        "table_id": m["table_id"],
        "details": m["details"],
        "hash": m["hash"],
    }


def search(
    conn: sa.Connection,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    table_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[Any], int]:
    """Newest first, keyset by id; (rows, total matching)."""
    log = system.audit_log
    where: list[Any] = []
    if actor_id is not None:
        where.append(log.c.actor_id == actor_id)
    if action:
        where.append(
            log.c.action.startswith(action.rstrip("*"))
            if action.endswith("*")
            else log.c.action == action
        )
    if target_type:
        where.append(log.c.target_type == target_type)
    if target_id:
        where.append(log.c.target_id == target_id)
    if table_id is not None:
        where.append(log.c.table_id == table_id)
    if since is not None:
        where.append(log.c.at >= since)
    if until is not None:
        where.append(log.c.at < until)
    total = conn.execute(sa.select(sa.func.count()).select_from(log).where(*where)).scalar_one()
    if before_id is not None:
        where.append(log.c.id < before_id)
    rows = conn.execute(
        sa.select(log).where(*where).order_by(log.c.id.desc()).limit(limit + 1)
    ).all()
    return rows, total


def iter_all(conn: sa.Connection) -> Iterator[Any]:
    yield from conn.execute(sa.select(system.audit_log).order_by(system.audit_log.c.id))


def with_names(
    conn: sa.Connection, cat: Catalog, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each entry with the names a reader needs: ``app_name``, ``table_name`` (also of a
    deleted app or table) and ``target_title``, the title of a record it names (also of a
    deleted one; None once purged or without a display field). Titles are read set-based: one
    query per table on the page."""
    wanted: dict[int, set[int]] = {}
    for e in items:
        record_id = _record_id(e)
        if record_id is not None:
            wanted.setdefault(e["table_id"], set()).add(record_id)
    titles = {
        table_id: store_records.titles(conn, cat.schemas[table_id], ids)
        for table_id, ids in wanted.items()
        if table_id in cat.schemas
    }
    for e in items:
        app = cat.apps.get(e["app_id"]) if e["app_id"] is not None else None
        table = cat.all_tables.get(e["table_id"]) if e["table_id"] is not None else None
        record_id = _record_id(e)
        e["app_name"] = app.name if app else None
        e["table_name"] = table.name if table else None
        e["target_title"] = (
            titles.get(e["table_id"], {}).get(record_id) if record_id is not None else None
        )
    return items


def _record_id(e: dict[str, Any]) -> int | None:
    target = e["target_id"]
    if e["target_type"] == "record" and e["table_id"] is not None and target and target.isdigit():
        return int(target)
    return None


def naive_utc(value: datetime | None) -> datetime | None:
    """``value`` as the log stores times: naive UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
