"""Uploads for attachment fields, and downloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from starlette.responses import FileResponse

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.files import STORED_FILE
from cairn.api.models.records import UploadedFile

router = APIRouter(tags=["files"])


@router.post(
    "/api/v1/apps/{app}/tables/{table}/fields/{field}/files",
    status_code=201,
    response_model=UploadedFile,
)
def upload_file(
    app: str,
    table: str,
    field: str,
    file: UploadFile,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Upload one file for an attachment field; put the returned id in the record's value."""
    return services.files.upload(
        app,
        table,
        field,
        file.filename or "file",
        file.content_type,
        file.file,
        principal=principal,
    )


@router.get("/api/v1/files/{file_id}", response_class=FileResponse, responses=STORED_FILE)
def download_file(file_id: str, services: ServicesDep, principal: PrincipalDep) -> FileResponse:
    path, meta = services.files.get(file_id, principal=principal)
    inline = meta["mime"].startswith("image/") or meta["mime"] == "application/pdf"
    return FileResponse(
        path,
        media_type=meta["mime"],
        filename=meta["name"],
        content_disposition_type="inline" if inline else "attachment",
        headers={"x-content-type-options": "nosniff"},
    )
