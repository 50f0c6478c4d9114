"""The shape of a page query, as far as an index is concerned, and the composite index it wants.

A grid page filtered on ``city = X`` and ``spend > N`` and sorted on ``spend`` is served best
by one index on ``(city, spend)``: the equality fields first (the index narrows to one city),
then the range or sort field (the page walks that city's entries in spend order and stops
after 50). Two single-field indexes cannot do that: the database picks one and filters or sorts
the rest. ``QueryShape`` is what the query compiler tells the advisor (``store.index_advisor``)
about a page: the fields compared for equality and by range in the filter's top-level AND, the
field it is sorted on first, and the parts no B-tree index serves (a ``contains`` search, a
formula evaluated per row, a negation, an OR group), which the administrators' listing shows.

A composite's columns are canonical: the equality fields by field id (at most ``MAX_EQ``),
then the sort field, else the first range field; a range on another field than the sort comes
last (an index condition: entries outside the range are skipped without reading their rows).
So ``city = X AND spend > N ORDER BY spend``, ``city = X ORDER BY spend`` and ``city = X AND
spend > N`` all want the same index ``ix_t<table>_c<city>_<spend>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Equality fields a composite index leads with, at most.
MAX_EQ = 3
#: Why part of a query could not use an index (the listing's reason codes).
REASONS = ("contains", "formula", "negation", "or")

#: (field id, column name)
Col = tuple[int, str]


def composite_index_name(table_id: int, field_ids: Iterable[int]) -> str:
    return f"ix_t{table_id}_c" + "_".join(str(i) for i in field_ids)


COMPOSITE_NAME = re.compile(r"^ix_t(\d+)_c(\d+(?:_\d+)+)$")


def composite_fields(name: str) -> tuple[int, list[int]] | None:
    """(table id, field ids) of a composite index's name, None for another name."""
    m = COMPOSITE_NAME.match(name)
    if m is None:
        return None
    return int(m.group(1)), [int(i) for i in m.group(2).split("_")]


@dataclass(frozen=True)
class QueryShape:
    #: Fields compared for equality in the filter's top-level AND, by field id.
    eq: tuple[Col, ...] = ()
    #: Fields compared by a range (>, <, between, a relative date) there.
    ranges: tuple[Col, ...] = ()
    #: The field the page is sorted on first (a stored field's bare column), if any.
    sort: Col | None = None
    #: Reason codes (``REASONS``) for the parts of the query no index serves.
    unserved: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.eq or self.ranges or self.sort or self.unserved)

    def composite(self) -> tuple[Col, ...]:
        """The columns of the composite index this query wants; () when one column would do
        (a single-field index is the plain kind's business)."""
        cols: list[Col] = sorted(set(self.eq))[:MAX_EQ]
        taken = {c[0] for c in cols}
        for c in (self.sort, *self.ranges[:1]):
            if c is not None and c[0] not in taken:
                cols.append(c)
                taken.add(c[0])
        return tuple(cols) if len(cols) >= 2 else ()

    def key(self) -> str:
        """A stable text for telling shapes apart (values never enter a shape)."""
        return "|".join(
            [
                ",".join(str(c[0]) for c in sorted(set(self.eq))),
                ",".join(str(c[0]) for c in self.ranges),
                str(self.sort[0]) if self.sort else "",
                ",".join(sorted(set(self.unserved))),
            ]
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "eq": [c[0] for c in sorted(set(self.eq))],
            "range": [c[0] for c in self.ranges],
            "sort": self.sort[0] if self.sort else None,
            "unserved": sorted(set(self.unserved)),
        }


def fit(columns: Sequence[str], shape: QueryShape) -> int:
    """How many leading columns of an index with ``columns`` the query can use: its equality
    fields first, then one range or sort field. 0: the index does not serve the query."""
    eq = {c[1] for c in shape.eq}
    last = {c[1] for c in shape.ranges} | ({shape.sort[1]} if shape.sort else set())
    n = 0
    for col in columns:
        if col in eq:
            n += 1
            continue
        if col in last:
            n += 1
        break
    return n


@dataclass
class ShapeNotes:
    """What the filter compiler notes while it compiles (``query.filters.FilterCompiler``)."""

    eq: list[Col] = field(default_factory=list)
    ranges: list[Col] = field(default_factory=list)
    unserved: list[str] = field(default_factory=list)

    def shape(self, sort: Col | None) -> QueryShape:
        return QueryShape(
            tuple(dict.fromkeys(self.eq)),
            tuple(dict.fromkeys(self.ranges)),
            sort,
            tuple(dict.fromkeys(self.unserved)),
        )
