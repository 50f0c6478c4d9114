"""Argon2id password hashes and the password policy."""

from __future__ import annotations

import re
import secrets
import string
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cairn.core import Invalid, Message

_hasher = PasswordHasher()


@cache
def _dummy() -> str:
    """Verified against when the user does not exist, so both cases take the same time. Made
    on first use, not at import: one Argon2 hash is ~0.1 s of every process's start-up."""
    return _hasher.hash("cairn-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (an Argon2 hash); constant work when None."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_policy(password: str, min_length: int, username: str = "") -> None:
    """Raise ``Invalid`` on ``password`` unless it meets the policy: long enough, letters and
    digits, not containing the user name."""
    problems: list[Message] = []
    if not isinstance(password, str) or len(password) < min_length:
        problems.append(Message("password.too_short", {"min": min_length}))
    elif not (re.search(r"[^\W\d_]", password) and re.search(r"\d", password)):
        problems.append(Message("password.classes"))
    elif username and len(username) >= 3 and username.lower() in password.lower():
        problems.append(Message("password.same_as_user"))
    if problems:
        raise Invalid("invalid.input", {"password": problems})


def generate(length: int = 16, username: str = "") -> str:
    """A random password that meets the policy for ``username`` (a draw that happens to hold
    the user name, as the policy forbids, is drawn again)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if not (any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw)):
            continue
        if username and len(username) >= 3 and username.lower() in pw.lower():
            continue
        return pw
