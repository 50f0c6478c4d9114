"""The test clock (``CAIRN_TEST_CLOCK=true`` only; otherwise these routes do not exist, 404,
and are not in the OpenAPI document): administrators read it and move it forward."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from cairn.api.deps import PrincipalDep, ServicesDep

router = APIRouter(prefix="/api/v1/test-clock", tags=["test-clock"])


class TestClockState(BaseModel):
    __test__ = False  # not a pytest class

    enabled: bool = True
    now: str = Field(description="The instance's time (UTC, ISO 8601)")
    real_now: str = Field(description="The machine's time")
    offset: str = Field(description="How far the instance is ahead, e.g. 31d or 2h30m")
    offset_seconds: int
    version: int = Field(description="How many times the clock was moved")
    previous: str | None = Field(default=None, description="Its time before this advance")


@router.get("", response_model=TestClockState, response_model_exclude_none=True)
def read_test_clock(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The instance's time (``now``), real time, and the offset between them (``31d``)."""
    return services.test_clock.status(principal)


@router.post("/advance", response_model=TestClockState, response_model_exclude_none=True)
def advance_test_clock(
    services: ServicesDep,
    principal: PrincipalDep,
    body: dict[str, Any] = Body(
        ...,
        examples=[{"by": "3d"}, {"by": "2h30m"}, {"to": "2026-02-05T09:00:00+08:00"}],
    ),
) -> dict[str, Any]:
    """Move the clock forward by a duration (``{"by": "3d"}``: w, d, h, m, s) or to a later
    instant (``{"to": …}``); never backwards. The worker then runs what came due, once."""
    return services.test_clock.advance(principal, body)
