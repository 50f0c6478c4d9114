"""Sensitive values at rest: AES-GCM encryption under a key ring, and a keyed blind index.

Keys come from configuration (``CAIRN_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<…>"``): the
first key encrypts, every key decrypts, so a key is rotated by putting a new one first and
re-encrypting (``KeyRing.rotate``) before the old one is removed. A ciphertext names its key:
``enc1:<key id>:<base64 nonce ‖ ciphertext ‖ tag>``; the context (e.g. the field id) is bound
as associated data so a value cannot be moved to another field unnoticed.

The blind index is HMAC-SHA256 of the normalised value under a key derived from the *index
key* (by default the last key of the ring, the oldest, so rotating the encryption key does not
change the index): equal values have equal indexes, which is what equality search and
uniqueness need, and nothing else about the value is revealed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1"


class CryptoError(ValueError):
    """A key ring setting or a ciphertext that cannot be used."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @classmethod
    def parse(cls, setting: str) -> KeyRing | None:
        """The ring from ``id:base64key,...`` (None when empty)."""
        entries = [e.strip() for e in setting.split(",") if e.strip()]
        if not entries:
            return None
        keys: list[tuple[str, bytes]] = []
        for e in entries:
            kid, _, b64 = e.partition(":")
            try:
                key = base64.b64decode(b64, validate=True)
            except ValueError:
                raise CryptoError(f"key {kid!r} is not base64") from None
            if not kid or ":" in kid or len(key) != 32:
                raise CryptoError(f"key {kid!r} must be 'id:<base64 of 32 bytes>'")
            keys.append((kid, key))
        if len({k for k, _ in keys}) != len(keys):
            raise CryptoError("key ids must be unique")
        index = hmac.new(keys[-1][1], b"cairn blind index", hashlib.sha256).digest()
        return cls(tuple(keys), index)

    @staticmethod
    def generate_key() -> str:
        return base64.b64encode(os.urandom(32)).decode("ascii")

    @property
    def current(self) -> str:
        return self.keys[0][0]

    def encrypt(self, plaintext: str, context: str) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{PREFIX}:{kid}:{base64.b64encode(nonce + ct).decode('ascii')}"

    def decrypt(self, token: str, context: str) -> str:
        try:
            prefix, kid, b64 = token.split(":", 2)
            key = dict(self.keys)[kid]
            raw = base64.b64decode(b64, validate=True)
        except (ValueError, KeyError):
            raise CryptoError("not a ciphertext of this key ring") from None
        if prefix != PREFIX:
            raise CryptoError("not a ciphertext of this key ring")
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode()
        except Exception:
            raise CryptoError("the ciphertext does not verify") from None

    def key_of(self, token: str) -> str | None:
        parts = token.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None

    def rotate(self, token: str, context: str) -> str:
        """``token`` under the current key (unchanged when it already is)."""
        if self.key_of(token) == self.current:
            return token
        return self.encrypt(self.decrypt(token, context), context)

    def blind_index(self, value: str, context: str) -> str:
        """A keyed digest for equality search and uniqueness (hex, 32 characters)."""
        msg = context.encode("utf-8") + b"\x00" + value.strip().encode("utf-8")
        return hmac.new(self.index_key, msg, hashlib.sha256).hexdigest()[:32]
