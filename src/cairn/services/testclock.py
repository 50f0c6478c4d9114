"""Test clocks (``CAIRN_TEST_CLOCK=true``): the instance's clock, moved forward on request.

The offset from real time lives in the database (``store.testclock``), so the API processes and
the workers agree; each process re-reads it at most every ``test_clock_cache_seconds`` (and at
once in the process that moved it). Everything timed reads ``Services.clock``, so it follows.
The worker notices an advance by its version and runs the periodic jobs whose schedule fell in
the skipped span, once: the catch-up it runs after real downtime (``cairn.worker.queue``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal, require_admin
from cairn.core import (
    Conflict,
    Invalid,
    NotFound,
    Settings,
    format_duration,
    parse_duration,
)
from cairn.core.clock import MAX_DURATION
from cairn.services.uow import unit_of_work
from cairn.store import testclock
from cairn.store.testclock import ClockState, StoredTestClock

if TYPE_CHECKING:
    from cairn.services.context import Services


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TestClockService:
    """Read and advance the test clock: administrators only, never backwards, audit-logged."""

    __test__ = False  # not a pytest class

    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def clock(self) -> StoredTestClock:
        clock = self.s.clock
        if not self.s.settings.test_clock or not isinstance(clock, StoredTestClock):
            raise NotFound("clock.disabled")
        return clock

    def status(self, principal: Principal) -> dict[str, Any]:
        require_admin(principal)
        clock = self.clock
        return self._describe(clock, clock.refresh())

    def advance(self, principal: Principal, body: Any) -> dict[str, Any]:
        """``{"by": "3d"}`` moves the clock forward by a duration, ``{"to": "…"}`` to an
        instant (ISO 8601 with a time zone) after the clock's now."""
        require_admin(principal)
        clock = self.clock
        by, to = _parse(body)
        with unit_of_work(self.s, principal=principal) as uow:
            seen = testclock.read(uow.conn)
            real = clock.base.now()
            before = real + seen.offset
            if by is not None:
                offset = seen.offset + by
            else:
                assert to is not None
                if to <= before:
                    raise Invalid.on("to", "clock.backwards", to=_iso(to), now=_iso(before))
                if to - before > MAX_DURATION:
                    raise Invalid.on("to", "clock.too_far")
                offset = to - real
            if not testclock.move(uow.conn, seen, offset, uow.now):
                raise Conflict("clock.moved")
            after = real + offset
            uow.audit(
                Entry(
                    "test_clock.advance",
                    "test_clock",
                    None,
                    details={
                        "from": _iso(before),
                        "to": _iso(after),
                        "by": format_duration(after - before),
                        "offset": format_duration(offset),
                    },
                )
            )
        clock.invalidate()
        return self._describe(clock, clock.refresh()) | {"previous": _iso(before)}

    @staticmethod
    def _describe(clock: StoredTestClock, state: ClockState) -> dict[str, Any]:
        real = clock.base.now()
        return {
            "enabled": True,
            "now": _iso(real + state.offset),
            "real_now": _iso(real),
            "offset": format_duration(state.offset),
            "offset_seconds": int(state.offset.total_seconds()),
            "version": state.version,
        }


def _parse(body: Any) -> tuple[timedelta | None, datetime | None]:
    if not isinstance(body, dict) or ("by" in body) == ("to" in body) or len(body) != 1:
        raise Invalid.on("by", "clock.one_of")
    if "by" in body:
        by = parse_duration(body["by"]) if isinstance(body["by"], str) else None
        if by is None:
            raise Invalid.on("by", "clock.duration")
        return by, None
    to = body["to"]
    try:
        instant = datetime.fromisoformat(to) if isinstance(to, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise Invalid.on("to", "clock.instant")
    return None, instant.astimezone(UTC)


def check_bind(settings: Settings, host: str, loopback: bool) -> str | None:
    """Why ``cairn serve`` must refuse to run a test clock on ``host`` (None: it may)."""
    if settings.test_clock and not loopback and not settings.test_clock_confirm:
        return (
            f"refusing to serve a test clock on {host}: anyone who can reach it as an "
            "administrator could move this instance's time; set CAIRN_TEST_CLOCK_CONFIRM=true "
            "if that is what you want"
        )
    return None


__all__ = ["StoredTestClock", "TestClockService", "check_bind"]
