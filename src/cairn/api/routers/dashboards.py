"""Dashboards of an app: definitions (CRUD) and their data per widget, ready for ECharts."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.engines import Dashboard, DashboardData, DashboardList
from cairn.api.models.files import SPREADSHEET
from cairn.api.problems import language
from cairn.api.routers.reports import file_response
from cairn.api.schemas import BigCount, Id
from cairn.core import Invalid, Message
from cairn.core.i18n import render
from cairn.reports import DashboardIn

router = APIRouter(prefix="/api/v1/apps/{app}/dashboards", tags=["dashboards"])


class DashboardUpdate(DashboardIn):
    version: BigCount


@router.get("", response_model=DashboardList)
def list_dashboards(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The dashboards the caller may see (per their roles)."""
    return {"items": services.dashboards.list(app, principal=principal)}


# Creating, changing and deleting dashboards: administrators and the app's managers.
@router.post("", status_code=201, dependencies=[SchemaManager], response_model=Dashboard)
def create_dashboard(app: str, body: DashboardIn, services: ServicesDep) -> dict[str, Any]:
    return services.dashboards.create(app, body.model_dump(mode="json", exclude_none=True))


@router.get("/{dashboard_id}", response_model=Dashboard)
def get_dashboard(
    app: str, dashboard_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.dashboards.get(app, dashboard_id, principal=principal)


@router.put("/{dashboard_id}", dependencies=[SchemaManager], response_model=Dashboard)
def update_dashboard(
    app: str, dashboard_id: Id, body: DashboardUpdate, services: ServicesDep
) -> dict[str, Any]:
    return services.dashboards.update(
        app, dashboard_id, body.model_dump(mode="json", exclude_none=True)
    )


@router.delete("/{dashboard_id}", status_code=204, dependencies=[SchemaManager])
def delete_dashboard(app: str, dashboard_id: Id, services: ServicesDep) -> Response:
    services.dashboards.delete(app, dashboard_id)
    return Response(status_code=204)


def parse_filters(filters: str | None) -> dict[str, Any]:
    if not filters:
        return {}
    try:
        value = json.loads(filters)
    except ValueError:
        raise Invalid.on("filters", "invalid.json") from None
    if not isinstance(value, dict):
        raise Invalid.on("filters", "invalid.json")
    return value


@router.get("/{dashboard_id}/data", response_model=DashboardData)
def dashboard_data(
    app: str,
    dashboard_id: Id,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    filters: str | None = Query(
        None,
        description='Dashboard filter values as JSON, e.g. {"period": ["2026-01-01", "2026-01-31"]}',
    ),
) -> dict[str, Any]:
    """Per widget: its type, title and data (series + axes for charts), for the caller: only
    the rows they may read count; a widget over a table or field they may not see has no
    data and an ``error`` saying why."""
    out = services.dashboards.data(app, dashboard_id, parse_filters(filters), principal=principal)
    lang = language(request)
    for w in out["widgets"].values():
        if isinstance(w.get("error"), Message):
            w["error"] = {"code": w["error"].key, "message": render(w["error"], lang)}
    return out


@router.get(
    "/{dashboard_id}/widgets/{widget_id}/export", response_class=Response, responses=SPREADSHEET
)
def export_widget(
    app: str,
    dashboard_id: Id,
    widget_id: str,
    services: ServicesDep,
    principal: PrincipalDep,
    format: str = Query("xlsx", description="xlsx or csv"),
    filters: str | None = None,
) -> Response:
    """One widget's numbers as an XLSX or CSV file, under the dashboard filters given."""
    content, name = services.dashboards.export_widget(
        app, dashboard_id, widget_id, format, parse_filters(filters), principal=principal
    )
    return file_response(content, name)
