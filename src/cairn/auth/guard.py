"""The permission layer around record reads and writes, per unit of work.

It answers, for the unit of work's principal: may this action happen on this table (else 403),
which rows (a SQL condition ANDed into the one query; a record outside it is "not found"),
which fields are hidden (absent, and refused in filters, sorts and field lists), masked
(shown masked, refused in filters and sorts) or read-only (refused in writes). Lookups and
rollups are visible only when the user reads every row and the source field of the related
table directly: nothing is seen through a relation that could not be read directly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from cairn.auth.access import for_table
from cairn.auth.ports import Work
from cairn.auth.table_access import TableAccess
from cairn.core import Forbidden, Invalid
from cairn.meta import Field
from cairn.query.names import filter_formulas, formula_fields, named_fields
from cairn.query.tag_filter import unknown_tags
from cairn.store import Catalog, TableSchema, system

#: Permissions per catalogue snapshot: role and permission changes bump the schema version, so
#: every process drops these with the snapshot (row scopes on departments stay in the SQL and
#: always see the current membership).
_CACHE: WeakKeyDictionary[Catalog, dict[tuple[Any, ...], Any]] = WeakKeyDictionary()


class Guard:
    def __init__(self, uow: Work) -> None:
        self.uow = uow
        self.principal = uow.principal
        self._access: dict[int, TableAccess] = {}
        self._views: dict[int, tuple[set[int], set[int]]] = {}

    @property
    def unrestricted(self) -> bool:
        return self.principal.user_id is None or (
            self.principal.is_admin and not self.principal.read_only
        )

    def _shared(self) -> dict[tuple[Any, ...], Any] | None:
        if self.uow.catalog_is_private:
            return None  # a private snapshot: nothing to share
        cat = self.uow.catalog
        shared = _CACHE.get(cat)
        if shared is None:
            shared = _CACHE.setdefault(cat, {})
        return shared

    def _key(self, kind: str, table_id: int) -> tuple[Any, ...]:
        p = self.principal
        return (kind, p.user_id, p.is_admin, p.read_only, table_id)

    def access(self, s: TableSchema) -> TableAccess:
        a = self._access.get(s.id)
        if a is None:
            shared = self._shared()
            key = self._key("access", s.id)
            a = shared.get(key) if shared is not None else None
            if a is None:
                a = for_table(self.uow.conn, self.principal, s)
                if shared is not None:
                    shared[key] = a
            self._access[s.id] = a
        return a

    def require(self, s: TableSchema, action: str) -> TableAccess:
        a = self.access(s)
        if not a.can(action):
            if self.principal.read_only and action not in ("read", "export"):
                raise Forbidden("auth.read_only_token")
            raise Forbidden("auth.table_denied", action=action)
        return a

    # -- fields ----------------------------------------------------------------------------
    def view(self, s: TableSchema) -> tuple[set[int], set[int]]:
        """(hidden field ids, masked field ids) of ``s`` for this principal."""
        cached = self._views.get(s.id)
        if cached is not None:
            return cached
        shared = self._shared()
        key = self._key("view", s.id)
        if shared is not None and key in shared:
            self._views[s.id] = shared[key]
            return shared[key]
        a = self.access(s)
        if a.unrestricted:
            out: tuple[set[int], set[int]] = (set(), set())
            self._views[s.id] = out
            return out
        hidden, masked = set(a.hidden), set(a.masked)
        # Stored before the lookups are looked at: relations may lead back here (a cycle).
        self._views[s.id] = (hidden, masked)
        cat = self.uow.catalog
        for f in s.fields:
            if not f.reads_through_relation or f.id in hidden:
                continue
            relation = s.by_id.get(f.options.get("relation_field_id") or 0)
            target_field = cat.all_fields.get(f.options.get("target_field_id") or 0)
            if relation is None or relation.id in hidden:
                hidden.add(f.id)
                continue
            ts = cat.schemas.get(relation.reached_table_id or 0)
            if ts is None:
                hidden.add(f.id)
                continue
            if not self.sees_through(s, ts):
                hidden.add(f.id)
                continue
            if target_field is None:
                continue
            t_hidden, t_masked = self.view(ts)
            if target_field.id in t_hidden:
                hidden.add(f.id)
            elif target_field.id in t_masked:
                # A count says nothing about the values; any other rollup would.
                if f.is_lookup:
                    masked.add(f.id)
                elif f.options.get("function", "count") != "count":
                    hidden.add(f.id)
        self._hide_leaking_formulas(s, hidden, masked)
        self._views[s.id] = (hidden, masked)
        if shared is not None:
            shared[key] = (hidden, masked)
        return hidden, masked

    def _hide_leaking_formulas(self, s: TableSchema, hidden: set[int], masked: set[int]) -> None:
        """A formula field computed from a hidden or masked value would show it (``{credit} *
        2``), so it is hidden too; so is one that reads a linked record the user may not read
        in full. Formulas over formulas: repeated until nothing changes."""
        formulas = [f for f in s.fields if f.is_formula and f.id not in hidden]
        changed = True
        while changed:
            changed = False
            for f in formulas:
                if f.id not in hidden and any(
                    self._leaks(s, uid, hidden, masked) for uid in f.options.get("uses", ())
                ):
                    hidden.add(f.id)
                    changed = True

    def _leaks(self, s: TableSchema, field_id: int, hidden: set[int], masked: set[int]) -> bool:
        if field_id in hidden or field_id in masked:
            return True
        if field_id in s.by_id:
            return False
        target_field = self.uow.catalog.all_fields.get(field_id)
        ts = self.uow.catalog.schemas.get(target_field.table_id) if target_field else None
        if ts is None or not self.sees_through(s, ts):
            return True
        t_hidden, t_masked = self.view(ts)
        return field_id in t_hidden or field_id in t_masked

    def reads_all(self, s: TableSchema) -> bool:
        """May the user read every live row of ``s``? (What seeing through a relation needs.)"""
        a = self.access(s)
        return a.can("read") and not a.scoped("read")

    def sees_through(self, s: TableSchema, ts: TableSchema) -> bool:
        """May a value of ``s``'s records computed over ``ts``'s records be shown? Through a
        relation: when the user reads every record of ``ts``; through a sub-form of ``s``:
        when they read its rows (a record's own rows are as readable as the record)."""
        if ts.parent is not None and ts.parent.id == s.id:
            return self.access(ts).can("read")
        return self.reads_all(ts)

    def visible(self, s: TableSchema, fields: Sequence[Field]) -> list[Field]:
        hidden, _ = self.view(s)
        return [f for f in fields if f.id not in hidden] if hidden else list(fields)

    def check_names(self, s: TableSchema, filter: Any, sort: Any) -> None:
        """Refuse filters and sorts on hidden fields (as unknown) and masked ones, and tag
        conditions naming a tag the app does not have."""
        hidden, masked = self.view(s)
        if isinstance(filter, dict):
            bad = unknown_tags(self.uow.conn, s.app.id, filter)
            if bad is not None:
                raise Invalid.on(bad[0], "tag.unknown", id=bad[1])
        for loc, text in filter_formulas(filter, "filter"):
            self.check_formula(s, text, loc)
        if not hidden and not masked:
            return
        for loc, key in named_fields(filter, "filter") + named_fields(sort, "sort"):
            f = s.by_key.get(key) if isinstance(key, str) else None
            if f is None:
                continue
            if f.id in hidden:
                raise Invalid.on(loc, "field.unknown", key=key)
            if f.id in masked:
                raise Forbidden("auth.field_denied", field=key)

    def check_formula(self, s: TableSchema, text: str, loc: str) -> None:
        """A filter formula may use only what the user may filter on: no hidden or masked field,
        and through a relation only a linked table they read in full."""
        if self.unrestricted:
            return
        hidden, masked = self.view(s)
        for name, f, target in formula_fields(self.uow.catalog, s, text):
            if f.id in hidden:
                raise Invalid.on(loc, "field.unknown", key=name)
            if f.id in masked:
                raise Forbidden("auth.field_denied", field=name)
            if target is None:
                continue
            ts = self.uow.catalog.schemas[target.table_id]
            t_hidden, t_masked = self.view(ts)
            if not self.sees_through(s, ts) or target.id in t_hidden:
                raise Invalid.on(loc, "field.unknown", key=name)
            if target.id in t_masked:
                raise Forbidden("auth.field_denied", field=name)

    def check_writable(self, s: TableSchema, keys: Iterable[str]) -> None:
        a = self.access(s)
        if a.unrestricted or not a.fields:
            return
        hidden, _ = self.view(s)
        for key in keys:
            f = s.by_key.get(key)
            if f is not None and not a.writable(f.id):
                if f.id in hidden:
                    raise Invalid.on(key, "field.unknown", key=key)
                raise Forbidden("auth.field_denied", field=key)

    # -- rows ------------------------------------------------------------------------------
    def scope_key(self, s: TableSchema, action: str = "read") -> str | None:
        """What the row condition of ``action`` depends on besides the schema version, for
        reusing a built query: the principal (own rows, their departments, resolved in SQL
        when it runs). None when a role's row filter decides (it may name relative dates)."""
        a = self.access(s)
        if any(action in g.actions and g.scope == "filter" for g in a.grants):
            return None
        return f"u{self.principal.user_id}:{action}"

    def few_owners(self, s: TableSchema, action: str = "read") -> sa.Select[Any] | None:
        """The owners of the row scope of ``action`` as a SELECT, when a page is best gathered
        per owner (``build_select(owners=)``): on PostgreSQL, when the scope is owners only and
        they are few. Per owner the page reads up to a page of rows; filtering one index walk
        by owner reads a page divided by the scope's share of rows. With rows spread evenly
        over U users and k owners in scope, per owner wins while k² ≤ U. Asked when a plan is
        built (one small query); membership drifting later changes the speed, never the rows."""
        conn = self.uow.conn
        if conn.dialect.name != "postgresql":
            return None
        owners = self.access(s).owners(action)
        if owners is None:
            return None
        u = system.users
        k, users = conn.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(owners.subquery()).scalar_subquery(),
                sa.select(sa.func.count()).select_from(u).scalar_subquery(),
            )
        ).one()
        return owners if k * k <= users else None

    def row_where(
        self, s: TableSchema, action: str = "read", source: Any = None
    ) -> sa.ColumnElement[bool] | None:
        return self.access(s).row_where(
            self.uow.conn, self.uow.catalog, s, self.uow.clock, action, source
        )

    def in_scope(self, s: TableSchema, ids: Sequence[int], action: str) -> set[int]:
        """Which of ``ids`` (live or deleted) lie in the row scope of ``action``."""
        where = self.row_where(s, action)
        if where is None:
            return set(ids)
        t = s.sa_table
        q = sa.select(t.c.id).where(t.c.id.in_(list(ids)), where)
        return set(self.uow.conn.execute(q).scalars())


def guard(uow: Work) -> Guard:
    """The guard of ``uow``, built on first use (one per unit of work)."""
    g: Guard | None = uow.permissions
    if g is None:
        g = Guard(uow)
        uow.permissions = g
    return g
