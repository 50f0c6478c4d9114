"""Apps, and their packages (export and import)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.files import PACKAGE
from cairn.api.models.schema import App, AppList, DeletedAppList, PackageImport
from cairn.api.schemas import AppCreate, AppUpdate, Id

router = APIRouter(prefix="/api/v1/apps", tags=["apps"], dependencies=[SchemaManager])


@router.post("", status_code=201, response_model=App)
def create_app(body: AppCreate, services: ServicesDep) -> dict[str, Any]:
    return services.apps.create(body.model_dump(exclude_none=True))


@router.get("", response_model=AppList)
def list_apps(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The apps the caller manages or has a table of, each with ``permissions``
    (``{"manage": bool}``: tables, the 360° settings, rules, processes, dashboards)."""
    return {"items": services.apps.list(principal)}


@router.post("/import", status_code=201, response_model=PackageImport)
async def import_app(
    request: Request, services: ServicesDep, principal: PrincipalDep, key: str | None = None
) -> Any:
    """Import an app package (YAML body, or a multipart upload in the field ``file``). Its
    rules and alerts belong to the importer. The install runs in a worker thread: it takes
    seconds for a large package, and other requests go on meanwhile."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        text = await upload.read() if isinstance(upload, UploadFile) else str(upload or "")
    else:
        text = await request.body()
    return await run_in_threadpool(
        services.packages.import_yaml, text, key=key, principal=principal
    )


@router.get("/recycle-bin", response_model=DeletedAppList)
def deleted_apps(services: ServicesDep) -> dict[str, Any]:
    return {"items": services.apps.deleted()}


@router.post("/recycle-bin/{app_id}/restore", response_model=App)
def restore_app(app_id: Id, services: ServicesDep) -> dict[str, Any]:
    return services.apps.restore(app_id)


@router.get("/{app}", response_model=App)
def get_app(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The app, its ``permissions`` and the tables listed to the caller, each with theirs."""
    return services.apps.get(app, principal)


@router.patch("/{app}", response_model=App)
def update_app(app: str, body: AppUpdate, services: ServicesDep) -> dict[str, Any]:
    return services.apps.update(app, body.model_dump(exclude_unset=True))


@router.delete("/{app}", status_code=204)
def delete_app(app: str, services: ServicesDep) -> Response:
    services.apps.delete(app)
    return Response(status_code=204)


@router.get("/{app}/export", response_class=Response, responses=PACKAGE)
def export_app(app: str, services: ServicesDep, format: str = "yaml") -> Response:
    """The app package as YAML (or JSON with ``?format=json``)."""
    if format == "json":
        return JSONResponse(services.packages.export(app))
    text = services.packages.export_yaml(app)
    return Response(
        text,
        media_type="application/yaml",
        headers={"content-disposition": f'attachment; filename="{app}.cairn.yaml"'},
    )
