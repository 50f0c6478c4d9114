"""user: a platform member, stored as the user's id."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import cell


@pytest.mark.parametrize("value", [7, "7", " 7 ", {"id": 7}, {"id": "7", "name": "李雷"}])
def test_user_is_stored_as_an_id(value: Any) -> None:
    assert cell("user").read(value) == 7


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_user_is_no_value(blank: str | None) -> None:
    assert cell("user").coerce(blank) is None


@pytest.mark.parametrize(
    "value",
    [0, -3, "0", "abc", "7.0", 7.0, True, [7], {"name": "李雷"}, "²", "9" * 5000, 2**63, "   "],
)
def test_bad_user_is_rejected(value: Any) -> None:
    err = cell("user").error(value)
    assert err.message.key == "value.user"


def test_user_error_names_the_value() -> None:
    assert cell("user").error("abc").message.params == {"value": "abc"}
