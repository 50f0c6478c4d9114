"""The rule engine's retry of an update that lost a race (``rules.retry``): the versions are
read again after each conflict, three attempts in all, then ``rule.update_conflict``."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core import Conflict
from cairn.rules.retry import UPDATE_ATTEMPTS, update_retrying


class FakeWrites:
    """Records live at version ``attempt``; the first ``conflicts`` writes lose the race."""

    def __init__(self, live: list[int], conflicts: int) -> None:
        self.live = live
        self.conflicts = conflicts
        self.reads = 0
        self.written: list[list[dict[str, Any]]] = []
        self.also_alone = 0

    def live_versions(self, app: str, table: str, ids: Any) -> list[tuple[int, int]]:
        self.reads += 1
        return [(i, self.reads) for i in ids if i in self.live]

    def write_versions(self, app: str, table: str, items: list[dict[str, Any]], also: Any) -> None:
        if self.conflicts:
            self.conflicts -= 1
            raise Conflict("record.stale")
        self.written.append(items)

    def only_also(self, also: Any) -> None:
        self.also_alone += 1


@pytest.mark.parametrize("conflicts", range(UPDATE_ATTEMPTS))
def test_an_update_that_lost_a_race_reads_the_versions_again(conflicts: int) -> None:
    w = FakeWrites([1, 2], conflicts)
    assert update_retrying(w, "a", "t", [1, 2, 3], {"x": 1}, None) == [1, 2]
    assert w.reads == conflicts + 1
    last = conflicts + 1  # written at the versions of the last read
    assert w.written == [[{"x": 1, "id": 1, "version": last}, {"x": 1, "id": 2, "version": last}]]


def test_an_update_that_keeps_losing_fails_with_update_conflict() -> None:
    w = FakeWrites([1], UPDATE_ATTEMPTS)
    with pytest.raises(Conflict) as e:
        update_retrying(w, "a", "t", [1], {"x": 1}, None)
    assert e.value.message.key == "rule.update_conflict"
    assert w.reads == UPDATE_ATTEMPTS and w.written == []


def test_an_update_with_no_live_record_only_marks_the_action_done() -> None:
    w = FakeWrites([], 0)
    assert update_retrying(w, "a", "t", [7], {"x": 1}, None) == []
    assert w.also_alone == 1 and w.written == []
