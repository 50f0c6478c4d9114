"""Records of a table: list, query, create, bulk, read, update, delete, restore, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.fastjson import json_response, read_body
from cairn.api.models.files import SPREADSHEET
from cairn.api.models.records import (
    BulkWritten,
    FilterChecked,
    Record,
    RecordHistory,
    RecordRecycleBin,
    RecordsPage,
)
from cairn.api.problems import language
from cairn.api.schemas import (
    BigCount,
    CountParam,
    FilterCheck,
    Id,
    RecordExport,
    RecordQuery,
    RecordsBulk,
)
from cairn.core import Invalid
from cairn.reports.export import MEDIA_TYPES

router = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}/records", tags=["records"])

#: Query parameters of GET /records that are not field filters.
RESERVED = {"limit", "cursor", "sort", "fields", "expand", "count"}


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@router.get("", response_model=RecordsPage)
def list_records(
    app: str,
    table: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = None,
    sort: str | None = Query(
        None,
        description="Comma-separated keys; a leading - sorts descending",
        examples=["-flight_hours,name"],
    ),
    fields: str | None = Query(None, description="Comma-separated field keys to return"),
    expand: str | None = Query(
        None,
        description="Comma-separated relation fields to expand (to the linked records) and "
        "sub-form fields (to their rows; a page shows their row count otherwise)",
    ),
    count: CountParam = False,
) -> Response:
    """Simple listing: every other query parameter ``key=value`` is an equality filter
    (``key__op=value`` uses another operator, e.g. ``flight_hours__gte=500``)."""
    conditions = []
    for key, value in request.query_params.multi_items():
        if key in RESERVED:
            continue
        field, _, op = key.partition("__")
        op = op or "eq"
        v: Any = value
        if op in ("in", "not_in", "between"):
            v = value.split(",")
        elif op in (
            "is_empty",
            "is_not_empty",
            "today",
            "yesterday",
            "this_week",
            "this_month",
            "this_year",
        ):
            v = None
        elif op in ("last_n_days", "next_n_days"):
            try:
                v = int(value)
            except ValueError:
                raise Invalid.on(key, "value.integer") from None
        conditions.append({"field": field, "op": op, "value": v})
    sort_spec = [
        {"field": s.lstrip("-"), "direction": "desc" if s.startswith("-") else "asc"}
        for s in _split(sort) or []
    ]
    page = services.records.query(
        app,
        table,
        filter={"and": conditions} if conditions else None,
        sort=sort_spec or None,
        limit=limit,
        cursor=cursor,
        fields=_split(fields),
        expand=_split(expand) or [],
        count=count,
        principal=principal,
    )
    return json_response(page)


@router.post("/query", response_model=RecordsPage)
def query_records(
    app: str, table: str, body: RecordQuery, services: ServicesDep, principal: PrincipalDep
) -> Response:
    page = services.records.query(app, table, **body.model_dump(), principal=principal)
    return json_response(page)


@router.post("/check-filter", response_model=FilterChecked)
def check_filter(
    app: str, table: str, body: FilterCheck, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Check a filter tree without running it (the filter builder's live check of a formula
    row): a 422 names the bad node (``filter.and.1.formula``) as a query would."""
    return services.records.check_filter(app, table, body.filter, principal=principal)


