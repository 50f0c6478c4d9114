"""Saved views of a table's grid (the filter, sort and columns a member comes back to)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.activity import GridView, GridViewList
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}/views", tags=["views"])


@router.get("", response_model=GridViewList)
def list_views(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The reader's own views and the shared ones (``mine``, ``editable`` say which)."""
    return services.views.list(app, table, principal)


@router.post("", status_code=201, response_model=GridView)
def create_view(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    """``name``, ``shared`` (those who manage the table), ``config``: ``filter`` and ``sort``
    as in a records query, ``columns`` (``key``, ``visible``, in order) and ``widths``."""
    return services.views.create(app, table, body, principal)


@router.patch("/{view_id}", response_model=GridView)
def update_view(
    app: str,
    table: str,
    view_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    body: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    """Change the name, sharing or config; ``version`` as last read (409 when it moved on)."""
    return services.views.update(app, table, view_id, body, principal)


@router.delete("/{view_id}", status_code=204)
def delete_view(
    app: str, table: str, view_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.views.delete(app, table, view_id, principal)
    return Response(status_code=204)
