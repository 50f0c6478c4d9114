"""The key ring lives in the kernel (``cairn.core.crypto``) so the store can seal sensitive
field values; this module keeps the name the auth layer and its callers have used."""

from cairn.core.crypto import PREFIX, CryptoError, KeyRing

__all__ = ["PREFIX", "CryptoError", "KeyRing"]
