"""Publishing a form (表单发布), the managers' side: a table's form (its default form or a
variant) at a public address, with its settings checked (an owner who may create the records,
a form a visitor can complete, the anti-abuse bounds), new addresses and signing secrets, and
signed prefill links. What the form offers a visitor is ``offering.py``; the public side is
``public_page.py`` and ``submissions.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cairn.auth import manages_app
from cairn.auth import users as auth_users
from cairn.auth.form_proofs import new_secret, new_token, sign_prefill
from cairn.auth.guard import guard
from cairn.core import Conflict, FieldErrors, Forbidden, Invalid, Message, NotFound
from cairn.forms.offering import (
    offering,
    offering_of,
    owner_principal,
    prefill_fields,
    public_path,
)
from cairn.forms.ports import Work
from cairn.forms.runtime import DEFAULT, compiled
from cairn.meta import BadValue
from cairn.meta.public_forms import (
    DEFAULT_DIFFICULTY,
    DEFAULT_LINK_DAYS,
    DEFAULT_MAX_BYTES,
    DEFAULT_MIN_FILL_SECONDS,
    MAX_DIFFICULTY,
    MAX_LINK_DAYS,
    MAX_MAX_BYTES,
    MAX_MIN_FILL_SECONDS,
    MIN_DIFFICULTY,
    MIN_MAX_BYTES,
    check_thank_you,
    prefillable,
)
from cairn.store import TableSchema
from cairn.store import forms as form_store
from cairn.store import public_forms as store

#: A publication's settings as a manager (or an app package) gives them.
SETTINGS = (
    "enabled",
    "owner",
    "thank_you",
    "prefill",
    "min_fill_seconds",
    "max_bytes",
    "difficulty",
)
_COLUMNS = (
    "enabled",
    "owner_id",
    "thank_you",
    "prefill",
    "min_fill_seconds",
    "max_bytes",
    "difficulty",
)


def managed(work: Work, app: str, table: str, form: str) -> TableSchema:
    """The table, if the form exists and the principal manages the app."""
    s = work.catalog.table(app, table)
    if not manages_app(work.conn, work.principal, s.app.id):
        raise Forbidden("public_form.managers_only")
    if form != DEFAULT and form_store.get(work.conn, s.id, form) is None:
        raise NotFound("form.not_found", key=form)
    return s


def publication(work: Work, s: TableSchema, form: str) -> Any:
    """The publication of form ``form`` (404 when it is not published)."""
    row = store.for_form(work.conn, s.id, form)
    if row is None:
        raise NotFound("public_form.not_published", form=form)
    return row


def publish(work: Work, s: TableSchema, form: str, body: dict[str, Any]) -> None:
    """Publish the form or change its publication (created when there is none). A new
    address (``rotate_token``) and a new signing secret (``rotate_secret``: links and
    challenges made so far stop working) on request."""
    row = store.for_form(work.conn, s.id, form)
    values = checked_settings(work, s, form, body, row)
    if row is None:
        insert(work, s, form, values)
        return
    if body.get("rotate_token"):
        values["token"] = new_token()
    if body.get("rotate_secret"):
        values["secret"] = new_secret()
    version = body.get("version") or row.version
    if store.update(work.conn, row.id, version, work.now, **values) is None:
        raise Conflict("record.stale", expected=version, actual=row.version)


def insert(work: Work, s: TableSchema, form: str, values: dict[str, Any]) -> None:
    """A new publication of form ``form`` with ``values`` (checked settings), at a new address
    and with a new signing secret."""
    store.insert(
        work.conn,
        work.now,
        table_id=s.id,
        form_key=form,
        token=new_token(),
        secret=new_secret(),
        **values,
    )


def unpublish(work: Work, s: TableSchema, form: str) -> None:
    """The address stops answering (a new publication gets a new one)."""
    store.delete(work.conn, publication(work, s, form).id)


def link(work: Work, s: TableSchema, form: str, body: dict[str, Any]) -> dict[str, Any]:
    """A link to the public form carrying signed values (a survey for one customer, a booking
    for one vehicle): ``values`` by field key (fields the publication lets links fill in),
    good for ``expires_in_days``."""
    row = publication(work, s, form)
    raw = body.get("values")
    if not isinstance(raw, dict) or not raw:
        raise Invalid.on("values", "public_form.link_empty")
    allowed = {f.key: f for f in prefill_fields(s, row)}
    values: dict[int, Any] = {}
    errors = FieldErrors()
    for key, value in raw.items():
        f = allowed.get(key)
        if f is None:
            errors.add(f"values.{key}", Message("public_form.link_field", {"key": key}))
            continue
        try:
            s.coercers[f.id](value)
        except BadValue as e:
            errors.add(f"values.{key}", e.message)
            continue
        values[f.id] = value
    errors.raise_if_any()
    days = bounded(
        body.get("expires_in_days", DEFAULT_LINK_DAYS), "expires_in_days", 1, MAX_LINK_DAYS
    )
    expires = work.clock.now() + timedelta(days=days)
    signed = sign_prefill(row.secret, values, expires)
    return {
        "url": f"{public_path(row.token)}?prefill={signed}",
        "prefill": signed,
        "expires_at": expires.isoformat(),
    }


def public(work: Work, s: TableSchema, row: Any) -> dict[str, Any]:
    """The publication ``row`` as its managers see it."""
    owner = auth_users.by_id(work.conn, row.owner_id) if row.owner_id else None
    off = offering(work, s, row)
    return {
        "form": row.form_key,
        "enabled": row.enabled,
        "token": row.token,
        "path": public_path(row.token),
        "owner": _person(owner),
        "owner_active": off.owner is not None,
        "thank_you": row.thank_you,
        "prefill": [s.by_id[i].key for i in row.prefill if i in s.by_id],
        "min_fill_seconds": row.min_fill_seconds,
        "max_bytes": row.max_bytes,
        "difficulty": row.difficulty,
        "version": row.version,
        "offered": [f.key for f in off.fields],
        "prefillable": [f.key for f in s.fields if prefillable(f, s.types[f.id])],
    }


# -- the settings -----------------------------------------------------------------------------
def checked_settings(
    work: Work, s: TableSchema, form: str, body: dict[str, Any], row: Any
) -> dict[str, Any]:
    """The publication's columns from ``body`` over ``row``'s (defaults for a new one),
    checked; publishing (enabled) also needs an owner who may create records and a form a
    visitor can complete."""
    out: dict[str, Any] = {}
    if row is None:
        out = {
            "enabled": True,
            "owner_id": work.principal.user_id,
            "thank_you": check_thank_you(None),
            "prefill": [],
            "min_fill_seconds": DEFAULT_MIN_FILL_SECONDS,
            "max_bytes": DEFAULT_MAX_BYTES,
            "difficulty": DEFAULT_DIFFICULTY,
        }
    if "enabled" in body:
        out["enabled"] = bool(body["enabled"])
    if "owner" in body:
        out["owner_id"] = _owner_id(work, body["owner"])
    if "thank_you" in body:
        out["thank_you"] = check_thank_you(body["thank_you"])
    if "prefill" in body:
        out["prefill"] = _prefill_ids(s, body["prefill"])
    errors = FieldErrors()
    for key, lo, hi in (
        ("min_fill_seconds", 0, MAX_MIN_FILL_SECONDS),
        ("max_bytes", MIN_MAX_BYTES, MAX_MAX_BYTES),
        ("difficulty", MIN_DIFFICULTY, MAX_DIFFICULTY),
    ):
        if key in body:
            try:
                out[key] = bounded(body[key], key, lo, hi)
            except Invalid as e:
                errors.merge("", e)
    errors.raise_if_any()
    merged = {c: getattr(row, c) for c in _COLUMNS} if row is not None else {}
    merged.update(out)
    if merged["enabled"]:
        check_publishable(work, s, form, merged)
    return out


def check_publishable(work: Work, s: TableSchema, form: str, settings: dict[str, Any]) -> None:
    """Refuse to publish with no owner, an owner who may not create the table's records, a
    form that offers nothing, or one that leaves a required field no way to be filled."""
    owner = owner_principal(work, settings["owner_id"])
    if owner is None:
        raise Invalid.on("owner", "public_form.owner_required")
    as_owner = work.viewed_as(owner)
    if not guard(as_owner).access(s).can("create"):
        raise Invalid.on("owner", "public_form.owner_cannot_create", user=owner.username)
    off = offering_of(work, s, form, owner, settings["prefill"])
    if not off.fields:
        raise Invalid.on("form", "public_form.nothing_offered")
    fillable = {f.id for f in off.fields} | set(off.prefill)
    linkage = compiled(work, s, form)
    set_by_rules = {a.field for r in linkage.rules for a in r.actions if a.type == "set"}
    on_form = linkage.fields  # a variant: what it does not place is not required
    for f in s.fields:
        ft = s.types[f.id]
        if not f.required or not ft.writable or f.id in fillable:
            continue
        if on_form is not None and f.key not in on_form:
            continue
        if f.default is not None or f.options.get("default_formula"):
            continue
        if f.key in set_by_rules:
            continue
        raise Invalid.on("form", "public_form.required_unfillable", field=f.name)


def _owner_id(work: Work, ref: Any) -> int:
    if ref is None or ref == "":
        raise Invalid.on("owner", "public_form.owner_required")
    if not isinstance(ref, int | str) or isinstance(ref, bool):
        raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref))
    try:
        row = auth_users.resolve(work.conn, ref)
    except NotFound:
        raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref)) from None
    if row.status != "active":
        raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref))
    p = work.principal
    if row.is_admin and row.id != p.user_id and not (p.is_admin or p.user_id is None):
        raise Invalid.on("owner", "public_form.owner_admin")
    return int(row.id)


def _prefill_ids(s: TableSchema, raw: Any) -> list[int]:
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise Invalid.on("prefill", "invalid.list")
    out: list[int] = []
    for i, key in enumerate(dict.fromkeys(raw)):
        f = s.by_key.get(key)
        if f is None:
            raise Invalid.on(f"prefill.{i}", "field.unknown", key=key)
        if not prefillable(f, s.types[f.id]):
            raise Invalid.on(f"prefill.{i}", "public_form.prefill_field", key=key)
        out.append(f.id)
    return out


def bounded(value: Any, key: str, lo: int, hi: int) -> int:
    """``value``, an integer from ``lo`` to ``hi`` (``Invalid`` at ``key`` otherwise)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid.on(key, "value.integer")
    if value < lo:
        raise Invalid.on(key, "value.min", min=lo)
    if value > hi:
        raise Invalid.on(key, "value.max", max=hi)
    return value


def _person(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, "username": row.username, "display_name": row.display_name}
