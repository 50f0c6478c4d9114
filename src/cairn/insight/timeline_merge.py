"""How the walked sources of a timeline page advance together (``store.timeline.Walk``).

A page of the whole timeline needs of each walked source only the entries that come before
the others' (a customer with 100,000 entries over three sources: about a third of a page
from each). The walks step in turn, always the one whose frontier is the newest, until
``need`` known entries are newer than every unfinished walk's frontier, or all are done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cairn.store.timeline import Walk

Key = tuple[datetime, str, int]


def frontier(kind: str, walk: Walk) -> Key | None:
    """Where a walk stands in the timeline's order: None (nothing read yet) is newest."""
    if walk.frontier is None:
        return None
    return (walk.frontier[0], kind, walk.frontier[1])


def _newest_first(kind: str, walk: Walk) -> tuple[Any, ...]:
    f = frontier(kind, walk)
    return (1,) if f is None else (0, f)


def advance(
    walks: Sequence[tuple[str, Walk]],
    need: int,
    known: list[Key],
    sparse: Callable[[str, Walk], list[Key]],
) -> dict[str, list[int]]:
    """Step the ``(kind, walk)`` pairs until the page's ``need`` entries are known (``known``:
    the keys read of the other kinds); a walk that finds its source sparse is read at once
    (``sparse``: the keys it read, which join ``known``). Per walked kind still walking: the
    ids of its found entries that are in the page, newest first."""
    known = list(known)
    read: set[str] = set()
    while True:
        active = [(kind, wk) for kind, wk in walks if not wk.done]
        if not active:
            break
        kind, top = max(active, key=lambda p: _newest_first(p[0], p[1]))
        edge = frontier(kind, top)
        if edge is not None:
            newer = sum(1 for k in known if k > edge)
            newer += sum(
                1
                for other, wk in walks
                if other not in read
                for at, id_ in wk.found
                if (at, other, id_) > edge
            )
            if newer >= need:
                break
        top.step()
        if top.sparse:
            read.add(kind)
            known += sparse(kind, top)
    keys = known + [
        (at, kind, id_) for kind, wk in walks if kind not in read for at, id_ in wk.found
    ]
    page = set(sorted(keys, reverse=True)[:need])
    return {
        kind: [id_ for at, id_ in wk.found if (at, kind, id_) in page]
        for kind, wk in walks
        if kind not in read
    }
