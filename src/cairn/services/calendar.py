"""The working calendar: mainland-China statutory holidays (``holidays``) overridden by the
admin's own entries (holidays and make-up working days, 调休), and the working hours. Process
deadlines in working hours count on it."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Entry, Principal, require_admin
from cairn.core import Conflict, Invalid, NotFound
from cairn.core.workcalendar import WorkCalendar
from cairn.process.deadlines import WorkingHours
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import workdays

if TYPE_CHECKING:
    from cairn.services.context import Services


class CalendarService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- what the engines use ----------------------------------------------------------------
    def calendar(self, conn: sa.Connection) -> WorkCalendar:
        """The working calendar with the admin's entries (built once per set of entries)."""
        return workdays.calendar(conn)

    def hours(self, conn: sa.Connection) -> WorkingHours:
        row = workdays.hours_row(conn)
        if row is None:
            return WorkingHours()
        return WorkingHours(
            workdays.hhmm_time(row.work_start) or time(9),
            workdays.hhmm_time(row.work_end) or time(18),
            workdays.hhmm_time(row.break_start),
            workdays.hhmm_time(row.break_end),
        )

    # -- the admin API ---------------------------------------------------------------------
    def get(self, year: int | None = None) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            h = self.hours(uow.conn)
            days = [
                {"day": r.day.isoformat(), "is_workday": r.is_workday, "name": r.name}
                for r in workdays.entries(uow.conn, year)
            ]
            out: dict[str, Any] = {"hours": _hours_json(h), "days": days}
            if year:
                cal = self.calendar(uow.conn)
                out["makeup_days_known"] = cal.year_has_makeup_days(year)
                out["workdays"] = sum(1 for d in cal.rows() if d.day.year == year and d.is_workday)
            return out

    def set_hours(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        values = workdays.check_hours(body)
        with unit_of_work(self.s, principal=principal) as uow:
            workdays.save_hours(uow.conn, uow.now, **values)
            uow.audit(Entry("calendar.hours", "calendar", "hours", details=values))
        return {"hours": values}

    def add_day(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        d = workdays.check_day(body.get("day"))
        if not isinstance(body.get("is_workday"), bool):
            raise Invalid.on("is_workday", "value.boolean")
        name = str(body.get("name") or "")[:200]
        with unit_of_work(self.s, principal=principal) as uow:
            if workdays.has_entry(uow.conn, d):
                raise Conflict("calendar.exists", day=d.isoformat())
            workdays.add_entry(uow.conn, d, body["is_workday"], name, uow.now)
            _days_changed(uow)
            uow.audit(
                Entry(
                    "calendar.day",
                    "calendar",
                    d.isoformat(),
                    details={"is_workday": body["is_workday"], "name": name},
                )
            )
        return {"day": d.isoformat(), "is_workday": body["is_workday"], "name": name}

    def delete_day(self, principal: Principal, day: str) -> None:
        require_admin(principal)
        d = workdays.check_day(day)
        with unit_of_work(self.s, principal=principal) as uow:
            if workdays.delete_entry(uow.conn, d) == 0:
                raise NotFound("calendar.not_found", day=d.isoformat())
            _days_changed(uow)
            uow.audit(Entry("calendar.day_delete", "calendar", d.isoformat()))


def _days_changed(uow: UnitOfWork) -> None:
    """An entry changed: WORKDAY and WORKDAYS see it in this transaction, in SQL (the days
    table) and in Python (every process reloads its catalog with the new calendar)."""
    workdays.sync(uow.conn)
    uow.schema_changed()


def _hours_json(h: WorkingHours) -> dict[str, Any]:
    def f(t: time | None) -> str | None:
        return t.strftime("%H:%M") if t else None

    return {
        "work_start": f(h.start),
        "work_end": f(h.end),
        "break_start": f(h.break_start),
        "break_end": f(h.break_end),
    }
