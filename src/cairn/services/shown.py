"""What of an app's tables the unit of work's principal is shown: which tables, and which of
their fields' definitions."""

from __future__ import annotations

from typing import Any

from cairn.auth.guard import guard
from cairn.core import Forbidden
from cairn.query.definitions import table_public
from cairn.services.capabilities import shown, table_permissions
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema


def unlisted(uow: UnitOfWork, s: TableSchema, permissions: dict[str, bool]) -> set[int]:
    """The fields of ``s`` whose definitions are not listed to the unit of work's principal:
    those hidden from them (by a role's field rule, or a lookup, rollup or formula showing a
    hidden value: the guard's ``view``). Who designs the table (``manage``) lists them all."""
    if permissions["manage"]:
        return set()
    return set(guard(uow).view(s)[0])


def masked_keys(uow: UnitOfWork, s: TableSchema) -> list[str]:
    """Keys of the fields of ``s`` the principal reads masked: listed, but not a field to
    filter, sort, group or measure by (the report editor leaves them out)."""
    _hidden, masked = guard(uow).view(s)
    return [f.key for f in s.fields if f.id in masked]


def shown_tables(uow: UnitOfWork, app_id: int) -> list[dict[str, Any]]:
    """The tables of an app listed to the unit of work's principal (those they may read, add
    to or design; the others are not theirs to know of), each with its ``permissions`` and
    without the fields hidden from them. The tables of sub-forms' rows are not listed (each
    is reached by its key, named in its sub-form field's options)."""
    out = []
    for s in uow.catalog.tables_of(app_id):
        if s.parent is not None:  # a sub-form's rows: shown within their parent's form
            continue
        permissions = table_permissions(uow, s)
        if shown(permissions):
            hidden = unlisted(uow, s, permissions)
            out.append(
                {
                    **table_public(uow.catalog, s, hidden=hidden),
                    "permissions": permissions,
                    "masked_fields": masked_keys(uow, s),
                }
            )
    return out


def listed_or_403(uow: UnitOfWork, s: TableSchema) -> dict[str, bool]:
    """The principal's permissions on ``s``; 403 when the table is not listed to them."""
    permissions = table_permissions(uow, s)
    if not shown(permissions):
        raise Forbidden("auth.table_denied", action="read")
    return permissions
