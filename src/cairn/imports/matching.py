"""Upsert by One-ID match (an import's mode ``match``): which record a row updates, from the
candidates the table's One-ID rules found for it (``ports.Records.candidates``). A row whose
best candidate is one record the importing user may update updates it; a row without a
candidate is created; a row whose best score two or more records share is refused with the
candidates named, so nothing is written to the wrong customer.

Rows of one batch that match each other but no existing record are all created: One-ID's
resolution on the write pairs them (a suggestion in the review queue, or an automatic merge
when the rule says so). A dry run's batches are rolled back, so a record its earlier batch
would create is not found by a later one (the run then updates it where the dry run counted
a create).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cairn.core import Message
from cairn.imports.rows import Built

MODE = "match"
#: Candidates a refused ambiguous row names.
SHOWN = 5

Match = tuple[Built, tuple[int, int] | None, Message | None]


def matched(
    group: list[Built],
    candidates: Callable[[dict[str, Any]], list[dict[str, Any]]],
    updatable: Callable[[list[int]], dict[int, int]],
) -> list[Match]:
    """Per row: the (id, version) of the record it updates (None: a new record), or why it
    is refused. ``candidates``: an item's matches, best score first (``record_id``,
    ``score``); ``updatable``: id → version of those ids the user may update."""
    best: dict[int, list[int]] = {}
    for i, b in enumerate(group):
        found = candidates(b.item)
        if found:
            top = found[0]["score"]
            best[i] = [c["record_id"] for c in found if c["score"] == top]
    versions = updatable(sorted({rid for rids in best.values() for rid in rids}))
    out: list[Match] = []
    for i, b in enumerate(group):
        rids = [r for r in best.get(i, []) if r in versions]
        if len(rids) > 1:
            shown = ", ".join(f"#{r}" for r in rids[:SHOWN]) + (", …" if len(rids) > SHOWN else "")
            out.append((b, None, Message("import.match_ambiguous", {"candidates": shown})))
        elif rids:
            out.append((b, (rids[0], versions[rids[0]]), None))
        else:
            out.append((b, None, None))
    return out
