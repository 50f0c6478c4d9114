"""Event payloads written to the outbox. Plain data: no behaviour, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORD_CREATED = "record.created"
RECORD_UPDATED = "record.updated"
RECORD_DELETED = "record.deleted"
RECORD_RESTORED = "record.restored"
#: Deleted for good from the recycle bin (``RecycleBinService.purge``).
RECORD_PURGED = "record.purged"
#: One-ID: a loser merged into a survivor (the event's record is the survivor; the payload
#: holds ``survivor_id``, ``loser_id``, ``merge_id`` and ``table``), and that merge undone.
RECORD_MERGED = "record.merged"
RECORD_UNMERGED = "record.unmerged"
#: Tags added to or removed from a record (by hand, a rule or an import): the payload holds
#: ``tags`` (``[{"id", "name"}]``, the tags that changed) and ``source``.
RECORD_TAGGED = "record.tagged"
RECORD_UNTAGGED = "record.untagged"
#: Issue 22: a record entered or left a segment (the event's record; the payload holds
#: ``segment_id``, ``segment`` (its name) and ``cause``).
SEGMENT_ENTERED = "segment.entered"
SEGMENT_EXITED = "segment.exited"
SCHEMA_CHANGED = "schema.changed"
#: An interaction (call, visit, e-mail …) logged with a customer record; the payload holds
#: ``interaction_id``, ``kind``, ``direction``, ``occurred_at`` and ``source``.
INTERACTION_LOGGED = "interaction.logged"
#: The kinds of interaction (``cairn.insight.interactions``; the inactivity trigger reads them).
INTERACTION_KINDS = ("call", "visit", "email", "meeting", "login", "order", "other")
#: In an event's payload: the write asked that no rule react to it (an import of many rows
#: run with "run rules for imported rows" off). The event is still in the outbox.
NO_RULES = "no_rules"


@dataclass(frozen=True)
class Event:
    type: str
    app_id: int | None
    table_id: int | None
    record_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
