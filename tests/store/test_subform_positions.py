"""Where a sub-form's rows go: positions grow along the list, and a row added, moved or
removed changes that row's position only (``store.subform_rows.place``)."""

from __future__ import annotations

import itertools
import random

from cairn.store.subform_rows import GAP, MAX_POSITION, place


def increasing(xs: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(xs))


def test_new_rows_are_spaced_by_the_gap() -> None:
    assert place([None, None, None]) == [GAP, 2 * GAP, 3 * GAP]
    assert place([]) == []


def test_rows_in_order_keep_their_positions() -> None:
    assert place([GAP, 5 * GAP, 9 * GAP]) == [GAP, 5 * GAP, 9 * GAP]
    # Removing one: the others keep theirs.
    assert place([GAP, 3 * GAP]) == [GAP, 3 * GAP]


def test_a_row_added_between_two_takes_a_position_between_them() -> None:
    new = place([GAP, None, 2 * GAP])
    assert new[0] == GAP and new[2] == 2 * GAP and GAP < new[1] < 2 * GAP
    assert place([GAP, None]) == [GAP, 2 * GAP]
    first = place([None, GAP])
    assert first[1] == GAP and 0 < first[0] < GAP


def test_a_moved_row_is_the_only_one_repositioned() -> None:
    old = [GAP * (i + 1) for i in range(10)]
    moved = [*old[:2], old[7], *old[2:7], *old[8:]]
    new = place(moved)
    assert increasing(new)
    assert sum(1 for a, b in zip(moved, new, strict=True) if a != b) == 1


def test_no_room_left_renumbers_the_list() -> None:
    new = place([1, None, None, 2])
    assert new == [GAP, 2 * GAP, 3 * GAP, 4 * GAP]
    assert place([MAX_POSITION, None]) == [GAP, 2 * GAP]


def test_random_edits_keep_the_order_and_rewrite_little() -> None:
    rnd = random.Random(19)
    rows = place([None] * 20)
    for _ in range(300):
        op = rnd.choice(("add", "move", "remove"))
        items: list[int | None] = list(rows)
        if op == "add":
            items.insert(rnd.randrange(len(items) + 1), None)
        elif op == "move" and items:
            items.insert(rnd.randrange(len(items)), items.pop(rnd.randrange(len(items))))
        elif items:
            items.pop(rnd.randrange(len(items)))
        new = place(items)
        assert increasing(new)
        kept = [(a, b) for a, b in zip(items, new, strict=True) if a is not None]
        assert sum(1 for a, b in kept if a != b) <= (1 if op == "move" else 0) or new == [
            GAP * (i + 1) for i in range(len(new))
        ]
        rows = new
