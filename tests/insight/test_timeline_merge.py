"""The walks of a timeline page step together (``insight.timeline_merge.advance``): whatever
the sources' densities and chunk sizes, the page is the newest ``need`` entries of all of
them, as if every source had been read whole and sorted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.insight.timeline_merge import advance

T0 = datetime(2026, 1, 1)


class FakeWalk:
    """A walk over ``entries`` ((at, id, hit), newest first), ``chunk`` entries a step."""

    def __init__(self, entries: list[tuple[datetime, int, bool]], chunk: int, limit: int) -> None:
        self.entries = entries
        self.chunk = chunk
        self.limit = limit
        self.pos = 0
        self.found: list[tuple[datetime, int]] = []
        self.frontier: tuple[datetime, int] | None = None
        self.done = False
        self.sparse = False
        self.w: Any = None

    def step(self) -> None:
        part = self.entries[self.pos : self.pos + self.chunk]
        self.pos += len(part)
        self.found += [(at, i) for at, i, hit in part if hit]
        if part:
            self.frontier = part[-1][:2]
        if len(self.found) > self.limit or len(part) < self.chunk:
            self.found = self.found[: self.limit + 1]
            self.done = True


source = st.lists(st.tuples(st.integers(0, 30), st.booleans()), max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    sources=st.lists(source, min_size=1, max_size=4),
    others=st.lists(st.integers(0, 30), max_size=10),
    chunk=st.integers(1, 8),
    limit=st.integers(1, 6),
)
def test_the_page_is_the_newest_of_all(
    sources: list[list[tuple[int, bool]]], others: list[int], chunk: int, limit: int
) -> None:
    need = limit + 1
    walks = []
    everything = []
    for n, rows in enumerate(sources):
        kind = f"source:{n}"
        entries = sorted(
            ((T0 + timedelta(days=d), i + 1, hit) for i, (d, hit) in enumerate(rows)),
            reverse=True,
        )
        walks.append((kind, FakeWalk(entries, chunk, limit)))
        everything += [(at, kind, i) for at, i, hit in entries if hit]
    known = [(T0 + timedelta(days=d), "comment", i + 1) for i, d in enumerate(others)]
    everything += known
    ids = advance(walks, need, known, lambda kind, walk: [])
    got = known + [(at, kind, i) for kind, wk in walks for at, i in wk.found if i in ids[kind]]
    expected = sorted(everything, reverse=True)[:need]
    assert sorted(got, reverse=True)[:need] == expected
    # The walked kinds' ids in the answer are exactly theirs in the page.
    for kind, _ in walks:
        assert sorted(ids[kind]) == sorted(i for _, k, i in expected if k == kind)
