"""A rule's update that lost a race: the records' versions are read again and the write tried
again, a few times, before the action fails with ``rule.update_conflict`` (recorded with the
run and retried as failed actions are). A version the rule read is the one it writes against,
so a record changed meanwhile is never overwritten blind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cairn.core import Conflict
from cairn.rules.ports import Also, VersionedWrites

#: How many times an update reads the versions and writes before it gives up.
UPDATE_ATTEMPTS = 3


def update_retrying(
    writes: VersionedWrites,
    app: str,
    table: str,
    ids: Sequence[int],
    values: dict[str, Any],
    also: Also,
) -> list[int]:
    """Write ``values`` to the live records among ``ids`` at the versions just read; the ids
    written. None live: ``also`` still runs (the action is marked done), nothing is written."""
    for _ in range(UPDATE_ATTEMPTS):
        versions = writes.live_versions(app, table, ids)
        if not versions:
            writes.only_also(also)
            return []
        items = [{**values, "id": rid, "version": v} for rid, v in versions]
        try:
            writes.write_versions(app, table, items, also)
        except Conflict:
            continue  # changed meanwhile: read the versions again
        return [rid for rid, _ in versions]
    raise Conflict("rule.update_conflict")
