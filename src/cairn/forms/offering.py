"""What a published form (表单发布) offers a visitor, worked out from the form's layout, the
field types a public form may show (``meta/public_forms.py``) and what the publication's owner
may write: a visitor's submission is a record the owner creates, with the owner's permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cairn.auth import Principal
from cairn.auth import users as auth_users
from cairn.auth.guard import guard
from cairn.core import NotFound
from cairn.forms.ports import Work
from cairn.forms.runtime import DEFAULT
from cairn.meta import Field
from cairn.meta.layouts import layout_effective, layout_public
from cairn.meta.public_forms import offered, prefillable
from cairn.store import TableSchema
from cairn.store import forms as form_store

#: The channel a public form's submissions are written (and audited) on.
CHANNEL = "public_form"


@dataclass(frozen=True)
class Offering:
    """What a published form offers a visitor and who writes what they send."""

    #: The owner acting (None: no owner, or one who is gone).
    owner: Principal | None
    #: The fields a visitor fills in, in the form's order.
    fields: list[Field]
    #: The form's layout over those fields only (sections of rows of field keys).
    layout: dict[str, Any]
    #: The fields a signed link may fill in (by id).
    prefill: dict[int, Field]
    #: The form's name (the table's for its default form).
    title: str
    #: The form a write goes through (None: the table's default form).
    form: str | None


def offering(work: Work, s: TableSchema, row: Any, address: str | None = None) -> Offering:
    """What the publication ``row`` offers, and its owner acting from ``address``."""
    owner = owner_principal(work, row.owner_id, address)
    return offering_of(work, s, row.form_key, owner, row.prefill)


def owner_principal(
    work: Work, owner_id: int | None, address: str | None = None
) -> Principal | None:
    """The publication's owner acting on the public form's channel (None: no owner, or one
    who is no longer active)."""
    if owner_id is None:
        return None
    u = auth_users.by_id(work.conn, owner_id)
    if u is None or u.status != "active":
        return None
    return Principal(u.id, u.username, bool(u.is_admin), CHANNEL, address)


def offering_of(
    work: Work,
    s: TableSchema,
    form: str,
    owner: Principal | None,
    prefill: list[int],
) -> Offering:
    """What form ``form`` of ``s`` offers when ``owner`` writes what visitors send: the fields
    it places that a public form may show and the owner may write, and of ``prefill`` those a
    signed link may fill in."""
    if form == DEFAULT:
        raw, title = s.table.layout, s.table.name
    else:
        variant = form_store.get(work.conn, s.id, form)
        if variant is None:
            raise NotFound("public_form.closed")
        raw, title = variant.layout, variant.name
    if owner is None:
        writable = lambda f: False  # noqa: E731
    else:
        g = guard(work.viewed_as(owner))
        access = g.access(s)
        hidden, _ = g.view(s)
        writable = lambda f: access.writable(f.id) and f.id not in hidden  # noqa: E731
    shown = {f.id for f in s.fields if offered(f, s.types[f.id]) and writable(f)}
    others = {f.id for f in s.fields} - shown
    if form == DEFAULT:
        layout = layout_effective(s, others, raw or None)
    else:
        layout = layout_public(s, others, raw) or {"sections": []}
    layout = {"sections": layout["sections"]}
    keys = [k for sec in layout["sections"] for row in sec["rows"] for k in row if k]
    fields = [s.by_key[k] for k in keys]
    by_id = {
        fid: s.by_id[fid]
        for fid in prefill
        if fid in s.by_id and prefillable(s.by_id[fid], s.types[fid]) and writable(s.by_id[fid])
    }
    return Offering(owner, fields, layout, by_id, title, None if form == DEFAULT else form)


def prefill_fields(s: TableSchema, row: Any) -> list[Field]:
    """The fields publication ``row`` lets a signed link fill in (that still may be)."""
    return [s.by_id[i] for i in row.prefill if i in s.by_id and prefillable(s.by_id[i], s.types[i])]


def public_path(token: str) -> str:
    """Where the public form is (the web UI's page outside its shell)."""
    return f"/f/{token}"
