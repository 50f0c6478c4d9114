"""The working calendar: mainland-China statutory holidays (``holidays``) overridden by the
admin's own entries (holidays and make-up working days, 调休), and the working hours. Process
deadlines in working hours count on it."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Entry, Principal
from cairn.core import Conflict, Invalid, NotFound
from cairn.core.workcalendar import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR, WorkCalendar
from cairn.process.deadlines import WorkingHours
from cairn.services.directory import require_admin
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import system, workdays

if TYPE_CHECKING:
    from cairn.services.context import Services

OVR, S = system.calendar_overrides, system.calendar_settings
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _time(v: str | None) -> time | None:
    if not v:
        return None
    h, m = v.split(":")
    return time(int(h), int(m))


def _day(value: Any, location: str = "day") -> date:
    try:
        d = date.fromisoformat(str(value))
    except ValueError:
        raise Invalid.on(location, "value.date") from None
    if not DEFAULT_FIRST_YEAR <= d.year <= DEFAULT_LAST_YEAR:
        raise Invalid.on(
            location,
            "calendar.range",
            first=f"{DEFAULT_FIRST_YEAR}-01-01",
            last=f"{DEFAULT_LAST_YEAR}-12-31",
        )
    return d


class CalendarService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- what the engines use ----------------------------------------------------------------
    def calendar(self, conn: sa.Connection) -> WorkCalendar:
        """The working calendar with the admin's entries (built once per set of entries)."""
        return workdays.calendar(conn)

    def hours(self, conn: sa.Connection) -> WorkingHours:
        row = conn.execute(sa.select(S).where(S.c.id == 1)).first()
        if row is None:
            return WorkingHours()
        return WorkingHours(
            _time(row.work_start) or time(9),
            _time(row.work_end) or time(18),
            _time(row.break_start),
            _time(row.break_end),
        )

    # -- the admin API ---------------------------------------------------------------------
    def get(self, year: int | None = None) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            h = self.hours(uow.conn)
            q = sa.select(OVR).order_by(OVR.c.day)
            if year:
                q = q.where(OVR.c.day >= date(year, 1, 1), OVR.c.day <= date(year, 12, 31))
            days = [
                {"day": r.day.isoformat(), "is_workday": r.is_workday, "name": r.name}
                for r in uow.conn.execute(q)
            ]
            out: dict[str, Any] = {"hours": _hours_json(h), "days": days}
            if year:
                cal = self.calendar(uow.conn)
                out["makeup_days_known"] = cal.year_has_makeup_days(year)
                out["workdays"] = sum(1 for d in cal.rows() if d.day.year == year and d.is_workday)
            return out

    def set_hours(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        values: dict[str, Any] = {}
        for key in ("work_start", "work_end", "break_start", "break_end"):
            v = body.get(key)
            if v in (None, "") and key.startswith("break"):
                values[key] = None
                continue
            if not isinstance(v, str) or not _HHMM.match(v):
                raise Invalid.on(key, "calendar.time")
            values[key] = v
        if values["work_start"] >= values["work_end"]:
            raise Invalid.on("work_end", "calendar.hours_order")
        if (values["break_start"] is None) != (values["break_end"] is None) or (
            values["break_start"] and values["break_start"] >= values["break_end"]
        ):
            raise Invalid.on("break_end", "calendar.hours_order")
        with unit_of_work(self.s, principal=principal) as uow:
            exists = uow.conn.execute(sa.select(S.c.id).where(S.c.id == 1)).first()
            if exists:
                uow.conn.execute(S.update().where(S.c.id == 1).values(updated_at=uow.now, **values))
            else:
                uow.conn.execute(S.insert().values(id=1, updated_at=uow.now, **values))
            uow.audit(Entry("calendar.hours", "calendar", "hours", details=values))
        return {"hours": values}

    def add_day(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        d = _day(body.get("day"))
        if not isinstance(body.get("is_workday"), bool):
            raise Invalid.on("is_workday", "value.boolean")
        name = str(body.get("name") or "")[:200]
        with unit_of_work(self.s, principal=principal) as uow:
            if uow.conn.execute(sa.select(OVR.c.day).where(OVR.c.day == d)).first():
                raise Conflict("calendar.exists", day=d.isoformat())
            uow.conn.execute(
                OVR.insert().values(
                    day=d, is_workday=body["is_workday"], name=name, updated_at=uow.now
                )
            )
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
        d = _day(day)
        with unit_of_work(self.s, principal=principal) as uow:
            n = uow.conn.execute(OVR.delete().where(OVR.c.day == d)).rowcount
            if n == 0:
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
