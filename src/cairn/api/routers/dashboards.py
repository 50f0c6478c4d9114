"""Dashboards of an app: definitions (CRUD), their data per widget ready for ECharts, the
drill-down from a widget's points to its records, and the editor's preview of an unsaved
widget."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.files import SPREADSHEET
from cairn.api.models.reports import (
    Dashboard,
    DashboardData,
    DashboardList,
    WidgetData,
    WidgetDrill,
)
from cairn.api.problems import language
from cairn.api.routers.reports import file_response
from cairn.api.schemas import BigCount, Id
from cairn.core import Invalid, Message
from cairn.core.i18n import render
from cairn.reports import DashboardIn
from cairn.reports.dashboards import FilterSpec, WidgetSpec

router = APIRouter(prefix="/api/v1/apps/{app}/dashboards", tags=["dashboards"])


class DashboardUpdate(DashboardIn):
    version: BigCount


Points = list[list[Any]]
POINTS = Field(
    default_factory=list,
    max_length=1000,
    description="The points clicked, each the raw keys of its dimensions (rows, then columns) "
    "as the widget's data gives them; any one point for a widget without dimensions",
)
VALUES = Field(
    default_factory=dict,
    description='The dashboard filters\' values, e.g. {"period": ["2026-01-01", "2026-01-31"]}',
)
MEASURE = Field(
    None,
    description="The key of the measure clicked (a series of a chart of several measures); "
    "default: the one the widget shows, if one",
)


class WidgetPreview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    widget: WidgetSpec
    filters: list[FilterSpec] = Field(default_factory=list, max_length=20)
    values: dict[str, Any] = VALUES


class WidgetDrillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: Points = POINTS
    values: dict[str, Any] = VALUES
    measure: str | None = MEASURE


class PreviewDrillRequest(WidgetPreview):
    points: Points = POINTS
    measure: str | None = MEASURE


def shown(widget: dict[str, Any], lang: str) -> dict[str, Any]:
    """A widget's data with its error (a ``Message``) in the caller's language."""
    if isinstance(widget.get("error"), Message):
        e = widget["error"]
        widget["error"] = {"code": e.key, "message": render(e, lang)}
    return widget


@router.get("", response_model=DashboardList)
def list_dashboards(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The dashboards the caller may see (per their roles)."""
    return {"items": services.dashboards.list(app, principal=principal)}


# Creating, changing and deleting dashboards: administrators and the app's managers.
@router.post("", status_code=201, dependencies=[SchemaManager], response_model=Dashboard)
def create_dashboard(
    app: str, body: DashboardIn, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A new dashboard. Every widget must be one the caller can see: its errors come by
    location (``widgets.<n>.dataset.measures.0.field``), as from the preview."""
    return services.dashboards.create(
        app, body.model_dump(mode="json", exclude_none=True), principal=principal
    )


@router.post("/preview", response_model=WidgetData)
def preview_widget(
    app: str, body: WidgetPreview, request: Request, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """An unsaved widget's data for the caller, under the dashboard filters given and their
    values, as ``GET .../data`` would show it. A widget that does not validate (an unknown
    field, a sum of a text field, a date bucket of a number, a field the caller may not read)
    is refused (422) with each error at its location under ``widget.``."""
    out = services.dashboards.preview(
        app, body.widget, body.filters, body.values, principal=principal
    )
    return shown(out, language(request))


@router.post("/preview/drill", response_model=WidgetDrill)
def drill_preview(
    app: str, body: PreviewDrillRequest, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The records behind points of an unsaved widget (the editor's preview)."""
    return services.dashboards.preview_drill(
        app,
        body.widget,
        body.points,
        body.filters,
        body.values,
        body.measure,
        principal=principal,
    )


@router.get("/{dashboard_id}", response_model=Dashboard)
def get_dashboard(
    app: str, dashboard_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.dashboards.get(app, dashboard_id, principal=principal)


@router.put("/{dashboard_id}", dependencies=[SchemaManager], response_model=Dashboard)
def update_dashboard(
    app: str,
    dashboard_id: Id,
    body: DashboardUpdate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    return services.dashboards.update(
        app, dashboard_id, body.model_dump(mode="json", exclude_none=True), principal=principal
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
        shown(w, lang)
    return out


@router.post("/{dashboard_id}/widgets/{widget_id}/drill", response_model=WidgetDrill)
def drill_widget(
    app: str,
    dashboard_id: Id,
    widget_id: str,
    body: WidgetDrillRequest,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The records behind the clicked points of a widget: the widget's dataset filter (or a
    KPI's filter and period), the dashboard filters' values, and the OR of the points. Pass
    ``filter`` to the records query API of ``table``: it selects exactly the records counted
    in those points (the caller's own row scope still applies there)."""
    return services.dashboards.drill(
        app,
        dashboard_id,
        widget_id,
        body.points,
        body.values,
        body.measure,
        principal=principal,
    )


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
