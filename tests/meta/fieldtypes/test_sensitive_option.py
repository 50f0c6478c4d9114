"""The ``sensitive`` option: text-like types only, a boolean, stored only when true."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.meta import builtin_field_types


@pytest.mark.parametrize("key", ["text", "long_text", "email", "phone"])
def test_text_like_types_may_be_sensitive(key: str) -> None:
    ft = builtin_field_types().get(key)
    assert ft.validate_options({"sensitive": True})["sensitive"] is True
    assert "sensitive" not in ft.validate_options({"sensitive": False})
    assert "sensitive" not in ft.validate_options({})


@pytest.mark.parametrize("key", ["number", "url", "date", "single_select", "boolean", "lookup"])
def test_other_types_refuse_it(key: str) -> None:
    ft = builtin_field_types().get(key)
    with pytest.raises(Invalid) as e:
        ft.validate_options({"sensitive": True})
    assert "options.sensitive" in e.value.field_errors


def test_it_must_be_a_boolean() -> None:
    with pytest.raises(Invalid):
        builtin_field_types().get("text").validate_options({"sensitive": "yes"})


def test_the_type_still_checks_its_own_options() -> None:
    ft = builtin_field_types().get("text")
    assert ft.validate_options({"sensitive": True, "max_length": 20}) == {
        "min_length": None,
        "max_length": 20,
        "pattern": None,
        "sensitive": True,
    }
    with pytest.raises(Invalid):
        ft.validate_options({"sensitive": True, "bogus": 1})


def test_email_index_text_ignores_case() -> None:
    ft = builtin_field_types().get("email")
    assert ft.index_text("Ann@Example.com") == ft.index_text("ann@example.COM")
