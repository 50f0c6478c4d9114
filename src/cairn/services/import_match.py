"""Upsert by One-ID match (an import's mode ``match``): each row is matched against the
table's enabled One-ID rules (``IdentityService.match_in``: blocking keys, scores over the
rule's threshold) instead of one unique key. A row whose best candidate is one record the
importing user may update updates it; a row without a candidate is created; a row whose
best score two or more records share is refused with the candidates named, so nothing is
written to the wrong customer.

Rows of one batch that match each other but no existing record are all created: One-ID's
resolution on the write pairs them (a suggestion in the review queue, or an automatic merge
when the rule says so). A dry run's batches are rolled back, so a record its earlier batch
would create is not found by a later one (the run then updates it where the dry run counted
a create).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from cairn.auth.guard import guard
from cairn.core import Message
from cairn.imports.rows import Built
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

MODE = "match"
#: Candidates a refused ambiguous row names.
SHOWN = 5


def has_rules(services: Services, uow: UnitOfWork, s: TableSchema) -> bool:
    return bool(services.identity_rules_cache.for_table(uow, s.id))


def matched(
    services: Services, uow: UnitOfWork, s: TableSchema, group: list[Built]
) -> list[tuple[Built, tuple[int, int] | None, Message | None]]:
    """Per row: the (id, version) of the record it updates (None: a new record), or why it
    is refused."""
    best: dict[int, list[int]] = {}
    for i, b in enumerate(group):
        found = services.identity.match_in(uow, s, b.item)
        if found:
            top = found[0]["score"]
            best[i] = [c["record_id"] for c in found if c["score"] == top]
    ids = sorted({rid for rids in best.values() for rid in rids})
    versions = _updatable(uow, s, ids)
    out: list[tuple[Built, tuple[int, int] | None, Message | None]] = []
    for i, b in enumerate(group):
        rids = [r for r in best.get(i, []) if r in versions]
        if len(rids) > 1:
            shown = ", ".join(f"#{r}" for r in rids[:SHOWN]) + (", …" if len(rids) > SHOWN else "")
            out.append((b, None, Message("import.match_ambiguous", {"candidates": shown})))
        elif rids:
            out.append((b, (rids[0], versions[rids[0]]), None))
        else:
            out.append((b, None, None))
    return out


def _updatable(uow: UnitOfWork, s: TableSchema, ids: list[int]) -> dict[int, int]:
    """id → version of the live records among ``ids`` the user may update."""
    if not ids:
        return {}
    t = s.sa_table
    q = sa.select(t.c.id, t.c.version).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
    where = guard(uow).row_where(s, "update")
    if where is not None:
        q = q.where(where)
    return {int(r[0]): int(r[1]) for r in uow.conn.execute(q)}
