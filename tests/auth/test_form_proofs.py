"""What a public form's visitor carries instead of a sign-in (``cairn.auth.form_proofs``): the
proof-of-work challenge (signed, checked without state, solved by the browser's code exactly
as the server checks it) and the signed prefill values (a changed byte, another secret or an
expired link is refused)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.auth.form_proofs import (
    issue_challenge,
    new_secret,
    proof_ok,
    read_challenge,
    read_prefill,
    sign_prefill,
    solve,
    zero_bits,
)
from cairn.core import Invalid
from support.node_driver import Ask, node_driver

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "ab" * 32


def code(e: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    [(where, [m])] = e.value.field_errors.items()
    return where, m.key


def test_zero_bits_counts_the_leading_zero_bits() -> None:
    assert zero_bits(bytes([0, 0, 0x80])) == 16
    assert zero_bits(bytes([0, 0x01])) == 15
    assert zero_bits(bytes([0x10])) == 3
    assert zero_bits(bytes(4)) == 32


def test_a_challenge_is_checked_without_state_and_solved_with_work() -> None:
    c = issue_challenge(SECRET, 7, 10, NOW)
    again = read_challenge(SECRET, 7, c.token, NOW + timedelta(minutes=5), 3600)
    assert (again.id, again.difficulty, again.issued) == (c.id, 10, int(NOW.timestamp()))
    nonce = solve(c.token, 10)
    assert proof_ok(c, nonce)
    digest = hashlib.sha256(f"{c.token}:{nonce}".encode()).digest()
    assert zero_bits(digest) >= 10
    # Most other nonces do not solve it; non-digits never do.
    assert sum(proof_ok(c, str(n)) for n in range(200)) < 10
    for bad in ("", "12a", "-1", "1" * 30, None, 5):
        assert not proof_ok(c, bad)
    # Two challenges are never the same.
    assert issue_challenge(SECRET, 7, 10, NOW).id != c.id


def test_a_challenge_of_another_form_or_secret_or_changed_or_too_old_is_refused() -> None:
    c = issue_challenge(SECRET, 7, 10, NOW)
    for secret, pub, token in (
        (new_secret(), 7, c.token),
        (SECRET, 8, c.token),
        (SECRET, 7, c.token[:-2] + ("AA" if not c.token.endswith("AA") else "BB")),
        (SECRET, 7, "x" + c.token),
        (SECRET, 7, "no-dot"),
        (SECRET, 7, None),
        (SECRET, 7, "a.b.c"),
    ):
        with pytest.raises(Invalid) as e:
            read_challenge(secret, pub, token, NOW, 3600)
        assert code(e) == ("challenge", "public_form.challenge_bad")
    with pytest.raises(Invalid) as e:
        read_challenge(SECRET, 7, c.token, NOW + timedelta(hours=2), 3600)
    assert code(e) == ("challenge", "public_form.challenge_expired")
    # Its difficulty is signed: asking for less work changes the token, which then fails.
    payload, mac = c.token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["d"] = 1
    easier = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(Invalid):
        read_challenge(SECRET, 7, f"{easier}.{mac}", NOW, 3600)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 10_000),
        st.one_of(st.text(max_size=40), st.integers(), st.booleans(), st.none()),
        max_size=5,
    )
)
def test_prefill_values_round_trip(values: dict[int, Any]) -> None:
    token = sign_prefill(SECRET, values, NOW + timedelta(days=1))
    assert read_prefill(SECRET, token, NOW) == values


def test_a_prefill_link_changed_signed_elsewhere_or_expired_is_refused() -> None:
    token = sign_prefill(SECRET, {4: "VIP", 9: 42}, NOW + timedelta(days=7))
    payload, mac = token.split(".")
    for secret, bad in (
        (new_secret(), token),
        (SECRET, payload + "." + mac[::-1]),
        (SECRET, payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac),
        (SECRET, payload),
        (SECRET, ""),
    ):
        with pytest.raises(Invalid) as e:
            read_prefill(secret, bad, NOW)
        assert code(e) == ("prefill", "public_form.prefill_bad")
    with pytest.raises(Invalid) as e:
        read_prefill(SECRET, token, NOW + timedelta(days=8))
    assert code(e) == ("prefill", "public_form.prefill_expired")
    assert e.value.field_errors["prefill"][0].params == {"date": "2026-03-08 09:00 UTC"}
    # The proof key and the prefill key differ: a challenge is no prefill token.
    with pytest.raises(Invalid):
        read_prefill(SECRET, issue_challenge(SECRET, 1, 8, NOW).token, NOW)


# -- the browser's solver (web/src/publicform) against the server's check ----------------------
@pytest.fixture(scope="module")
def browser_pow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ask]:
    with node_driver("pow_driver.ts", tmp_path_factory.mktemp("pow")) as ask:
        yield ask


@pytest.mark.parametrize("subtle", [True, False], ids=["subtlecrypto", "javascript"])
def test_the_browsers_solver_finds_what_the_server_accepts(browser_pow: Ask, subtle: bool) -> None:
    for difficulty in (8, 12):
        c = issue_challenge(SECRET, 3, difficulty, NOW)
        nonce = browser_pow({"token": c.token, "difficulty": difficulty, "subtle": subtle})
        assert proof_ok(c, nonce)
        assert nonce == solve(c.token, difficulty)  # the first one, as the server counts


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=150))
def test_the_javascript_sha256_is_sha256(browser_pow: Ask, text: str) -> None:
    assert browser_pow({"hash": text}) == hashlib.sha256(text.encode()).hexdigest()
