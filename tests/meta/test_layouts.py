"""Form layouts without a database: stored ids ↔ written keys, the effective layout, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cairn.core import Invalid
from cairn.meta import Field, Table
from cairn.meta.layouts import check_layout, layout_effective, layout_public


@dataclass
class Shape:
    table: Table
    fields: list[Field]
    by_id: dict[int, Field] = field(default_factory=dict)
    by_key: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {f.id: f for f in self.fields}
        self.by_key = {f.key: f for f in self.fields}


def shape(layout: dict[str, Any] | None = None) -> Shape:
    fields = [Field(id=i, table_id=1, key=k, name=k, type="text") for i, k in enumerate("abc", 1)]
    return Shape(Table(id=1, app_id=1, key="t", name="T", layout=layout), fields)


def test_written_keys_are_stored_as_ids_and_shown_as_keys() -> None:
    s = shape()
    stored = check_layout(s, {"sections": [{"title": " Main ", "rows": [["a", None, "b"]]}]})
    assert stored == {"sections": [{"title": "Main", "collapsed": False, "rows": [[1, None, 2]]}]}
    s = shape(stored)
    assert layout_public(s) == {
        "sections": [{"title": "Main", "collapsed": False, "rows": [["a", None, "b"]]}]
    }
    effective = layout_effective(s)
    assert effective["sections"][-1]["rows"] == [["c"]]  # the field it does not place follows


def test_no_layout_is_one_field_per_row_without_hidden_fields() -> None:
    s = shape()
    assert layout_public(s) is None
    assert layout_effective(s, hidden={2}) == {
        "sections": [{"title": "", "collapsed": False, "rows": [["a"], ["c"]]}]
    }


def test_bad_places_are_named() -> None:
    with pytest.raises(Invalid) as e:
        check_layout(shape(), {"sections": [{"rows": [["a", "a"], ["zz"], ["a", "b", "c", "a"]]}]})
    assert set(e.value.field_errors) == {
        "sections.0.rows.0.1",
        "sections.0.rows.1.0",
        "sections.0.rows.2",
    }
