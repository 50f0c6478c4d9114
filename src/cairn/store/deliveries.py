"""Rows of ``deliveries`` (one message to one recipient through an outside channel) and
``delivery_attempts`` (each try of one): started, attempted, claimed by the worker when a retry
is due, listed and counted for the administrators' page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cairn.store.system import deliveries as dl
from cairn.store.system import delivery_attempts as da
from cairn.store.system import rules as rl

PENDING, SENT, RETRYING, DEAD = "pending", "sent", "retrying", "dead"
STATUSES = (PENDING, SENT, RETRYING, DEAD)
#: The statuses of a delivery that did not go out (an administrator may replay it).
FAILED = (RETRYING, DEAD)
#: Stored answers and errors are cut to this many characters.
MAX_TEXT = 4000


def clip(text: str | None, limit: int = MAX_TEXT) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def get(conn: sa.Connection, delivery_id: int) -> sa.RowMapping | None:
    return conn.execute(sa.select(dl).where(dl.c.id == delivery_id)).mappings().first()


def by_key(conn: sa.Connection, idempotency_key: str) -> sa.RowMapping | None:
    q = sa.select(dl).where(dl.c.idempotency_key == idempotency_key)
    return conn.execute(q).mappings().first()


def start(conn: sa.Connection, now: datetime, **values: Any) -> tuple[int, sa.RowMapping | None]:
    """The delivery row for a send: (its id, the earlier row when its ``idempotency_key`` was
    used before). ``values``: channel, kind, recipient, subject, payload, idempotency_key and
    where it came from (rule_id, run_id, app_id, table_id, record_id)."""
    row = {
        **values,
        "recipient": (values.get("recipient") or "")[:500],
        "subject": (values.get("subject") or "")[:500],
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    key = values.get("idempotency_key")
    if key is None:
        return conn.execute(sa.insert(dl).values(**row).returning(dl.c.id)).scalar_one(), None
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = (
        dialect.insert(dl)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(dl.c.id)
    )
    new_id = conn.execute(q).scalar()
    if new_id is not None:
        return new_id, None
    earlier = by_key(conn, key)
    assert earlier is not None
    return earlier["id"], earlier


@dataclass(frozen=True)
class Outcome:
    """One attempt as recorded."""

    status: str  # the delivery's status after it: sent, retrying or dead
    attempts: int
    next_attempt_at: datetime | None


def attempts_of(conn: sa.Connection, delivery_id: int) -> int:
    q = sa.select(dl.c.attempts).where(dl.c.id == delivery_id)
    return int(conn.execute(q).scalar_one())


def record(
    conn: sa.Connection,
    delivery_id: int,
    now: datetime,
    *,
    status: str,
    error: str | None,
    response: str | None,
    ms: float,
    next_attempt_at: datetime | None = None,
    replay_by: int | None = None,
) -> None:
    """Record one attempt: a row of ``delivery_attempts`` and the delivery's new state
    (``status`` decided by the caller's retry policy)."""
    error, response = clip(error), clip(response)
    conn.execute(
        sa.insert(da).values(
            delivery_id=delivery_id,
            at=now,
            status=SENT if status == SENT else "failed",
            error=error,
            response=response,
            ms=round(ms),
            replay_by=replay_by,
        )
    )
    values: dict[str, Any] = {
        "attempts": dl.c.attempts + 1,
        "status": status,
        "error": error,
        "response": response,
        "updated_at": now,
        "next_attempt_at": next_attempt_at,
    }
    if status == SENT:
        values["sent_at"] = now
    conn.execute(sa.update(dl).where(dl.c.id == delivery_id).values(**values))


def due(conn: sa.Connection, now: datetime, limit: int) -> list[sa.RowMapping]:
    """Deliveries whose retry is due, the longest waiting first."""
    q = (
        sa.select(dl)
        .where(dl.c.status == RETRYING, dl.c.next_attempt_at <= now)
        .order_by(dl.c.next_attempt_at, dl.c.id)
        .limit(limit)
    )
    return list(conn.execute(q).mappings())


def claim(conn: sa.Connection, row: sa.RowMapping, now: datetime, until: datetime) -> bool:
    """Take a due retry (another worker may look at the same row): its next attempt is moved
    to ``until`` (a lease: a worker that dies mid-send leaves it to come back then). True when
    this caller got it."""
    q = (
        sa.update(dl)
        .where(
            dl.c.id == row["id"],
            dl.c.status == RETRYING,
            dl.c.next_attempt_at == row["next_attempt_at"],
        )
        .values(next_attempt_at=until, updated_at=now)
    )
    return conn.execute(q).rowcount == 1


def attempts(conn: sa.Connection, delivery_id: int) -> list[sa.RowMapping]:
    q = sa.select(da).where(da.c.delivery_id == delivery_id).order_by(da.c.id)
    return list(conn.execute(q).mappings())


@dataclass(frozen=True)
class Filter:
    """What the administrators' list narrows by (each optional)."""

    status: Sequence[str] = ()
    channel: str | None = None
    rule_id: int | None = None
    #: Text in the recipient, the subject or the last error.
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[Any]:
        out: list[Any] = []
        if self.status:
            out.append(dl.c.status.in_(list(self.status)))
        if self.channel is not None:
            out.append(dl.c.channel == self.channel)
        if self.rule_id is not None:
            out.append(dl.c.rule_id == self.rule_id)
        if self.q:
            like = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            out.append(
                sa.or_(
                    dl.c.recipient.ilike(like, escape="\\"),
                    dl.c.subject.ilike(like, escape="\\"),
                    dl.c.error.ilike(like, escape="\\"),
                )
            )
        if self.since is not None:
            out.append(dl.c.created_at >= self.since)
        if self.until is not None:
            out.append(dl.c.created_at < self.until)
        return out


def page(
    conn: sa.Connection, f: Filter, *, before: int | None = None, limit: int = 100
) -> list[sa.RowMapping]:
    """Deliveries matching ``f``, newest first (keyset: ids below ``before``)."""
    q = sa.select(dl).where(*f.where())
    if before is not None:
        q = q.where(dl.c.id < before)
    return list(conn.execute(q.order_by(dl.c.id.desc()).limit(limit)).mappings())


def count(conn: sa.Connection, f: Filter) -> int:
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(dl).where(*f.where())).scalar_one()
    )


