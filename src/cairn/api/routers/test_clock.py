"""The test clock (``CAIRN_TEST_CLOCK=true`` only; otherwise these routes do not exist, 404,
and are not in the OpenAPI document): administrators read it and move it forward."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from cairn.api.deps import PrincipalDep, ServicesDep

router = APIRouter(prefix="/api/v1/test-clock", tags=["test-clock"])


@router.get("")
def read_test_clock(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The instance's time (``now``), real time, and the offset between them (``31d``)."""
    return services.test_clock.status(principal)


@router.post("/advance")
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
