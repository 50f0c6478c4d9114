"""KPI mappings of an app: which table and fields each KPI of the library reads there. Listed
to everyone who uses the app; set and removed by its managers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.reports import KpiMapping, KpiMappingList

router = APIRouter(prefix="/api/v1/apps/{app}/kpi-mappings", tags=["kpis"])


class KpiMappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(
        description="The KPI's parameters in this app (its ``params`` schema in the KPI "
        'library): e.g. {"table": "tickets", "date_field": "opened_at", "score_field": "nps"}'
    )


@router.get("", response_model=KpiMappingList)
def list_kpi_mappings(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": services.kpi_mappings.list(app, principal=principal)}


@router.put("/{kpi}", dependencies=[SchemaManager], response_model=KpiMapping)
def put_kpi_mapping(
    app: str, kpi: str, body: KpiMappingIn, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Map the KPI to this app's tables: its parameters are checked as the caller (the table
    and fields exist, they may read them, each is of a type the KPI takes: 422 at
    ``params.<name>`` otherwise). KPI widgets and alerts that name no table use it."""
    return services.kpi_mappings.put(app, kpi, body.params, principal=principal)


@router.delete("/{kpi}", status_code=204, dependencies=[SchemaManager])
def delete_kpi_mapping(
    app: str, kpi: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.kpi_mappings.delete(app, kpi, principal=principal)
    return Response(status_code=204)
