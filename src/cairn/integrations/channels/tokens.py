"""Access tokens of the WeCom and DingTalk server APIs, kept until shortly before they expire.

Both platforms hand out a token per application (``gettoken``, valid ``expires_in`` seconds,
7200 today) and ask callers to reuse it: fetching one per call is rate-limited. A token is
kept per config and credentials (a changed secret fetches a new one) and dropped when the
platform says it is invalid or expired, so the next call fetches a fresh one."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from cairn.core import Clock

#: A token is renewed this long before the platform's expiry (a call made just before it
#: must not carry a token that lapses in flight).
MARGIN = timedelta(minutes=5)


def token_key(config_key: str, *credentials: str) -> str:
    """The cache key of a config's token: its key and a digest of its credentials."""
    digest = hashlib.sha256("\x00".join(credentials).encode()).hexdigest()[:16]
    return f"{config_key}:{digest}"


class TokenCache:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._items: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, fetch: Callable[[], tuple[str, int]]) -> str:
        """The kept token under ``key``, or a new one from ``fetch`` (token, seconds valid)."""
        now = self.clock.now()
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and kept[1] > now:
                return kept[0]
        token, seconds = fetch()
        until = now + timedelta(seconds=max(int(seconds), 0)) - MARGIN
        with self._lock:
            self._items[key] = (token, until)
        return token

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
