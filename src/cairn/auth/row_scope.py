"""Row scopes as SQL: which rows of a table the roles granting an action reach.

A role's scope on a table is every row, the rows the user owns, those owned by members of the
user's departments (or of the departments below them), or a row filter in which ``$me`` names
the user. The rows of an action are the union (OR) of the scopes of the roles granting it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import departments
from cairn.auth.operations import ME
from cairn.core import Clock
from cairn.query import compile_filter
from cairn.store import Catalog, TableSchema, system

if TYPE_CHECKING:
    from cairn.auth.table_access import Grant


def grants_where(
    grants: Iterable[Grant],
    action: str,
    me: int | None,
    catalog: Catalog,
    schema: TableSchema,
    clock: Clock,
    table: Any,
) -> sa.ColumnElement[bool]:
    """The condition on ``table`` (``schema``'s rows, or an alias of them) that a row is in
    the scope of one of the ``grants`` of ``action`` for the user ``me``."""
    parts: list[sa.ColumnElement[bool]] = []
    for g in grants:
        if action not in g.actions:
            continue
        if g.scope == "own":
            parts.append(table.c.owner_id == me)
        elif g.scope in ("department", "department_tree") and me is not None:
            # Sub-selects in the same statement: no extra round trip per request.
            parts.append(table.c.owner_id.in_(members(me, g.scope)))
        elif g.scope == "filter" and g.row_filter:
            tree = substitute(g.row_filter, me)
            parts.append(compile_filter(catalog, schema, tree, clock))
    return sa.or_(sa.false(), *parts)


def grants_owners(grants: Iterable[Grant], action: str, me: int) -> sa.Select[Any] | None:
    """When the scope of the ``grants`` of ``action`` is exactly "rows owned by these users"
    (every granting role's scope is own, department or department tree), a SELECT of those
    users' ids; else None (a row filter, or no granting role)."""
    selects: list[sa.Select[Any]] = []
    for g in grants:
        if action not in g.actions:
            continue
        if g.scope == "own":
            u = system.users
            selects.append(sa.select(u.c.id).where(u.c.id == me))
        elif g.scope in ("department", "department_tree"):
            selects.append(members(me, g.scope))
        else:
            return None
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else sa.union(*selects).subquery().select()


def members(user_id: int, scope: str) -> sa.Select[Any]:
    """SELECT of the users whose primary department is one of ``user_id``'s departments
    (``department``) or below them (``department_tree``)."""
    depts = departments.user_departments_select(user_id)
    if scope == "department_tree":
        depts = departments.subtree_select(depts)
    u = system.users
    return sa.select(u.c.id).where(u.c.department_id.in_(depts))


#: Who ``$me`` stands for when a row filter is checked without a reader: any valid user id
#: (a user field refuses 0 and negatives, as it would refuse them from a reader).
_ANY_READER = 1


def check_row_filter(catalog: Catalog, schema: TableSchema, tree: Any, clock: Clock) -> None:
    """Compile a role's row filter as it will be compiled for a reader (``$me`` replaced by
    a user id), so a bad filter is refused when the role is saved, not on every later read."""
    compile_filter(catalog, schema, substitute(tree, _ANY_READER), clock)


def substitute(tree: Any, me: int | None) -> Any:
    """The row filter ``tree`` with ``$me`` replaced by the user id ``me``."""
    if isinstance(tree, dict):
        return {k: substitute(v, me) for k, v in tree.items()}
    if isinstance(tree, list):
        return [substitute(v, me) for v in tree]
    return me if tree == ME else tree


def names_me(tree: Any) -> bool:
    """Does the row filter ``tree`` name the user (``$me``) anywhere?"""
    if isinstance(tree, dict):
        return any(names_me(v) for v in tree.values())
    if isinstance(tree, list):
        return any(names_me(v) for v in tree)
    return tree == ME
