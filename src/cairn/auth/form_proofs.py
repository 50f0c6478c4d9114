"""What a public form's visitor carries instead of a sign-in: a proof-of-work challenge and,
from a link, signed prefill values. Both are signed with keys derived from the
publication's secret (which never leaves the server), so checking them needs no state; a
challenge spent once is remembered by the caller (``store.public_forms``).

Challenge: ``<payload>.<mac>``, the payload base64url JSON ``{"p": publication id, "r":
random, "d": difficulty, "t": issued at (Unix seconds)}``, the MAC HMAC-SHA256 of the
payload text under the proof key. The visitor's browser finds a ``nonce`` (decimal digits)
such that SHA-256 of ``<challenge>:<nonce>`` (UTF-8) starts with ``d`` zero bits: about 2^d
hashes, done in a Web Worker while the visitor types; checking it is one hash.

Prefill: ``<payload>.<mac>``, the payload base64url JSON ``{"v": {field id: value},
"e": expires at (Unix seconds)}``, the MAC HMAC-SHA256 of the payload text under the
prefill key. A bad MAC or an expired link is refused, never used."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cairn.core import Invalid

POW_CONTEXT = b"cairn public form: proof of work"
PREFILL_CONTEXT = b"cairn public form: prefill"
#: Longer than any challenge or prefill token Cairn makes: refused unread.
MAX_TOKEN = 8192
MAX_NONCE = 24


def new_secret() -> str:
    """A publication's signing secret (256 bits, hex)."""
    return secrets.token_hex(32)


def new_token() -> str:
    """A publication's public address part: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def _key(secret: str, context: bytes) -> bytes:
    return hmac.new(secret.encode("ascii"), context, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: bytes, data: dict[str, Any]) -> str:
    payload = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    mac = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def _open(key: bytes, token: Any) -> dict[str, Any] | None:
    """The data of a token sealed under ``key``; None when it was not."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    try:
        expected = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


# -- proof of work ------------------------------------------------------------------------
@dataclass(frozen=True)
class Challenge:
    token: str
    #: The random part: what marks the challenge spent.
    id: str
    difficulty: int
    #: Unix seconds.
    issued: int


def issue_challenge(secret: str, publication_id: int, difficulty: int, now: datetime) -> Challenge:
    data = {
        "p": publication_id,
        "r": secrets.token_hex(16),
        "d": difficulty,
        "t": int(now.timestamp()),
    }
    token = _seal(_key(secret, POW_CONTEXT), data)
    return Challenge(token, data["r"], difficulty, data["t"])


def read_challenge(
    secret: str, publication_id: int, token: Any, now: datetime, max_age: int
) -> Challenge:
    """The challenge ``token`` is, if this publication issued it and it is not too old."""
    data = _open(_key(secret, POW_CONTEXT), token)
    ok = (
        data is not None
        and data.get("p") == publication_id
        and isinstance(data.get("r"), str)
        and isinstance(data.get("d"), int)
        and isinstance(data.get("t"), int)
    )
    if not ok or data is None:
        raise Invalid.on("challenge", "public_form.challenge_bad")
    age = int(now.timestamp()) - data["t"]
    if age > max_age or age < -60:
        raise Invalid.on("challenge", "public_form.challenge_expired")
    return Challenge(str(token), data["r"], data["d"], data["t"])


def zero_bits(digest: bytes) -> int:
    """How many leading bits of ``digest`` are zero."""
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def proof_ok(challenge: Challenge, nonce: Any) -> bool:
    """Does ``nonce`` (decimal digits) solve ``challenge``?"""
    if not isinstance(nonce, str) or not nonce.isdigit() or len(nonce) > MAX_NONCE:
        return False
    digest = hashlib.sha256(f"{challenge.token}:{nonce}".encode()).digest()
    return zero_bits(digest) >= challenge.difficulty


def solve(token: str, difficulty: int) -> str:
    """A nonce solving the challenge (what the browser's worker does; tests and scripts)."""
    n = 0
    while True:
        nonce = str(n)
        if zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) >= difficulty:
            return nonce
        n += 1


# -- prefill links ------------------------------------------------------------------------
def sign_prefill(secret: str, values: dict[int, Any], expires: datetime) -> str:
    """Signed prefill values (by field id) good until ``expires``."""
    data = {"v": {str(k): v for k, v in values.items()}, "e": int(expires.timestamp())}
    return _seal(_key(secret, PREFILL_CONTEXT), data)


def read_prefill(secret: str, token: Any, now: datetime) -> dict[int, Any]:
    """The values (by field id) of a prefill token signed with ``secret`` that has not
    expired; refused (at ``prefill``) otherwise."""
    data = _open(_key(secret, PREFILL_CONTEXT), token)
    values = data.get("v") if data is not None else None
    expires = data.get("e") if data is not None else None
    if (
        not isinstance(values, dict)
        or not isinstance(expires, int)
        or not all(k.isdigit() for k in values)
    ):
        raise Invalid.on("prefill", "public_form.prefill_bad")
    if now.timestamp() > expires:
        day = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise Invalid.on("prefill", "public_form.prefill_expired", date=day)
    return {int(k): v for k, v in values.items()}
