"""Who sees a process instance (its timeline, its diagram, its tasks' forms): the engine's rule,
read through the permission layer (``cairn.auth``) for the bound record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth.guard import guard
from cairn.core import NotFound
from cairn.process import repo

if TYPE_CHECKING:
    from cairn.auth import Principal
    from cairn.auth.ports import Work


def may_see(work: Work, row: Any, principal: Principal) -> None:
    """An instance is seen by its initiator, who took part, and who may read its record."""
    if principal.user_id is None or principal.is_admin:
        return
    if row.initiator_id == principal.user_id:
        return
    if repo.took_part(work.conn, row.id, principal.user_id):
        return
    if row.table_id is not None and row.record_id is not None:
        s = work.catalog.schema(row.table_id)
        if guard(work).access(s).can("read") and guard(work).in_scope(s, [row.record_id], "read"):
            return
    raise NotFound("process.instance_not_found", id=row.id)
