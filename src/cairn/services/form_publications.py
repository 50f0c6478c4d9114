"""Publishing a form (表单发布): a table's form (its default form or a variant) at a public
address, for the app's managers; signed prefill links; publications in app packages.

What a published form offers a visitor is worked out here (``offering``) from the form's
layout, the field types a public form may show (``meta/public_forms.py``) and what the
publication's owner may write: a visitor's submission is a record the owner creates, with
the owner's permissions. ``services/public_forms.py`` serves the public side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal, manages_app
from cairn.auth import users as auth_users
from cairn.auth.form_proofs import new_secret, new_token, sign_prefill
from cairn.auth.guard import guard
from cairn.core import Conflict, FieldErrors, Forbidden, Invalid, Message, NotFound
from cairn.meta import BadValue, Field
from cairn.meta.layouts import layout_effective, layout_public
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
    offered,
    prefillable,
)
from cairn.services.forms import DEFAULT
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import forms as form_store
from cairn.store import public_forms as store

if TYPE_CHECKING:
    from cairn.services.context import Services

#: The channel a public form's submissions are written (and audited) on.
CHANNEL = "public_form"
SETTINGS = (
    "enabled",
    "owner",
    "thank_you",
    "prefill",
    "min_fill_seconds",
    "max_bytes",
    "difficulty",
)


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


class PublicationService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- the managers' side ---------------------------------------------------------------
    def get(self, app: str, table: str, form: str, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = self._managed(uow, app, table, form)
            return self._public(uow, s, self._row(uow, s, form))

    def put(
        self, app: str, table: str, form: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Publish the form or change its publication (created when there is none). A new
        address (``rotate_token``) and a new signing secret (``rotate_secret``: links and
        challenges made so far stop working) on request."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._managed(uow, app, table, form)
            row = store.for_form(uow.conn, s.id, form)
            values = self._settings(uow, s, form, body, row)
            if row is None:
                store.insert(
                    uow.conn,
                    uow.now,
                    table_id=s.id,
                    form_key=form,
                    token=new_token(),
                    secret=new_secret(),
                    **values,
                )
            else:
                if body.get("rotate_token"):
                    values["token"] = new_token()
                if body.get("rotate_secret"):
                    values["secret"] = new_secret()
                version = body.get("version") or row.version
                if store.update(uow.conn, row.id, version, uow.now, **values) is None:
                    raise Conflict("record.stale", expected=version, actual=row.version)
        return self.get(app, table, form, principal)

    def delete(self, app: str, table: str, form: str, principal: Principal = SYSTEM) -> None:
        """Unpublish: the address stops answering (a new publication gets a new one)."""
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._managed(uow, app, table, form)
            store.delete(uow.conn, self._row(uow, s, form).id)

    def link(
        self, app: str, table: str, form: str, body: dict[str, Any], principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A link to the public form carrying signed values (a survey for one customer, a
        booking for one vehicle): ``values`` by field key (fields the publication lets links
        fill in), good for ``expires_in_days``."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = self._managed(uow, app, table, form)
            row = self._row(uow, s, form)
            raw = body.get("values")
            if not isinstance(raw, dict) or not raw:
                raise Invalid.on("values", "public_form.link_empty")
            allowed = {f.key: f for f in self._prefill_fields(s, row)}
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
            days = _bounded(
                body.get("expires_in_days", DEFAULT_LINK_DAYS), "expires_in_days", 1, MAX_LINK_DAYS
            )
            expires = self.s.clock.now() + timedelta(days=days)
            signed = sign_prefill(row.secret, values, expires)
            return {
                "url": f"{public_path(row.token)}?prefill={signed}",
                "prefill": signed,
                "expires_at": expires.isoformat(),
            }

    def _managed(self, uow: UnitOfWork, app: str, table: str, form: str) -> TableSchema:
        """The table, if the form exists and the caller manages the app."""
        s = uow.catalog.table(app, table)
        if not manages_app(uow.conn, uow.principal, s.app.id):
            raise Forbidden("public_form.managers_only")
        if form != DEFAULT and form_store.get(uow.conn, s.id, form) is None:
            raise NotFound("form.not_found", key=form)
        return s

    @staticmethod
    def _row(uow: UnitOfWork, s: TableSchema, form: str) -> Any:
        row = store.for_form(uow.conn, s.id, form)
        if row is None:
            raise NotFound("public_form.not_published", form=form)
        return row

    def _settings(
        self, uow: UnitOfWork, s: TableSchema, form: str, body: dict[str, Any], row: Any
    ) -> dict[str, Any]:
        """The publication's columns from ``body`` over ``row``'s (defaults for a new one),
        checked; publishing (enabled) also needs an owner who may create records and a form
        a visitor can complete."""
        out: dict[str, Any] = {}
        if row is None:
            out = {
                "enabled": True,
                "owner_id": uow.principal.user_id,
                "thank_you": check_thank_you(None),
                "prefill": [],
                "min_fill_seconds": DEFAULT_MIN_FILL_SECONDS,
                "max_bytes": DEFAULT_MAX_BYTES,
                "difficulty": DEFAULT_DIFFICULTY,
            }
        if "enabled" in body:
            out["enabled"] = bool(body["enabled"])
        if "owner" in body:
            out["owner_id"] = self._owner_id(uow, body["owner"])
        if "thank_you" in body:
            out["thank_you"] = check_thank_you(body["thank_you"])
        if "prefill" in body:
            out["prefill"] = self._prefill_ids(s, body["prefill"])
        errors = FieldErrors()
        for key, lo, hi in (
            ("min_fill_seconds", 0, MAX_MIN_FILL_SECONDS),
            ("max_bytes", MIN_MAX_BYTES, MAX_MAX_BYTES),
            ("difficulty", MIN_DIFFICULTY, MAX_DIFFICULTY),
        ):
            if key in body:
                try:
                    out[key] = _bounded(body[key], key, lo, hi)
                except Invalid as e:
                    errors.merge("", e)
        errors.raise_if_any()
        merged = {c: getattr(row, c) for c in _COLUMNS} if row is not None else {}
        merged.update(out)
        if merged["enabled"]:
            self._check_publishable(uow, s, form, merged)
        return out

    @staticmethod
    def _owner_id(uow: UnitOfWork, ref: Any) -> int:
        if ref is None or ref == "":
            raise Invalid.on("owner", "public_form.owner_required")
        if not isinstance(ref, int | str) or isinstance(ref, bool):
            raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref))
        try:
            row = auth_users.resolve(uow.conn, ref)
        except NotFound:
            raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref)) from None
        if row.status != "active":
            raise Invalid.on("owner", "public_form.owner_unknown", user=str(ref))
        p = uow.principal
        if row.is_admin and row.id != p.user_id and not (p.is_admin or p.user_id is None):
            raise Invalid.on("owner", "public_form.owner_admin")
        return int(row.id)

    @staticmethod
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

    def _check_publishable(
        self, uow: UnitOfWork, s: TableSchema, form: str, settings: dict[str, Any]
    ) -> None:
        owner = self._owner(uow, settings["owner_id"])
        if owner is None:
            raise Invalid.on("owner", "public_form.owner_required")
        as_owner = uow.viewed_as(owner)
        if not guard(as_owner).access(s).can("create"):
            raise Invalid.on("owner", "public_form.owner_cannot_create", user=owner.username)
        off = self._offering(uow, s, form, owner, settings["prefill"])
        if not off.fields:
            raise Invalid.on("form", "public_form.nothing_offered")
        fillable = {f.id for f in off.fields} | set(off.prefill)
        compiled = self.s.forms.compiled(uow, s, form)
        set_by_rules = {a.field for r in compiled.rules for a in r.actions if a.type == "set"}
        on_form = compiled.fields  # a variant: what it does not place is not required
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

    # -- what a published form offers ------------------------------------------------------
    def offering(
        self, uow: UnitOfWork, s: TableSchema, row: Any, address: str | None = None
    ) -> Offering:
        """What the publication ``row`` offers, and its owner acting from ``address``."""
        owner = self._owner(uow, row.owner_id, address)
        return self._offering(uow, s, row.form_key, owner, row.prefill)

    @staticmethod
    def _owner(
        uow: UnitOfWork, owner_id: int | None, address: str | None = None
    ) -> Principal | None:
        if owner_id is None:
            return None
        u = auth_users.by_id(uow.conn, owner_id)
        if u is None or u.status != "active":
            return None
        return Principal(u.id, u.username, bool(u.is_admin), CHANNEL, address)

    def _offering(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        form: str,
        owner: Principal | None,
        prefill: list[int],
    ) -> Offering:
        if form == DEFAULT:
            raw, title = s.table.layout, s.table.name
        else:
            variant = form_store.get(uow.conn, s.id, form)
            if variant is None:
                raise NotFound("public_form.closed")
            raw, title = variant.layout, variant.name
        if owner is None:
            writable = lambda f: False  # noqa: E731
        else:
            g = guard(uow.viewed_as(owner))
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

    def _prefill_fields(self, s: TableSchema, row: Any) -> list[Field]:
        return [
            s.by_id[i] for i in row.prefill if i in s.by_id and prefillable(s.by_id[i], s.types[i])
        ]

    def _public(self, uow: UnitOfWork, s: TableSchema, row: Any) -> dict[str, Any]:
        owner = auth_users.by_id(uow.conn, row.owner_id) if row.owner_id else None
        off = self.offering(uow, s, row)
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

    # -- app packages ---------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, s: TableSchema) -> list[dict[str, Any]]:
        """The table's publications without their address and secret (an import makes new
        ones); the owner by user name."""
        out = []
        for row in store.for_table(uow.conn, s.id):
            owner = auth_users.by_id(uow.conn, row.owner_id) if row.owner_id else None
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

    def import_in(self, uow: UnitOfWork, app: str, table: str, items: Any, loc: str) -> None:
        """Publications of a package, each with a new address and secret. An owner this
        installation does not have (or who may not create the records), or a form that
        cannot be completed here: imported unpublished (enabled false)."""
        if not isinstance(items, list):
            raise Invalid.on(loc, "package.shape", detail="publications must be a list")
        s = uow.catalog.table(app, table)
        for i, item in enumerate(items):
            where = f"{loc}.{i}"
            if not isinstance(item, dict) or set(item) - {"form", *SETTINGS}:
                raise Invalid.on(where, "package.shape", detail="a publication's settings")
            form = item.get("form") or DEFAULT
            if form != DEFAULT and form_store.get(uow.conn, s.id, form) is None:
                raise Invalid.on(f"{where}.form", "form.not_found", key=form)
            if store.for_form(uow.conn, s.id, form) is not None:
                raise Invalid.on(f"{where}.form", "package.shape", detail="published twice")
            body = {k: item[k] for k in SETTINGS if k in item and k != "owner"}
            owner = item.get("owner")
            found = auth_users.by_username(uow.conn, owner) if isinstance(owner, str) else None
            owner_id = found.id if found is not None and found.status == "active" else None
            body["enabled"] = False  # checked below, once the owner is known
            try:
                values = self._settings(uow, s, form, body, None)
            except Invalid as e:
                raise e.under(where) from None
            values["owner_id"] = owner_id
            if item.get("enabled", True) and owner_id is not None:
                try:
                    self._check_publishable(uow, s, form, values)
                    values["enabled"] = True
                except Invalid:
                    values["enabled"] = False
            store.insert(
                uow.conn,
                uow.now,
                table_id=s.id,
                form_key=form,
                token=new_token(),
                secret=new_secret(),
                **values,
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


def public_path(token: str) -> str:
    """Where the public form is (the web UI's page outside its shell)."""
    return f"/f/{token}"


def _bounded(value: Any, key: str, lo: int, hi: int) -> int:
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
