"""What a principal may do with one table, once loaded: the actions, the row scope of each
action, the fields short of full access. A sub-form's rows answer through their parent table
(``RowsAccess``). ``cairn.auth.access.for_table`` loads one from the roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from cairn.auth import row_scope
from cairn.auth.operations import SCOPED
from cairn.auth.principal import Principal
from cairn.core import Clock
from cairn.store import Catalog, TableSchema


@dataclass(frozen=True)
class Grant:
    role_id: int
    role_key: str
    actions: frozenset[str]
    scope: str
    row_filter: Any


@dataclass
class TableAccess:
    principal: Principal
    table_id: int
    unrestricted: bool
    grants: list[Grant] = field(default_factory=list)
    #: field id → "hidden" | "masked" | "read_only" (only fields short of full access)
    fields: dict[int, str] = field(default_factory=dict)
    #: per field id, the role keys whose rule decided (for explain)
    field_roles: dict[int, list[str]] = field(default_factory=dict)

    def can(self, action: str) -> bool:
        if self.unrestricted:
            return not (self.principal.read_only and action not in ("read", "export"))
        if self.principal.read_only and action not in ("read", "export"):
            return False
        return any(action in g.actions for g in self.grants)

    @property
    def hidden(self) -> set[int]:
        return {f for f, a in self.fields.items() if a == "hidden"}

    @property
    def masked(self) -> set[int]:
        return {f for f, a in self.fields.items() if a == "masked"}

    def writable(self, field_id: int) -> bool:
        """Hidden and read-only fields are refused; a masked one may be written (the writer
        knows the value they type) but reads back masked."""
        return self.fields.get(field_id, "masked") == "masked"

    def scoped(self, action: str) -> bool:
        """True when ``action`` is limited to some rows (not all)."""
        if self.unrestricted:
            return False
        return not any(action in g.actions and g.scope == "all" for g in self.grants)

    def row_where(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        action: str = "read",
        source: Any = None,
    ) -> sa.ColumnElement[bool] | None:
        """The condition on ``schema``'s rows for ``action``; None when every row qualifies."""
        if action not in SCOPED or not self.scoped(action):
            return None
        t = schema.sa_table if source is None else source
        me = self.principal.user_id
        return row_scope.grants_where(self.grants, action, me, catalog, schema, clock, t)

    def owners(self, action: str = "read") -> sa.Select[Any] | None:
        """When the row scope of ``action`` is exactly "rows owned by these users" (every
        granting role's scope is own, department or department tree), a SELECT of those
        users' ids, resolved in SQL when it runs; else None (every row, or a row filter)."""
        if action not in SCOPED or not self.scoped(action) or self.principal.user_id is None:
            return None
        return row_scope.grants_owners(self.grants, action, self.principal.user_id)


@dataclass
class RowsAccess(TableAccess):
    """The access to a sub-form's rows: their parent table's, through the sub-form field.
    The actions are the parent's (rows are written through the parent record); the rows are
    those of the parent records in the action's row scope; the field rule on the sub-form
    field applies to every column (hidden: the rows cannot be read at all)."""

    parent: TableAccess | None = None

    def row_where(
        self,
        conn: sa.Connection,
        catalog: Catalog,
        schema: TableSchema,
        clock: Clock,
        action: str = "read",
        source: Any = None,
    ) -> sa.ColumnElement[bool] | None:
        if action not in SCOPED or not self.scoped(action) or self.parent is None:
            return None
        ps = schema.parent
        assert ps is not None
        where = self.parent.row_where(conn, catalog, ps, clock, action)
        t = schema.sa_table if source is None else source
        pt = ps.sa_table
        parents = sa.select(pt.c.id).where(pt.c.deleted_at.is_(None))
        return t.c.parent_id.in_(parents if where is None else parents.where(where))

    def owners(self, action: str = "read") -> sa.Select[Any] | None:
        return None  # rows are owned through their parent: no per-owner pages


def rows_access(principal: Principal, schema: TableSchema, parent: TableAccess) -> TableAccess:
    """The access to the rows of the sub-form ``schema`` given ``parent``, the access to its
    parent table: the parent's actions and row scope, the sub-form field's rule on every
    column."""
    pf = schema.parent_field
    assert pf is not None
    if parent.unrestricted:
        return TableAccess(principal, schema.id, True)
    rule = parent.fields.get(pf.id)
    grants = parent.grants
    if rule == "hidden":  # nothing of the rows may be seen, nor written through the parent
        grants = [
            Grant(g.role_id, g.role_key, g.actions & {"manage"}, g.scope, g.row_filter)
            for g in grants
        ]
    access = RowsAccess(principal, schema.id, False, grants, parent=parent)
    if rule in ("masked", "read_only"):
        roles = parent.field_roles.get(pf.id, [])
        for f in schema.fields:
            access.fields[f.id] = rule
            access.field_roles[f.id] = roles
    return access
