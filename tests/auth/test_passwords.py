"""Generated passwords always meet the password policy, for the user they are made for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cairn.auth import passwords


def test_a_draw_holding_the_user_name_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: Iterator[str] = iter("xBoBy1234567890a" + "k7" * 8)
    monkeypatch.setattr(passwords.secrets, "choice", lambda _alphabet: next(draws))
    pw = passwords.generate(username="bob")
    assert pw == "k7" * 8  # the first draw contained "BoB"
    passwords.check_policy(pw, 12, "bob")


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(200):
        pw = passwords.generate(username="abc")
        passwords.check_policy(pw, 16, "abc")
