"""Record imports from CSV and XLSX files: upload and preview, dry run, run, progress,
cancel, the error file, saved mappings (issue 21)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from starlette.responses import Response, StreamingResponse

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.files import SPREADSHEET
from cairn.api.models.imports import (
    ImportJob,
    ImportJobList,
    ImportMapping,
    ImportMappingBody,
    ImportMappingList,
    ImportPreview,
    ImportSource,
    ImportStart,
)
from cairn.api.problems import language
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}/imports", tags=["imports"])
#: Saved column mappings of a table.
mappings = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}/import-mappings", tags=["imports"])


@router.post("", status_code=201, response_model=ImportPreview)
def upload_import(
    app: str,
    table: str,
    file: UploadFile,
    services: ServicesDep,
    principal: PrincipalDep,
    sheet: str | None = Form(None),
    header_rows: int | None = Form(None, ge=1, le=2),
) -> dict[str, Any]:
    """Upload a CSV (UTF-8, GBK/GB18030) or XLSX file: the job, the first rows, a suggested
    field per column (by saved mapping, key or name) and the saved mappings."""
    return services.imports.upload(
        app,
        table,
        file.filename or "import.csv",
        file.file,
        principal,
        sheet=sheet,
        header_rows=header_rows,
    )


@router.get("", response_model=ImportJobList)
def list_imports(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's latest imports (the caller's own; an administrator sees all)."""
    return {"items": services.imports.list(app, table, principal)}


@router.get("/{job_id}", response_model=ImportJob)
def get_import(
    app: str, table: str, job_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The import and its progress."""
    return services.imports.get(app, table, job_id, principal)


@router.post("/{job_id}/source", response_model=ImportPreview)
def reshape_import(
    app: str,
    table: str,
    job_id: Id,
    body: ImportSource,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Read the file again with another sheet or header height (1 or 2 rows)."""
    return services.imports.reshape(
        app, table, job_id, sheet=body.sheet, header_rows=body.header_rows, principal=principal
    )


def _start(
    app: str,
    table: str,
    job_id: int,
    body: ImportStart,
    request: Request,
    services: Any,
    principal: Any,
    dry_run: bool,
) -> dict[str, Any]:
    return services.imports.start(
        app,
        table,
        job_id,
        body.model_dump(exclude_unset=True),
        dry_run=dry_run,
        principal=principal,
        language=language(request),
    )


@router.post("/{job_id}/dry-run", status_code=202, response_model=ImportJob)
def dry_run_import(
    app: str,
    table: str,
    job_id: Id,
    body: ImportStart,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Queue a dry run: every row checked as the run would write it, nothing written; the
    counts and each refused row's reason in the job."""
    return _start(app, table, job_id, body, request, services, principal, True)


@router.post("/{job_id}/run", status_code=202, response_model=ImportJob)
def run_import(
    app: str,
    table: str,
    job_id: Id,
    body: ImportStart,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Queue the import on the worker: batches written all or nothing, refused rows to the
    error file; follow it with GET."""
    return _start(app, table, job_id, body, request, services, principal, False)


@router.post("/{job_id}/cancel", response_model=ImportJob)
def cancel_import(
    app: str, table: str, job_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Stop the import after its current batch (which is rolled back)."""
    return services.imports.cancel(app, table, job_id, principal)


@router.get("/{job_id}/errors.csv", response_class=Response, responses=SPREADSHEET)
def import_errors(
    app: str,
    table: str,
    job_id: Id,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    phase: str = Query("run", pattern="^(run|dry_run)$"),
) -> Response:
    """The refused rows as CSV: the file's columns, the row number and the reason."""
    lines = services.imports.errors_csv(
        app, table, job_id, phase=phase, principal=principal, language=language(request)
    )
    return StreamingResponse(
        (line.encode("utf-8") for line in lines),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )


@mappings.get("", response_model=ImportMappingList)
def list_import_mappings(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's saved column mappings."""
    return {"items": services.import_mappings.list(app, table, principal)}


@mappings.post("", status_code=201, response_model=ImportMapping)
def create_import_mapping(
    app: str, table: str, body: ImportMappingBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Save a mapping (header → field key or null); a name used again replaces it."""
    return services.import_mappings.save(app, table, body.model_dump(), principal=principal)


@mappings.put("/{mapping_id}", response_model=ImportMapping)
def update_import_mapping(
    app: str,
    table: str,
    mapping_id: Id,
    body: ImportMappingBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    return services.import_mappings.save(
        app, table, body.model_dump(), mapping_id=mapping_id, principal=principal
    )


@mappings.delete("/{mapping_id}", status_code=204)
def delete_import_mapping(
    app: str, table: str, mapping_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.import_mappings.delete(app, table, mapping_id, principal)
    return Response(status_code=204)
