"""The customer timeline of a record, as the principal may see it (``insight.timeline``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.insight.timeline import MAX_LIMIT, Timeline
from cairn.services.customer_view import CustomerViewService
from cairn.services.uow import unit_of_work
from cairn.store import records
from cairn.store.timeline import end_of_day

if TYPE_CHECKING:
    from cairn.services.context import Services


def _when(text: str | None, loc: str, *, end: bool) -> datetime | None:
    """A ``from``/``to`` bound: a date (the whole day) or a date and time (naive UTC)."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return end_of_day(d) if end else datetime.combine(d, datetime.min.time())
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise Invalid.on(loc, "value.datetime") from None


class TimelineService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def page(
        self,
        app: str,
        table: str,
        record_id: int,
        *,
        limit: int = 50,
        before: str | None = None,
        kinds: list[str] | None = None,
        start: str | None = None,
        end: str | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """``{entries, next, kinds}``: a page of the record's timeline, newest first."""
        if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise Invalid.on("limit", "value.max", max=MAX_LIMIT)
        start_at = _when(start, "from", end=False)
        end_at = _when(end, "to", end=True)
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            if not records.live_ids(uow.conn, s, [record_id], g.row_where(s, "read")):
                raise NotFound("record.not_found", id=record_id)
            config = CustomerViewService(self.s).timeline(uow, app, table)
            timeline = Timeline(
                uow.conn, uow.catalog, g, s, record_id, config, self.s.field_ctx.timezone
            )
            return timeline.page(limit, before, kinds or None, start_at, end_at)
