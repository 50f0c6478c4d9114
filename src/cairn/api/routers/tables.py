"""Tables and fields of an app, and the app's recycle bin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.indexes import TableIndexes
from cairn.api.models.schema import (
    Field,
    FieldList,
    NumberPreview,
    SchemaRecycleBin,
    Table,
    TableLayout,
    TableList,
)
from cairn.api.schemas import (
    FieldCreate,
    FieldUpdate,
    Id,
    NumberPreviewQuery,
    TableCreate,
    TableUpdate,
)

router = APIRouter(prefix="/api/v1/apps/{app}", tags=["tables"], dependencies=[SchemaManager])


@router.post("/tables", status_code=201, response_model=Table)
def create_table(app: str, body: TableCreate, services: ServicesDep) -> dict[str, Any]:
    data = body.model_dump(exclude_none=True)
    data["fields"] = [f.model_dump(exclude_none=True) for f in body.fields]
    for f in data["fields"]:
        f.pop("position", None)
    return services.schema.create_table(app, data)


@router.get("/tables", response_model=TableList)
def list_tables(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The tables the caller may read, add to or design, each with ``permissions``: create,
    read, update, delete, export, manage (design it: fields, form, layout), true or false."""
    return {"items": services.schema.list_tables(app, principal)}


@router.get("/recycle-bin", response_model=SchemaRecycleBin)
def recycle_bin(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Deleted tables and fields: for those who manage the app (a table's managers: the
    deleted fields of their tables)."""
    return services.schema.recycle_bin(app, principal)


@router.post("/recycle-bin/tables/{table_id}/restore", response_model=Table)
def restore_table(app: str, table_id: Id, services: ServicesDep) -> dict[str, Any]:
    return services.schema.restore_table(app, table_id)


@router.get("/tables/{table}", response_model=Table)
def get_table(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.schema.get_table(app, table, principal)


@router.get("/tables/{table}/indexes", response_model=TableIndexes)
def table_indexes(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's indexes (administrators): declared ones and those the platform made from
    the queries it saw (why, size, last use), and recent page queries with the index that
    serves each or why none does."""
    return services.table_indexes.listing(app, table, principal)


@router.patch("/tables/{table}", response_model=Table)
def update_table(app: str, table: str, body: TableUpdate, services: ServicesDep) -> dict[str, Any]:
    return services.schema.update_table(app, table, body.model_dump(exclude_unset=True))


LAYOUT_EXAMPLE = {
    "sections": [
        {"title": "基本信息", "collapsed": False, "rows": [["name", "phone"], ["tier"]]},
        {"title": "Address", "collapsed": True, "rows": [["city", "zip", None]]},
    ]
}


@router.get("/tables/{table}/layout", response_model=TableLayout)
def get_layout(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's own form layout (null: none) and the effective one forms show."""
    return services.schema.get_layout(app, table, principal)


@router.put("/tables/{table}/layout", response_model=TableLayout)
def set_layout(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    body: Any = Body(
        default=None,
        description="Sections of rows of 1 to 3 field keys (null for an empty cell); "
        "null or no sections: back to one field per row",
        examples=[LAYOUT_EXAMPLE],
    ),
) -> dict[str, Any]:
    return services.schema.set_layout(principal, app, table, body)


@router.delete("/tables/{table}", status_code=204)
def delete_table(app: str, table: str, services: ServicesDep) -> Response:
    services.schema.delete_table(app, table)
    return Response(status_code=204)


@router.post("/tables/{table}/fields", status_code=201, tags=["fields"], response_model=Field)
def create_field(
    app: str, table: str, body: FieldCreate, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    data = body.model_dump(exclude_none=True)
    data.pop("position", None)
    if "default" in body.model_fields_set:
        data["default"] = body.default
    return services.schema.create_field(app, table, data, principal)


@router.post("/tables/{table}/fields/number-preview", tags=["fields"], response_model=NumberPreview)
def preview_number(
    app: str, table: str, body: NumberPreviewQuery, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The number the next record would get with these auto-number options (a pattern such as
    ``BJ-{YYYY}{MM}-{####}`` and its reset), today; 422 naming the option at fault. Reserves
    nothing."""
    return services.schema.preview_number(app, table, body.options, body.field, principal)


@router.get("/tables/{table}/fields", tags=["fields"], response_model=FieldList)
def list_fields(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return {"items": services.schema.list_fields(app, table, principal)}


@router.patch("/tables/{table}/fields/{field}", tags=["fields"], response_model=Field)
def update_field(
    app: str,
    table: str,
    field: str,
    body: FieldUpdate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    return services.schema.update_field(app, table, field, data, principal)


@router.delete("/tables/{table}/fields/{field}", status_code=204, tags=["fields"])
def delete_field(
    app: str, table: str, field: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.schema.delete_field(app, table, field, principal)
    return Response(status_code=204)


@router.post(
    "/tables/{table}/recycle-bin/fields/{field_id}/restore", tags=["fields"], response_model=Field
)
def restore_field(
    app: str, table: str, field_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.schema.restore_field(app, table, field_id, principal)
