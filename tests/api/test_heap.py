"""The server's heap after start-up: frozen out of the collector, new garbage still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from cairn.api.heap import settle


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as before


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_freezes_what_lives_and_later_cycles_are_still_collected(unfrozen: None) -> None:
    alive = cycle()  # garbage from before: settle collects it first, never freezes it
    settle()
    assert alive() is None
    assert gc.get_freeze_count() > 0
    later = cycle()
    assert later() is not None
    gc.collect()
    assert later() is None