@router.post("/export", response_class=Response, responses=SPREADSHEET)
def export_records(
    app: str,
    table: str,
    body: RecordExport,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Every matching record the caller may export, in the given sort order, as CSV or XLSX
    (``format``); masked fields stay masked. The columns are ``fields`` in order (default:
    every field), headed by the field names; the system columns ``id``, ``version``,
    ``created_at`` and ``updated_at`` only when listed, labelled in the Accept-Language."""
    data = services.records.export(
        app,
        table,
        body.format,
        filter=body.filter,
        sort=body.sort,
        fields=body.fields,
        principal=principal,
        language=language(request),
    )
    return Response(
        data,
        media_type=MEDIA_TYPES[body.format],
        headers={"content-disposition": f'attachment; filename="{table}.{body.format}"'},
    )


#: ``?form=``: the form a write is made through (its linkage rules are enforced).
FORM = Query(
    None,
    description="The form the record is written through (a variant's key): its linkage "
    "rules are enforced; absent: the table's default form",
)


@router.post("", status_code=201, response_model=Record)
def create_record(
    app: str,
    table: str,
    body: dict[str, Any],
    services: ServicesDep,
    principal: PrincipalDep,
    form: str | None = FORM,
) -> Response:
    """A new record. Fields left out take their default (or default formula's) value; the
    form's linkage rules are enforced (a rule's required field left blank: 422 naming it)."""
    return json_response(
        services.records.create(app, table, body, principal=principal, form=form), 201
    )


def wants_minimal(request: Request) -> bool:
    """RFC 7240 ``Prefer: return=minimal``: the caller needs only the ids back."""
    prefer = request.headers.get("prefer", "")
    return any(p.strip().lower() == "return=minimal" for p in prefer.split(","))


def _bulk_shaped(data: Any) -> bool:
    """``{"records": [{…}, …]}`` and nothing else: what RecordsBulk accepts, checked fast."""
    if type(data) is not dict or len(data) != 1:
        return False
    items = data.get("records")
    return type(items) is list and all(type(r) is dict for r in items)


@router.post(
    "/bulk",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RecordsBulk.model_json_schema()}},
        }
    },
    response_model=BulkWritten,
)
async def bulk_records(
    app: str,
    table: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    form: str | None = FORM,
) -> Response:
    """Create (items without ``id``) and update (items with ``id`` and ``version``), all or
    nothing. The reply holds the records written, in the order sent; with the header
    ``Prefer: return=minimal`` it holds only their ``ids`` (faster for loaders).

    The body (up to a thousand records) is parsed with orjson, the write runs in the thread
    pool like every synchronous endpoint."""
    body = await read_body(request, RecordsBulk, _bulk_shaped)
    minimal = wants_minimal(request)
    result = await run_in_threadpool(
        services.records.bulk,
        app,
        table,
        body["records"],
        return_items=not minimal,
        principal=principal,
        form=form,
    )
    headers = {"preference-applied": "return=minimal"} if minimal else None
    response = json_response(result, 201)
    if headers:
        response.headers.update(headers)
    return response


@router.get("/recycle-bin", response_model=RecordRecycleBin)
def recycle_bin(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Response:
    """Deleted records (last deleted first) in the caller's read scope: id, title, when and by
    whom; restore with ``POST …/{id}/restore`` (delete permission), purge with
    ``POST …/{id}/purge`` (table managers)."""
    return json_response(
        services.recycle_bin.list(app, table, principal=principal, limit=limit, cursor=cursor)
    )


@router.get("/{record_id}", response_model=Record)
def get_record(
    app: str,
    table: str,
    record_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    expand: str | None = None,
) -> Response:
    return json_response(
        services.records.get(
            app, table, record_id, expand=_split(expand) or [], principal=principal
        )
    )


@router.patch("/{record_id}", response_model=Record)
def update_record(
    app: str,
    table: str,
    record_id: Id,
    body: dict[str, Any],
    services: ServicesDep,
    principal: PrincipalDep,
    form: str | None = FORM,
) -> Response:
    """Change some fields. ``version`` must be the version the change was based on (409 if
    stale). The form's linkage rules are enforced on the record as it will be."""
    return json_response(
        services.records.update(app, table, record_id, body, principal=principal, form=form)
    )


@router.delete("/{record_id}", status_code=204)
def delete_record(
    app: str,
    table: str,
    record_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    version: BigCount | None = None,
) -> Response:
    services.records.delete(app, table, record_id, version=version, principal=principal)
    return Response(status_code=204)


@router.post("/{record_id}/restore", response_model=Record)
def restore_record(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    return json_response(services.records.restore(app, table, record_id, principal=principal))


@router.post("/{record_id}/purge", status_code=204)
def purge_record(
    app: str, table: str, record_id: int, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Delete a record of the recycle bin permanently (who manages the table)."""
    services.recycle_bin.purge(app, table, record_id, principal=principal)
    return Response(status_code=204)


@router.get("/{record_id}/history", response_model=RecordHistory)
def record_history(
    app: str,
    table: str,
    record_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(200, ge=1, le=1000),
) -> Response:
    return json_response(
        services.records.history(app, table, record_id, limit=limit, principal=principal)
    )


_ = JSONResponse
