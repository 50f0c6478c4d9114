"""Ad-hoc reports of an app: dataset queries (and pivots), drill-down, the KPI library."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.fastjson import json_response
from cairn.api.models.files import SPREADSHEET
from cairn.api.models.reports import DatasetResult, DrillResult, KpiLibrary, KpiValue
from cairn.api.problems import language
from cairn.reports import DatasetSpec
from cairn.reports.export import MEDIA_TYPES

router = APIRouter(prefix="/api/v1/apps/{app}/reports", tags=["reports"])


class DrillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: DatasetSpec
    keys: list[Any] = Field(description="The cell's dimension values (rows, then columns)")
    measure: str | None = None


@router.post("/datasets/query", response_model=DatasetResult)
def query_dataset(
    app: str, body: DatasetSpec, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Rows of a dataset query; with ``columns``, a pivot table (rows × columns)."""
    return json_response(services.reports.dataset(app, body, principal=principal))


@router.post("/datasets/drill", response_model=DrillResult)
def drill_dataset(
    app: str, body: DrillRequest, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The filter of the records behind one cell: pass it to the records query API."""
    return services.reports.drill(app, body.dataset, body.keys, body.measure, principal=principal)


@router.get("/kpis", response_model=KpiLibrary)
def list_kpis(app: str, request: Request, services: ServicesDep) -> dict[str, Any]:
    """The KPI library: each KPI's title and definition in the caller's language, its unit
    and its parameters (JSON schema)."""
    return {"items": services.reports.kpis(language(request))}


@router.post("/kpis/{kpi}", response_model=KpiValue)
def compute_kpi(
    app: str,
    kpi: str,
    services: ServicesDep,
    principal: PrincipalDep,
    params: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    """One KPI over a period, compared with the period before, optionally split; without
    ``table``, over the app's mapping of the KPI (``/kpi-mappings``)."""
    return services.reports.kpi(app, kpi, params, principal=principal)


def file_response(content: bytes, name: str) -> Response:
    fmt = name.rsplit(".", 1)[-1]
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post("/datasets/export", response_class=Response, responses=SPREADSHEET)
def export_dataset(
    app: str,
    body: DatasetSpec,
    services: ServicesDep,
    principal: PrincipalDep,
    format: str = Query("xlsx", description="xlsx or csv"),
) -> Response:
    """The dataset (or pivot) as an XLSX or CSV file (needs the export permission)."""
    return file_response(*services.reports.export(app, body, format, principal=principal))
