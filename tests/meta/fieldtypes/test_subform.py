"""subform: a list of rows; the rows' cells are coerced by the store with their own fields."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.meta import BadValue
from cairn.meta.fieldtypes.subform import MAX_ROWS

from ..helpers import CTX, TYPES, make_field


def coerce(value: object, **options: object) -> object:
    f = make_field("subform", dict(options))
    return TYPES.get("subform").coercer(f, CTX)(value)


def test_a_list_of_rows_passes_as_sent() -> None:
    rows = [{"id": 3, "qty": 1}, {"item": "B"}]
    assert coerce(rows) == rows
    assert coerce(None) == [] and coerce("") == []


@pytest.mark.parametrize("value", ["rows", 3, {"item": "A"}])
def test_anything_but_a_list_is_refused(value: object) -> None:
    with pytest.raises(BadValue) as e:
        coerce(value)
    assert e.value.message.key == "subform.rows"


def test_at_most_max_rows() -> None:
    assert len(coerce([{}] * 2, max_rows=2)) == 2  # type: ignore[arg-type]
    with pytest.raises(BadValue) as e:
        coerce([{}] * 3, max_rows=2)
    assert e.value.message.key == "subform.too_many_rows"
    assert e.value.message.params == {"max": 2}
    with pytest.raises(BadValue):
        coerce([{}] * (MAX_ROWS + 1))


@pytest.mark.parametrize("options", [{"max_rows": 0}, {"max_rows": MAX_ROWS + 1}, {"x": 1}])
def test_options_are_checked(options: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        TYPES.get("subform").validate_options(options)


def test_a_subform_is_neither_stored_nor_converted() -> None:
    t = TYPES.get("subform")
    assert not t.stored and t.holds_rows and t.writable
    assert not any(t.convertible_from(other) or other.convertible_from(t) for other in TYPES)
    assert make_field("subform").is_subform
