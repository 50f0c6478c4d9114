"""Names to ids for an import (``imports.ports.Lookups``): users by login or display name,
related records by their display field or a unique text field, as the importing user may
read them; one query per batch and column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.auth.guard import guard
from cairn.imports.values import fold
from cairn.meta import Field
from cairn.query import build_select
from cairn.query.compile import MAX_LIMIT
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema
from cairn.store import users as store_users

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Names looked up per query.
CHUNK = 200


class Lookups:
    """Users and related records by name, as the importing user may read them."""

    def __init__(self, services: Services, uow: UnitOfWork) -> None:
        self.s = services
        self.uow = uow

    def users(self, names: set[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for uid, username, display in store_users.named(self.uow.conn, names):
            for n in {fold(username), fold(display)}:
                if uid not in out.setdefault(n, []):
                    out[n].append(uid)
        return out

    def records(self, f: Field, texts: set[str]) -> dict[str, list[int]]:
        uow = self.uow
        target = uow.catalog.schemas.get(int(f.options["target_table_id"]))
        if target is None:
            return {}
        g = guard(uow)
        hidden, masked = g.view(target)
        keys = [t.key for t in _naming_fields(target) if t.id not in hidden and t.id not in masked]
        if not keys or not g.access(target).can("read"):
            return {}
        values = sorted(texts)
        where = g.row_where(target)
        named = [target.by_key[k] for k in keys]
        dump = self.s.records.row_dump(uow)
        out: dict[str, list[int]] = {}
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            plan = build_select(
                uow.catalog,
                target,
                filter={"or": [{"field": k, "op": "in", "value": chunk} for k in keys]},
                fields=keys,
                limit=MAX_LIMIT,  # a name matching more records than this is ambiguous anyway
                clock=self.s.clock,
                extra_where=where,
            )
            rows = list(uow.conn.execute(plan.select))
            for d in dump.rows(target, rows, named):
                for k in keys:
                    v = d.get(k)
                    if isinstance(v, str) and v:
                        ids = out.setdefault(fold(v), [])
                        if d["id"] not in ids:
                            ids.append(d["id"])
        return out


def _naming_fields(target: TableSchema) -> list[Field]:
    """The display field and the unique text fields of a related table."""
    out: list[Field] = []
    d = target.display_field
    if d is not None:
        out.append(d)
    for f in target.fields:
        if f.unique and target.type_of(f).holds_text and f not in out:
            out.append(f)
    return out
