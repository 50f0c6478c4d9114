"""Schema and configuration changes in the audit log, from snapshots before and after.

A ``ChangeTracker`` lives for one unit of work. The store announces each definition it is
about to write (``cairn.store.changes``); the tracker reads the object then, once, and again as
the transaction commits, and makes one entry per object that changed: ``<kind>.create``,
``.update``, ``.delete`` or ``.restore`` with the app and table it belongs to and a compact
before/after (only what changed, for an update). Secrets are masked before the comparison is
written: a changed secret shows as changed, never its value.

Where a service writes an entry of its own for the same object (``table.layout``,
``process.deploy``, ``permission.role_update``, …), that entry keeps its action and receives
the before/after instead of a second entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cairn.auth.audit import Entry
from cairn.store.changes import Snapshot, snapshot

#: What a secret looks like in the audit log.
MASK = "••••••"

#: Kind → (target type, action prefix) where they differ from the kind itself.
TARGETS: dict[str, tuple[str, str]] = {
    "process": ("process_definition", "process"),
}
#: Action per (kind, operation) where it is not ``<kind>.<operation>``.
SPECIAL_ACTIONS: dict[tuple[str, str], str] = {
    ("process", "create"): "process.deploy",
}

#: Longest string kept whole in a before/after (a long one keeps its start and its length).
MAX_TEXT = 2000


class ChangeTracker:
    def __init__(self, secret_settings: Callable[[str], tuple[str, ...] | None]) -> None:
        #: A channel kind → its secret settings (None: unknown kind, every setting is masked).
        self.secret_settings = secret_settings
        self._before: dict[tuple[str, str], tuple[Any, Snapshot | None]] = {}

    def touching(self, conn: sa.Connection, kind: str, object_id: Any) -> None:
        k = (kind, repr(object_id))
        if k not in self._before:
            self._before[k] = (object_id, snapshot(conn, kind, object_id))

    def created(self, conn: sa.Connection, kind: str, object_id: Any) -> None:
        self._before.setdefault((kind, repr(object_id)), (object_id, None))

    def __bool__(self) -> bool:
        return bool(self._before)

    def entries(self, conn: sa.Connection) -> list[Entry]:
        """One entry per object that changed, in the order they were first touched."""
        out = []
        for (kind, _), (object_id, before) in self._before.items():
            entry = self._entry(kind, object_id, before, snapshot(conn, kind, object_id))
            if entry is not None:
                out.append(entry)
        self._before.clear()
        return out

    def _entry(
        self, kind: str, object_id: Any, before: Snapshot | None, after: Snapshot | None
    ) -> Entry | None:
        was, now = before is not None and before.live, after is not None and after.live
        details: dict[str, Any]
        if now and not was:
            assert after is not None
            op = "create" if before is None else "restore"
            details = {"after": self._masked(after, after.state)}
        elif was and not now:
            assert before is not None
            op = "delete"
            details = {"before": self._masked(before, before.state)}
        elif was and now:
            assert before is not None and after is not None
            b, a = _diff(before.state, after.state)
            if not b and not a:
                return None
            op = "update"
            details = {
                "changed": sorted(set(b) | set(a)),
                "before": self._masked(before, b),
                "after": self._masked(after, a),
            }
        elif before is None and after is not None:  # created straight into the recycle bin
            op = "create"
            details = {"after": self._masked(after, after.state), "deleted": True}
        else:
            return None
        shown = after or before
        assert shown is not None
        for label in ("key", "name", "username", "version"):
            if label in shown.state:
                details = {label: shown.state[label], **details}
        target_type, prefix = TARGETS.get(kind, (kind, kind))
        if kind == "setting":  # an app setting: its key is what changed (customer_view)
            target_type = prefix = shown.state["key"]
            object_id, op = shown.app_id, "update"
        action = SPECIAL_ACTIONS.get((kind, op), f"{prefix}.{op}")
        return Entry(action, target_type, object_id, shown.app_id, shown.table_id, details)

    def _masked(self, s: Snapshot, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` (the state or a part of it) with secrets masked and long texts cut."""
        out = _compact(values)
        paths = set(s.secrets)
        if s.kind == "channel":
            names = self.secret_settings(str(s.state.get("kind")))
            settings = s.state.get("settings") or {}
            paths |= {f"settings.{n}" for n in (settings if names is None else names)}
        for path in paths:
            node = out
            *parents, last = path.split(".")
            for p in parents:
                node = node.get(p) if isinstance(node, dict) else None
            if isinstance(node, dict) and node.get(last) not in (None, "", {}, []):
                node[last] = MASK
        return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """What differs: for an object on both sides, only its keys that differ (recursively)."""
    b: dict[str, Any] = {}
    a: dict[str, Any] = {}
    for k in dict.fromkeys([*before, *after]):
        x, y = before.get(k), after.get(k)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            b[k], a[k] = _diff(x, y)
        else:
            b[k], a[k] = x, y
    return b, a


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:200]}… ({len(value)})"
    return value


def merge(explicit: list[Entry], generic: list[Entry]) -> list[Entry]:
    """The entries to write: a service's own entry for an object takes that object's
    before/after (its action and its details stay); the others are added."""
    mine = {(e.target_type, str(e.target_id)): e for e in explicit}
    out = list(explicit)
    for g in generic:
        e = mine.get((g.target_type, str(g.target_id)))
        if e is None:
            out.append(g)
            continue
        e.details = {**g.details, **e.details}
        e.app_id = e.app_id if e.app_id is not None else g.app_id
        e.table_id = e.table_id if e.table_id is not None else g.table_id
    return out
