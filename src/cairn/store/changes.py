"""Definition writes announce themselves here, so the audit log can say what changed.

Every function of the store that writes a definition (an app, a table, a field, a rule, a
dashboard, an alert, a KPI mapping, a saved view, a channel, a role, a department, a user, a process version,
an app setting) calls ``touching`` before the write, or ``created`` after an insert whose id it
only then knows. The unit of work installs a tracker in ``conn.info`` (``cairn.auth.config_audit``):
it snapshots each object the first time it is touched and, as the transaction commits, once
more, and writes one audit entry per object with what changed. Without a tracker (a migration,
a test writing rows directly) the calls do nothing.

``snapshot`` reads one object as the audit shows it: what a user configures, not the runtime
columns (``updated_at``, ``version``, an alert's last value, a user's last sign-in)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from cairn.store import system
from cairn.store.tables.identity import identity_rules
from cairn.store.tables.scores import score_models
from cairn.store.tables.segments import segments
from cairn.store.tables.tags import tags

#: Where the unit of work keeps its tracker in ``Connection.info``.
INFO_KEY = "cairn.changes"


class Tracker(Protocol):
    def touching(self, conn: sa.Connection, kind: str, object_id: Any) -> None: ...

    def created(self, conn: sa.Connection, kind: str, object_id: Any) -> None: ...


@dataclass
class Snapshot:
    """One object as the audit log shows it."""

    kind: str
    state: dict[str, Any]
    #: False when the object is in the recycle bin.
    live: bool = True
    app_id: int | None = None
    table_id: int | None = None
    #: Paths in ``state`` ("secret", "settings.password") whose values never reach the log.
    secrets: set[str] = field(default_factory=set)


def _tracker(conn: sa.Connection) -> Tracker | None:
    return conn.info.get(INFO_KEY)


def touching(conn: sa.Connection, table: sa.Table, ids: Any) -> None:
    """Before a write to ``table``: the objects ``ids`` (one or a list) are about to change."""
    tracker = _tracker(conn)
    kind = KINDS.get(table.name)
    if tracker is None or kind is None:
        return
    for object_id in ids if isinstance(ids, list) else [ids]:
        tracker.touching(conn, kind, object_id)


def created(conn: sa.Connection, table: sa.Table, object_id: Any) -> None:
    """After an insert into ``table``: ``object_id`` is new in this transaction."""
    tracker = _tracker(conn)
    kind = KINDS.get(table.name)
    if tracker is not None and kind is not None:
        tracker.created(conn, kind, object_id)


# -- snapshots ----------------------------------------------------------------------------------
def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


def _row(conn: sa.Connection, table: sa.Table, where: Any) -> Any:
    return conn.execute(sa.select(table).where(where)).mappings().first()


def _field_keys(conn: sa.Connection, table_id: int) -> dict[int, str]:
    f = system.fields
    q = sa.select(f.c.id, f.c.key).where(f.c.table_id == table_id)
    return {i: k for i, k in conn.execute(q)}


def _app(conn: sa.Connection, app_id: int) -> Snapshot | None:
    r = _row(conn, system.apps, system.apps.c.id == app_id)
    if r is None:
        return None
    state = {k: r[k] for k in ("key", "name", "description", "position")}
    return Snapshot("app", state, r["deleted_at"] is None, app_id=app_id)


def _table(conn: sa.Connection, table_id: int) -> Snapshot | None:
    r = _row(conn, system.tables, system.tables.c.id == table_id)
    if r is None:
        return None
    keys = _field_keys(conn, table_id)
    layout = r["layout"]
    if layout:
        layout = {
            "sections": [
                {**sec, "rows": [[keys.get(c) for c in row] for row in sec.get("rows") or []]}
                for sec in layout.get("sections") or []
            ],
            **({"rules": layout["rules"]} if layout.get("rules") else {}),
        }
    rules = [
        {
            "formula": x.get("formula"),
            "message": x.get("message"),
            "field": keys.get(x.get("field")),
        }
        for x in r["validation_rules"] or []
    ]
    state = {
        "key": r["key"],
        "name": r["name"],
        "description": r["description"],
        "position": r["position"],
        "display_field": keys.get(r["display_field_id"]),
        "validation_rules": rules or None,
        "layout": layout or None,
    }
    return Snapshot("table", state, r["deleted_at"] is None, r["app_id"], table_id)


def _field(conn: sa.Connection, field_id: int) -> Snapshot | None:
    f, t = system.fields, system.tables
    r = (
        conn.execute(
            sa.select(f, t.c.app_id, t.c.key.label("table_key"))
            .select_from(f.join(t, t.c.id == f.c.table_id))
            .where(f.c.id == field_id)
        )
        .mappings()
        .first()
    )
    if r is None:
        return None
    options = dict(r["options"] or {})
    options.pop("uses", None)
    state = {
        "key": r["key"],
        "name": r["name"],
        "type": r["type"],
        "options": options,
        "required": r["required"],
        "unique": r["is_unique"],
        "default": r["default"],
        "help_text": r["help_text"],
        "position": r["position"],
        "table": r["table_key"],
    }
    secrets = {"default"} if options.get("sensitive") else set()
    return Snapshot("field", state, r["deleted_at"] is None, r["app_id"], r["table_id"], secrets)


def _versioned(
    kind: str, table: sa.Table, columns: tuple[str, ...], secrets: Iterable[str] = ()
) -> Callable[[sa.Connection, int], Snapshot | None]:
    def load(conn: sa.Connection, object_id: int) -> Snapshot | None:
        r = _row(conn, table, table.c.id == object_id)
        if r is None:
            return None
        state = {c: _iso(r[c]) for c in columns}
        table_id = r.get("table_id")
        app_id = r.get("app_id")
        if kind in ("view", "form", "form_publication", "identity_rule"):
            t = system.tables
            app_id = conn.execute(sa.select(t.c.app_id).where(t.c.id == table_id)).scalar()
        return Snapshot(kind, state, True, app_id, table_id, set(secrets))

    return load


def _channel(conn: sa.Connection, key: str) -> Snapshot | None:
    cc = system.channel_configs
    r = _row(conn, cc, cc.c.key == key)
    if r is None:
        return None
    state = {"key": r["key"], "kind": r["kind"], "name": r["name"], "enabled": r["enabled"]}
    state["settings"] = dict(r["settings"] or {})
    return Snapshot("channel", state)


def _role(conn: sa.Connection, role_id: int) -> Snapshot | None:
    r = _row(conn, system.roles, system.roles.c.id == role_id)
    if r is None:
        return None
    a, t, f = system.apps, system.tables, system.fields
    ra, rt, rf, ur, u = (
        system.role_apps,
        system.role_tables,
        system.role_fields,
        system.user_roles,
        system.users,
    )
    apps = conn.execute(
        sa.select(a.c.key).join(ra, ra.c.app_id == a.c.id).where(ra.c.role_id == role_id)
    ).scalars()
    grants: dict[str, Any] = {}
    for g in conn.execute(
        sa.select(rt, t.c.key.label("table_key"), a.c.key.label("app_key"))
        .select_from(rt.join(t, t.c.id == rt.c.table_id).join(a, a.c.id == t.c.app_id))
        .where(rt.c.role_id == role_id)
    ).mappings():
        actions = ("create", "read", "update", "delete", "export", "manage")
        grants[f"{g['app_key']}.{g['table_key']}"] = {
            "actions": [x for x in actions if g[f"can_{x}"]],
            "row_scope": g["row_scope"],
            "row_filter": g["row_filter"],
        }
    fields = {
        f"{tk}.{fk}": access
        for tk, fk, access in conn.execute(
            sa.select(t.c.key, f.c.key, rf.c.access)
            .select_from(rf.join(f, f.c.id == rf.c.field_id).join(t, t.c.id == f.c.table_id))
            .where(rf.c.role_id == role_id)
        )
    }
    members = conn.execute(
        sa.select(u.c.username).join(ur, ur.c.user_id == u.c.id).where(ur.c.role_id == role_id)
    ).scalars()
    state = {
        "key": r["key"],
        "name": r["name"],
        "description": r["description"],
        "manages_apps": sorted(apps),
        "tables": grants,
        "fields": fields,
        "members": sorted(members),
    }
    return Snapshot("role", state)


def _department(conn: sa.Connection, department_id: int) -> Snapshot | None:
    d = system.departments
    r = _row(conn, d, d.c.id == department_id)
    if r is None:
        return None
    return Snapshot(
        "department", {k: r[k] for k in ("name", "parent_id", "manager_id", "position")}
    )


def _user(conn: sa.Connection, user_id: int) -> Snapshot | None:
    u, ud, ur, ro = system.users, system.user_departments, system.user_roles, system.roles
    r = _row(conn, u, u.c.id == user_id)
    if r is None:
        return None
    columns = ("username", "display_name", "email", "mobile", "status", "is_admin", "language")
    state: dict[str, Any] = {c: r[c] for c in columns}
    state["department_id"] = r["department_id"]
    state["department_ids"] = sorted(
        conn.execute(sa.select(ud.c.department_id).where(ud.c.user_id == user_id)).scalars()
    )
    state["roles"] = sorted(
        conn.execute(
            sa.select(ro.c.key).join(ur, ur.c.role_id == ro.c.id).where(ur.c.user_id == user_id)
        ).scalars()
    )
    # Only whether it changed: the hash itself stays out of the log.
    state["password"] = r["password_hash"]
    return Snapshot("user", state, secrets={"password"})


def _process(conn: sa.Connection, definition_id: int) -> Snapshot | None:
    d = system.process_definitions
    r = _row(conn, d, d.c.id == definition_id)
    if r is None:
        return None
    state = {k: r[k] for k in ("key", "name", "version", "options")}
    bpmn = r["bpmn"] or ""
    state["bpmn"] = {"sha256": hashlib.sha256(bpmn.encode()).hexdigest(), "length": len(bpmn)}
    return Snapshot("process", state, True, r["app_id"], r["table_id"])


def _setting(conn: sa.Connection, object_id: tuple[int, str]) -> Snapshot | None:
    app_id, key = object_id
    s = system.app_settings
    r = _row(conn, s, (s.c.app_id == app_id) & (s.c.key == key))
    if r is None:
        return None
    return Snapshot("setting", {"key": key, "value": r["value"]}, True, app_id)


#: System table name → the kind of object its rows are.
KINDS: dict[str, str] = {
    "apps": "app",
    "tables": "table",
    "fields": "field",
    "rules": "rule",
    "dashboards": "dashboard",
    "alerts": "alert",
    "kpi_mappings": "kpi_mapping",
    "identity_rules": "identity_rule",
    "tags": "tag",
    "segments": "segment",
    "score_models": "score_model",
    "grid_views": "view",
    "form_variants": "form",
    "form_publications": "form_publication",
    "channel_configs": "channel",
    "roles": "role",
    "departments": "department",
    "users": "user",
    "process_definitions": "process",
    "app_settings": "setting",
}

#: Kind → how to read one object of it (by id; a channel by key; a setting by (app id, key)).
SNAPSHOTS: dict[str, Callable[[sa.Connection, Any], Snapshot | None]] = {
    "app": _app,
    "table": _table,
    "field": _field,
    "rule": _versioned(
        "rule",
        system.rules,
        ("key", "name", "description", "enabled", "owner_id", "spec", "secret"),
        secrets=("secret",),
    ),
    "dashboard": _versioned(
        "dashboard", system.dashboards, ("key", "name", "description", "definition", "position")
    ),
    "alert": _versioned(
        "alert",
        system.alerts,
        ("key", "name", "description", "enabled", "owner_id", "spec", "schedule", "actions"),
    ),
    "kpi_mapping": _versioned("kpi_mapping", system.kpi_mappings, ("kpi", "params")),
    "identity_rule": _versioned(
        "identity_rule",
        identity_rules,
        ("name", "kind", "parts", "threshold", "action", "enabled", "position"),
    ),
    "tag": _versioned("tag", tags, ("name", "colour", "group", "description", "position")),
    "segment": _versioned(
        "segment",
        segments,
        ("name", "description", "table_id", "kind", "filter", "refresh"),
    ),
    "score_model": _versioned(
        "score_model", score_models, ("name", "enabled", "kind", "inputs", "bands", "learned")
    ),
    "view": _versioned("view", system.grid_views, ("name", "shared", "owner_id", "config")),
    "form": _versioned(
        "form", system.form_variants, ("key", "name", "layout", "roles", "position")
    ),
    # The token and the signing secret: only whether they changed.
    "form_publication": _versioned(
        "form_publication",
        system.form_publications,
        (
            "form_key",
            "enabled",
            "owner_id",
            "thank_you",
            "prefill",
            "min_fill_seconds",
            "max_bytes",
            "difficulty",
            "token",
            "secret",
        ),
        secrets=("token", "secret"),
    ),
    "channel": _channel,
    "role": _role,
    "department": _department,
    "user": _user,
    "process": _process,
    "setting": _setting,
}


def snapshot(conn: sa.Connection, kind: str, object_id: Any) -> Snapshot | None:
    return SNAPSHOTS[kind](conn, object_id)
