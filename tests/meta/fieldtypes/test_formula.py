"""The formula field type's stand-in for filters: the type its result type borrows."""

from __future__ import annotations

import pytest

from cairn.meta import Field
from cairn.meta.fieldtypes.formula import operator_stand_in


@pytest.mark.parametrize(
    ("result_type", "type_key", "options"),
    [
        ("number", "number", {"decimals": 8}),
        ("duration", "number", {"decimals": 8}),
        ("text", "text", {}),
        ("blank", "text", {}),
        ("boolean", "boolean", {}),
        ("date", "date", {}),
        ("datetime", "datetime", {}),
        (None, "text", {}),
    ],
)
def test_a_formula_is_filtered_as_the_type_its_result_borrows(
    result_type: str | None, type_key: str, options: dict
) -> None:
    opts = {"formula": "1"} if result_type is None else {"formula": "1", "result_type": result_type}
    f = Field(id=7, table_id=3, key="score", name="Score", type="formula", options=opts)
    stand_in = operator_stand_in(f)
    assert (stand_in.id, stand_in.table_id, stand_in.key, stand_in.name) == (7, 3, "score", "Score")
    assert (stand_in.type, stand_in.options) == (type_key, options)
