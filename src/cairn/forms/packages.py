"""A table's forms in app packages: its variants, and its publications without their address
and secret (an import makes new ones; one it cannot publish here comes in unpublished)."""

from __future__ import annotations

from typing import Any

from cairn.auth.users import by_id, by_username
from cairn.core import Invalid
from cairn.forms.ports import Work
from cairn.forms.publications import SETTINGS, check_publishable, checked_settings, insert
from cairn.forms.runtime import DEFAULT
from cairn.forms.variants import add
from cairn.meta.layouts import layout_public
from cairn.store import TableSchema
from cairn.store import forms as form_store
from cairn.store import public_forms as store


# -- variants ---------------------------------------------------------------------------------
def export_variants(work: Work, s: TableSchema) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "name": r.name,
            "layout": layout_public(s, raw=r.layout) or {"sections": []},
            "roles": list(r.roles or []),
            "position": r.position,
        }
        for r in form_store.for_table(work.conn, s.id)
    ]


def import_variants(work: Work, app: str, table: str, items: Any, loc: str) -> None:
    """A package's variants of ``app``'s ``table``, each with the roles this installation
    has."""
    if not isinstance(items, list):
        raise Invalid.on(loc, "package.shape", detail="forms must be a list")
    s = work.catalog.table(app, table)
    for i, item in enumerate(items):
        add(work, s, item, f"{loc}.{i}", known=True)


# -- publications -----------------------------------------------------------------------------
def export_publications(work: Work, s: TableSchema) -> list[dict[str, Any]]:
    """The table's publications without their address and secret; the owner by user name."""
    out = []
    for row in store.for_table(work.conn, s.id):
        owner = by_id(work.conn, row.owner_id) if row.owner_id else None
        out.append(
            {
                "form": row.form_key,
                "enabled": row.enabled,
                "owner": owner.username if owner is not None else None,
                "thank_you": row.thank_you,
                "prefill": [s.by_id[i].key for i in row.prefill if i in s.by_id],
                "min_fill_seconds": row.min_fill_seconds,
                "max_bytes": row.max_bytes,
                "difficulty": row.difficulty,
            }
        )
    return out


def import_publications(work: Work, app: str, table: str, items: Any, loc: str) -> None:
    """Publications of a package, each with a new address and secret. An owner this
    installation does not have (or who may not create the records), or a form that cannot be
    completed here: imported unpublished (enabled false)."""
    if not isinstance(items, list):
        raise Invalid.on(loc, "package.shape", detail="publications must be a list")
    s = work.catalog.table(app, table)
    for i, item in enumerate(items):
        where = f"{loc}.{i}"
        if not isinstance(item, dict) or set(item) - {"form", *SETTINGS}:
            raise Invalid.on(where, "package.shape", detail="a publication's settings")
        form = item.get("form") or DEFAULT
        if form != DEFAULT and form_store.get(work.conn, s.id, form) is None:
            raise Invalid.on(f"{where}.form", "form.not_found", key=form)
        if store.for_form(work.conn, s.id, form) is not None:
            raise Invalid.on(f"{where}.form", "package.shape", detail="published twice")
        body = {k: item[k] for k in SETTINGS if k in item and k != "owner"}
        owner = item.get("owner")
        found = by_username(work.conn, owner) if isinstance(owner, str) else None
        owner_id = found.id if found is not None and found.status == "active" else None
        body["enabled"] = False  # checked below, once the owner is known
        try:
            values = checked_settings(work, s, form, body, None)
        except Invalid as e:
            raise e.under(where) from None
        values["owner_id"] = owner_id
        if item.get("enabled", True) and owner_id is not None:
            try:
                check_publishable(work, s, form, values)
                values["enabled"] = True
            except Invalid:
                values["enabled"] = False
        insert(work, s, form, values)
