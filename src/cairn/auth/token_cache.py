"""API tokens recently checked, per process: what saves the token look-up on most requests."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from cairn.auth.principal import Principal


class TokenCache:
    """Principals of recently checked API tokens, by token digest, for ``seconds``.

    Per process and short-lived: what saves the look-up on most requests. Anything that takes
    a token's rights away (revoke, disable, demote, new password) clears it here; other
    processes notice within ``seconds``."""

    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._lock = threading.Lock()
        self.monotonic = time.monotonic  # tests move it

    def get(self, token_digest: str, now: datetime) -> Principal | None:
        """The principal, unless it is older than ``seconds`` or the token expired by ``now``
        (the service clock, naive UTC)."""
        item = self._items.get(token_digest)
        if item is None:
            return None
        until, principal, token_expires = item
        if until < self.monotonic() or (token_expires is not None and token_expires <= now):
            with self._lock:
                self._items.pop(token_digest, None)
            return None
        return principal

    def put(self, token_digest: str, principal: Principal, token_expires: datetime | None) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.clear()
            self._items[token_digest] = (
                self.monotonic() + self.seconds,
                principal,
                token_expires,
            )

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
