"""Random secrets and their digests: session ids, CSRF tokens, API tokens.

Only digests are stored; a digest is compared in constant time. A token starts with a short
public prefix (``cairn_``) so leaked tokens are easy to recognise and scan for."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "cairn_"  # noqa: S105 (a public marker, not a secret)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Timing-safe equality of two secrets (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