def ids(conn: sa.Connection, f: Filter, *, after: int = 0, limit: int = 200) -> list[int]:
    """Ids matching ``f`` above ``after``, oldest first (replaying many, a batch at a time)."""
    q = sa.select(dl.c.id).where(*f.where(), dl.c.id > after).order_by(dl.c.id).limit(limit)
    return list(conn.execute(q).scalars())


def rules_named(conn: sa.Connection, rule_ids: Sequence[int]) -> dict[int, Any]:
    """The rules that deliveries name (id, key, name, app): one look-up for a page."""
    if not rule_ids:
        return {}
    q = sa.select(rl.c.id, rl.c.key, rl.c.name, rl.c.app_id).where(rl.c.id.in_(list(rule_ids)))
    return {row.id: row for row in conn.execute(q)}


def by_status(conn: sa.Connection, statuses: Sequence[str]) -> dict[str, int]:
    """How many deliveries are in each of ``statuses``."""
    q = (
        sa.select(dl.c.status, sa.func.count())
        .where(dl.c.status.in_(list(statuses)))
        .group_by(dl.c.status)
    )
    found = {s: int(n) for s, n in conn.execute(q)}
    return {s: found.get(s, 0) for s in statuses}


def purge(conn: sa.Connection, before: datetime) -> int:
    """Forget deliveries sent before ``before`` and their attempts (the others stay)."""
    old = sa.select(dl.c.id).where(dl.c.status == SENT, dl.c.created_at < before)
    conn.execute(sa.delete(da).where(da.c.delivery_id.in_(old)))
    return conn.execute(sa.delete(dl).where(dl.c.status == SENT, dl.c.created_at < before)).rowcount
