"""Encryption of sensitive values: round trips, key rotation, tamper detection, blind index."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.auth.crypto import CryptoError, KeyRing

# Fixed keys (test ids must be the same in every xdist worker); generate_key is checked below.
K1 = "Tk+PrIkZNx6HpQz3sifcLAEPf0DOIvfgaYRrsCitN/c="
K2 = "EHHYD7Nm6p5sOgZ4Piyg6KlR+t5TIjmVokxBF6qwQyo="
RING = KeyRing.parse(f"k1:{K1}")
assert RING is not None


@given(st.text(max_size=200))
def test_round_trip(value: str) -> None:
    token = RING.encrypt(value, "field:7")
    assert value == RING.decrypt(token, "field:7")
    assert len(value) < 8 or value not in token


def test_nonces_differ_and_context_is_bound() -> None:
    a, b = RING.encrypt("5101234567891234", "f:1"), RING.encrypt("5101234567891234", "f:1")
    assert a != b
    with pytest.raises(CryptoError):
        RING.decrypt(a, "f:2")
    tampered = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(CryptoError):
        RING.decrypt(tampered, "f:1")


def test_rotation_keeps_old_values_readable_and_the_index_stable() -> None:
    old = RING.encrypt("13800138000", "f:1")
    rotated_ring = KeyRing.parse(f"k2:{K2},k1:{K1}")
    assert rotated_ring is not None and rotated_ring.current == "k2"
    assert rotated_ring.decrypt(old, "f:1") == "13800138000"
    new = rotated_ring.rotate(old, "f:1")
    assert rotated_ring.key_of(new) == "k2" and rotated_ring.rotate(new, "f:1") == new
    assert rotated_ring.decrypt(new, "f:1") == "13800138000"
    with pytest.raises(CryptoError):
        KeyRing.parse(f"k2:{K2}").decrypt(old, "f:1")  # type: ignore[union-attr]
    assert rotated_ring.blind_index("13800138000", "f:1") == RING.blind_index("13800138000", "f:1")


def test_blind_index_is_keyed_and_equality_preserving() -> None:
    other = KeyRing.parse(f"k9:{K2}")
    assert other is not None
    assert RING.blind_index("a", "f:1") == RING.blind_index(" a ", "f:1")
    assert RING.blind_index("a", "f:1") != RING.blind_index("b", "f:1")
    assert RING.blind_index("a", "f:1") != RING.blind_index("a", "f:2")
    assert RING.blind_index("a", "f:1") != other.blind_index("a", "f:1")


@pytest.mark.parametrize("bad", ["k1:short", "k1:not base64!", ":" + K1, f"a:{K1},a:{K2}"])
def test_bad_settings_are_refused(bad: str) -> None:
    with pytest.raises(CryptoError):
        KeyRing.parse(bad)


def test_empty_setting_means_no_ring() -> None:
    assert KeyRing.parse("") is None


def test_generated_keys_are_usable_and_distinct() -> None:
    a, b = KeyRing.generate_key(), KeyRing.generate_key()
    assert a != b
    ring = KeyRing.parse(f"x:{a},y:{b}")
    assert ring is not None and ring.decrypt(ring.encrypt("v", "c"), "c") == "v"
