"""A table's forms (表单): its default form (the table's layout) and its variants, each a
layout with linkage rules given to some roles: which one a user opens, what a form page gets,
a new record's starting values, and the variants' definitions checked and kept.

Who may read or design the table is the caller's to check (``services/forms.py``); the
functions here take the unit of work they run in."""

from __future__ import annotations

from typing import Any

from cairn.auth import known_role_keys, role_keys
from cairn.core import Conflict, Invalid, NotFound
from cairn.forms.ports import Work
from cairn.forms.runtime import (
    DEFAULT,
    compiled,
    default_formulas,
    env_json,
    environment,
    start_values,
)
from cairn.meta.checks import check_key, check_name, check_position
from cairn.meta.layouts import check_layout, layout_effective, layout_public
from cairn.store import TableSchema
from cairn.store import forms as store
from cairn.store import public_forms as public_store

MAX_VARIANTS = 50
_BODY = frozenset({"key", "name", "layout", "roles", "position"})
_CHANGE = frozenset({"name", "layout", "roles", "position", "version"})


# -- reads ------------------------------------------------------------------------------------
def summaries(work: Work, s: TableSchema) -> dict[str, Any]:
    """The table's forms (its default form first) and the key of the one the principal opens
    by default: the first variant one of their roles is given, else the default."""
    rows = store.for_table(work.conn, s.id)
    user_id = work.principal.user_id
    mine = role_keys(work.conn, user_id) if user_id else set()
    in_force = next((r.key for r in rows if mine & set(r.roles or [])), DEFAULT)
    items = [_default_summary(s)] + [_summary(r) for r in rows]
    return {"items": items, "in_force": in_force}


def page(work: Work, s: TableSchema, key: str, hidden: set[int]) -> dict[str, Any]:
    """One form as a form page needs it: its layout (the ``hidden`` fields left out), its
    rules as written, and ``linkage``: the rules as the browser runs them, with ``env``
    (today, now, the zone's offset, the caller) to run them in."""
    if key == DEFAULT:
        out = _default_summary(s)
        raw = s.table.layout
    else:
        row = _row(work, s, key)
        out = _summary(row)
        raw = row.layout
    form = compiled(work, s, key)
    out["layout"] = layout_public(s, raw=raw) if raw else None
    if key == DEFAULT:
        out["effective"] = layout_effective(s, hidden, raw or None)
    else:  # a variant shows what it places, nothing more
        out["effective"] = layout_public(s, hidden, raw) or {"sections": []}
    out["linkage"] = form.browser()
    out["env"] = env_json(environment(work, form))
    return out


def defaults(work: Work, s: TableSchema, key: str | None) -> dict[str, Any]:
    """A new record's values before the user types: the fields' defaults, their default
    formulas (for the caller: CURRENTUSER() …), then what form ``key``'s rules set."""
    form = compiled(work, s, key)
    env = environment(work, form, department=default_formulas(s)[1])
    return {"values": start_values(s, form, env)}


# -- writes -----------------------------------------------------------------------------------
def add(work: Work, s: TableSchema, body: Any, loc: str = "", *, known: bool = False) -> None:
    """Add a variant. ``known``: keep only the roles this installation has (an app package's
    roles may not all be here); otherwise an unknown role is refused."""
    pre = f"{loc}." if loc else ""
    if not isinstance(body, dict) or set(body) - _BODY:
        raise Invalid.on(loc or "body", "filter.shape")
    key = check_key(body.get("key"), f"{pre}key")
    if key == DEFAULT or store.get(work.conn, s.id, key) is not None:
        raise Invalid.on(f"{pre}key", "form.key_taken", key=key)
    rows = store.for_table(work.conn, s.id)
    if len(rows) >= MAX_VARIANTS:
        raise Invalid.on(f"{pre}key", "form.rules_shape", max=MAX_VARIANTS)
    position = body.get("position", len(rows) + 1)
    store.insert(
        work.conn,
        work.now,
        table_id=s.id,
        key=key,
        name=check_name(body.get("name", key), f"{pre}name"),
        layout=_layout(s, body.get("layout"), f"{pre}layout"),
        roles=_roles(work, body.get("roles"), f"{pre}roles", known),
        position=check_position(position),
    )


def check_change(key: str, body: Any) -> None:
    """Refuse a change of form ``key`` that is not one: another shape, or of the default
    form (the table's layout) anything but its ``layout``."""
    if not isinstance(body, dict) or set(body) - _CHANGE:
        raise Invalid.on("body", "filter.shape")
    if key == DEFAULT and set(body) - {"layout", "version"}:
        raise Invalid.on("key", "form.default_fixed")


def change(work: Work, s: TableSchema, key: str, body: dict[str, Any]) -> None:
    """Change a variant's name, layout (with its rules), roles or position; ``version``, when
    given, must be the current one (409 otherwise)."""
    row = _row(work, s, key)
    values: dict[str, Any] = {}
    if "name" in body:
        values["name"] = check_name(body["name"])
    if "layout" in body:
        values["layout"] = _layout(s, body["layout"], "layout")
    if "roles" in body:
        values["roles"] = _roles(work, body["roles"], "roles")
    if "position" in body:
        values["position"] = check_position(body["position"])
    version = body.get("version", row.version)
    if values and store.update(work.conn, row.id, version, work.now, **values) is None:
        raise Conflict("record.stale", expected=version, actual=row.version)


def refuse_default(key: str) -> None:
    """The default form is the table's layout: it cannot be removed."""
    if key == DEFAULT:
        raise Invalid.on("key", "form.default_fixed")


def remove(work: Work, s: TableSchema, key: str) -> None:
    """Delete a variant, and its publication (表单发布) with it."""
    refuse_default(key)
    row = _row(work, s, key)
    published = public_store.for_form(work.conn, s.id, key)
    if published is not None:
        public_store.delete(work.conn, published.id)
    store.delete(work.conn, row.id)


# -- helpers ----------------------------------------------------------------------------------
def _row(work: Work, s: TableSchema, key: str) -> Any:
    row = store.get(work.conn, s.id, key)
    if row is None:
        raise NotFound("form.not_found", key=key)
    return row


def _layout(s: TableSchema, raw: Any, loc: str) -> dict[str, Any]:
    return check_layout(s, raw, loc) or {"sections": []}


def _roles(work: Work, raw: Any, loc: str, known_only: bool = False) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise Invalid.on(loc, "form.roles")
    keys = list(dict.fromkeys(raw))
    known = known_role_keys(work.conn, keys) if keys else set()
    if known_only:
        return [k for k in keys if k in known]
    for i, k in enumerate(keys):
        if k not in known:
            raise Invalid.on(f"{loc}.{i}", "form.role_unknown", key=k)
    return keys


def _summary(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "roles": list(row.roles or []),
        "position": row.position,
        "default": False,
        "version": row.version,
    }


def _default_summary(s: TableSchema) -> dict[str, Any]:
    return {"key": DEFAULT, "name": s.table.name, "roles": [], "position": 0, "default": True}
