"""The working calendar (admins): working hours, holidays and make-up working days (调休)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.engines import CalendarDay, WorkCalendar, WorkingHoursReply
from cairn.api.schemas import Year

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.get("", response_model=WorkCalendar)
def get_calendar(
    services: ServicesDep, principal: PrincipalDep, year: Year | None = None
) -> dict[str, Any]:
    return services.calendar.get(year)


@router.put("/hours", response_model=WorkingHoursReply)
def set_hours(
    body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """``work_start``, ``work_end`` and an optional ``break_start``/``break_end`` (HH:MM)."""
    return services.calendar.set_hours(principal, body)


@router.post("/days", status_code=201, response_model=CalendarDay)
def add_day(body: dict[str, Any], services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """``day`` (YYYY-MM-DD), ``is_workday`` (false: a holiday; true: a make-up working day),
    ``name``."""
    return services.calendar.add_day(principal, body)


@router.delete("/days/{day}", status_code=204)
def delete_day(day: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.calendar.delete_day(principal, day)
    return Response(status_code=204)
