"""Names to ids for an import (``imports.ports.Lookups``): users by login or display name,
related records by their display field or a unique text field, as the importing user may
read them; one query per batch and column. Names match ignoring case, width and the spaces
around them (``ACME `` names ``Acme``); a name that matches several records refuses the row
with the candidates listed (``imports.rows``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth.access import manages_app
from cairn.auth.guard import guard
from cairn.core import Invalid
from cairn.imports.naming import folds_in_sql, naming_fields, variants
from cairn.imports.values import fold
from cairn.insight.tags import checked_tag
from cairn.meta import Field
from cairn.query import build_select
from cairn.query.compile import MAX_LIMIT
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema
from cairn.store import tags as store_tags
from cairn.store import users as store_users

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Names looked up per query.
CHUNK = 200


class Lookups:
    """Users and related records by name, as the importing user may read them."""

    def __init__(self, services: Services, uow: UnitOfWork, *, create_tags: bool = False) -> None:
        self.s = services
        self.uow = uow
        self.create_tags = create_tags
        #: The app whose tags the import names (set by ``tags`` from the batch's table).
        self.app_id: int | None = None

    def tags(self, names: set[str]) -> dict[str, int]:
        """The app's tags by exact name; missing ones created when the job says so and the
        importing user manages the app (else they stay missing: the rows are refused)."""
        uow = self.uow
        if self.app_id is None:
            return {}
        found = {
            n: r.id for n, r in store_tags.by_names(uow.conn, self.app_id, sorted(names)).items()
        }
        missing = sorted(names - set(found))
        if missing and self.create_tags and manages_app(uow.conn, uow.principal, self.app_id):
            for n in missing:
                try:
                    spec = checked_tag({"name": n})
                    found[n] = self.s.tags.create_in(uow, self.app_id, spec).id
                except Invalid:
                    continue  # a name no tag may have (too long): the row is refused
        return found

    def users(self, names: set[str]) -> dict[str, dict[int, str]]:
        out: dict[str, dict[int, str]] = {}
        for uid, username, display in store_users.named(self.uow.conn, variants(names)):
            for n in {fold(username), fold(display)}:
                out.setdefault(n, {})[uid] = display or username
        return out

    def records(self, f: Field, texts: set[str]) -> dict[str, dict[int, str]]:
        """One query per 200 names and kind of column: a text column compared in lower case
        (``lower(col) IN``: SQL on the column, the names as parameters), a sealed or
        computed one through the query layer's exact ``in``; the hits folded again here."""
        uow = self.uow
        target = uow.catalog.schemas.get(int(f.options["target_table_id"]))
        if target is None:
            return {}
        g = guard(uow)
        hidden, masked = g.view(target)
        named = [t for t in naming_fields(target) if t.id not in hidden and t.id not in masked]
        if not named or not g.access(target).can("read"):
            return {}
        where = g.row_where(target)
        plain = [t for t in named if folds_in_sql(target, t)]
        other = [t for t in named if t not in plain]
        values = sorted(variants(texts))
        out: dict[str, dict[int, str]] = {}
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            if plain:
                lowered = sa.or_(*(sa.func.lower(target.column(t)).in_(chunk) for t in plain))
                both = lowered if where is None else sa.and_(where, lowered)
                self._collect(target, None, both, named, out)
            if other:
                flt = {"or": [{"field": t.key, "op": "in", "value": chunk} for t in other]}
                self._collect(target, flt, where, named, out)
        return out

    def _collect(
        self,
        target: TableSchema,
        flt: Any,
        where: Any,
        named: list[Field],
        out: dict[str, dict[int, str]],
    ) -> None:
        uow = self.uow
        plan = build_select(
            uow.catalog,
            target,
            filter=flt,
            fields=[t.key for t in named],
            limit=MAX_LIMIT,  # a name matching more records than this is ambiguous anyway
            clock=self.s.clock,
            extra_where=where,
        )
        rows = list(uow.conn.execute(plan.select))
        for d in self.s.records.row_dump(uow).rows(target, rows, named):
            for t in named:
                v = d.get(t.key)
                if isinstance(v, str) and v:
                    out.setdefault(fold(v), {})[d["id"]] = v
