"""``core.idkeys.mobile.normalise_phone`` remembers valid numbers (an import checks a batch's
key cells twice); a refused number is refused every time, never remembered."""

from __future__ import annotations

import pytest

from cairn.core.idkeys import KeyRefused, mobile


def test_same_answer_when_remembered() -> None:
    first = mobile.normalise_phone("138 0013 8000", "CN")
    assert mobile.normalise_phone("138 0013 8000", "CN") == first == "+8613800138000"


def test_refusals_are_not_remembered() -> None:
    for _ in range(2):
        with pytest.raises(KeyRefused):
            mobile.normalise_phone("12345", "CN")
