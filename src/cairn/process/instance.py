"""One loaded process instance (``Loaded``) and the small conversions the runtime shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cairn.core import Event
from cairn.process.engine import Definition, Run
from cairn.store import TableSchema

#: The candidate group of a task nobody was found for: administrators may claim it.
ADMINS = "admins"
#: The task actions that decide a step (the engine moves on).
DECISIONS = ("complete", "approve", "reject")


@dataclass
class Loaded:
    """An instance row with its definition, its workflow and the bound record, loaded in one
    unit of work; ``meta``, ``status`` and ``ended`` are saved with the state."""

    row: Any
    drow: Any
    definition: Definition
    run: Run
    schema: TableSchema | None
    record: dict[str, Any]
    meta: dict[str, Any]
    status: str = "running"
    ended: bool = False
    notes: list[str] = field(default_factory=list)


def record_title(schema: TableSchema | None, record: dict[str, Any]) -> str | None:
    """The record's title (its display field's value) as tasks and instances keep it."""
    f = schema.display_field if schema is not None else None
    if f is None:
        return None
    value = record.get(f.key)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return str(value)[:200]


def iso(v: datetime | None) -> str | None:
    return v.isoformat() + "Z" if v is not None else None


def as_utc(v: Any) -> date | datetime | None:
    """A record's date or datetime value (as the records API shows it) for a deadline."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo is None else v.astimezone(UTC).replace(tzinfo=None)
    if isinstance(v, date):
        return v
    s = str(v)
    if len(s) == 10:
        return date.fromisoformat(s)
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


def tasks_changed(row: Any, instance_id: int | None = None) -> Event:
    """The event after a change of an instance (``row``: it, or one of its tasks with its
    ``instance_id``) that may have opened, closed or moved its tasks: the outbox handler of
    work-platform to-dos compares and follows."""
    iid = row.id if instance_id is None else instance_id
    return Event("process.tasks", row.app_id, row.table_id, row.record_id, {"instance_id": iid})
