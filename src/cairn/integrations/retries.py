"""When a failed delivery is tried again: after 1 minute, 5 minutes, 30 minutes and 2 hours
(then every 2 hours), up to a number of attempts (``CAIRN_DELIVERY_MAX_ATTEMPTS``, default 5);
a failure no retry can cure (a 4xx, a wrong secret, an unknown recipient) is dead at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cairn.store.deliveries import DEAD, RETRYING

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff: tuple[timedelta, ...] = BACKOFF
    #: A worker that took a due retry holds it this long (then another may take it).
    lease: timedelta = timedelta(minutes=5)

    def after_failure(
        self, attempts: int, retryable: bool, now: datetime
    ) -> tuple[str, datetime | None]:
        """The status after a failed attempt (``attempts``: how many were made, this one
        included) and when the next is due."""
        if not retryable or attempts >= self.max_attempts:
            return DEAD, None
        wait = self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]
        return RETRYING, now + wait
