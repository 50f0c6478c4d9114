"""Rows of ``form_publications`` (a form published at a public address, versioned) and of
``public_form_proofs`` (the proof-of-work challenges already spent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cairn.store import changes, system, versioned


def for_form(conn: sa.Connection, table_id: int, form_key: str) -> Any | None:
    p = system.form_publications
    q = sa.select(p).where(p.c.table_id == table_id, p.c.form_key == form_key)
    return conn.execute(q).first()


def for_table(conn: sa.Connection, table_id: int) -> list[Any]:
    """The table's publications, by form key."""
    p = system.form_publications
    q = sa.select(p).where(p.c.table_id == table_id).order_by(p.c.form_key)
    return list(conn.execute(q))


def by_token(conn: sa.Connection, token: str) -> Any | None:
    p = system.form_publications
    return conn.execute(sa.select(p).where(p.c.token == token)).first()


def insert(conn: sa.Connection, now: datetime, **values: Any) -> Any:
    p = system.form_publications
    row = conn.execute(
        sa.insert(p).values(**values, created_at=now, updated_at=now).returning(*p.c)
    ).one()
    changes.created(conn, p, row.id)
    return row


def update(
    conn: sa.Connection, publication_id: int, version: int, now: datetime, **values: Any
) -> Any | None:
    """The row after the change; None when ``version`` is not its current one."""
    p = system.form_publications
    if not versioned.update(conn, p, publication_id, version, now, **values):
        return None
    return conn.execute(sa.select(p).where(p.c.id == publication_id)).one()


def delete(conn: sa.Connection, publication_id: int) -> None:
    p = system.form_publications
    changes.touching(conn, p, publication_id)
    conn.execute(sa.delete(p).where(p.c.id == publication_id))
    pr = system.public_form_proofs
    conn.execute(sa.delete(pr).where(pr.c.publication_id == publication_id))


# -- spent proofs ---------------------------------------------------------------------------
def proof_spent(conn: sa.Connection, challenge: str) -> bool:
    pr = system.public_form_proofs
    return (
        conn.execute(sa.select(pr.c.challenge).where(pr.c.challenge == challenge)).first()
        is not None
    )


def spend_proof(
    conn: sa.Connection, challenge: str, publication_id: int, expires_at: datetime
) -> bool:
    """Mark ``challenge`` used; False when it was already (by this transaction's rivals too:
    on PostgreSQL a concurrent insert of the same challenge waits for the first to end)."""
    pr = system.public_form_proofs
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = (
        dialect.insert(pr)
        .values(challenge=challenge, publication_id=publication_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["challenge"])
        .returning(pr.c.challenge)
    )
    return conn.execute(q).scalar() is not None


def purge_proofs(conn: sa.Connection, now: datetime) -> None:
    """Forget the spent challenges that have expired (they are refused for their age now)."""
    pr = system.public_form_proofs
    conn.execute(sa.delete(pr).where(pr.c.expires_at < now))
