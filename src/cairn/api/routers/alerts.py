"""Report alerts of an app: thresholds on KPIs and dataset measures checked on a schedule
(CRUD for schema managers and app managers), check now, and the check log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.reports import Alert, AlertCheckList, AlertCheckNow, AlertList
from cairn.api.schemas import Id

router = APIRouter(
    prefix="/api/v1/apps/{app}/alerts", tags=["alerts"], dependencies=[SchemaManager]
)


@router.get("", response_model=AlertList)
def list_alerts(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": services.alerts.list(principal, app)}


@router.post("", status_code=201, response_model=Alert)
def create_alert(
    app: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """An alert: ``key``, ``name``, ``kpi`` (``{key, params}``) or ``dataset``, ``op``
    (``>``, ``>=``, ``<``, ``<=``), ``threshold``, ``period`` (optional), ``schedule``
    (``{"cron": "0 * * * *"}`` or ``{"every": 15, "unit": "minutes"}``), ``owner_id``
    (whose permissions compute the value; default: the caller) and ``actions`` (rule-engine
    actions: notify, webhook, create_record, start_process)."""
    return services.alerts.create(principal, app, body)


@router.get("/{alert_id}", response_model=Alert)
def get_alert(
    app: str, alert_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.alerts.get(principal, app, alert_id)


@router.put("/{alert_id}", response_model=Alert)
def update_alert(
    app: str, alert_id: Id, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Replace the alert; ``version`` must be the one the change was based on."""
    return services.alerts.update(principal, app, alert_id, body)


@router.delete("/{alert_id}", status_code=204)
def delete_alert(
    app: str, alert_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.alerts.delete(principal, app, alert_id)
    return Response(status_code=204)


@router.post("/{alert_id}/check", response_model=AlertCheckNow)
def check_alert(
    app: str,
    alert_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    dry_run: bool = Query(False, description="say what a crossing now would do; change nothing"),
) -> dict[str, Any]:
    """Check now: the value, the state change and the actions run (a crossing acts once, as
    on the schedule); with ``dry_run``, the value and what the actions would do."""
    return services.alerts.check_now(principal, app, alert_id, dry_run)


@router.get("/{alert_id}/checks", response_model=AlertCheckList)
def alert_checks(
    app: str,
    alert_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=500),
    before: Id | None = Query(None, description="checks older than this check id (next page)"),
) -> dict[str, Any]:
    """The check log, newest first: value, state change, each action's result, error."""
    return services.alerts.checks(principal, app, alert_id, limit, before)
