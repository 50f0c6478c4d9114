"""Comments on a record, with @mentions: whoever may read the record may comment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.activity import Comment, CommentPage
from cairn.api.schemas import CommentCreate, Id

router = APIRouter(
    prefix="/api/v1/apps/{app}/tables/{table}/records/{record_id}/comments", tags=["comments"]
)


@router.get("", response_model=CommentPage)
def list_comments(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    items = services.comments.list(app, table, record_id, principal)
    return {"items": items, "next_cursor": None, "total": len(items)}


@router.post("", status_code=201, response_model=Comment)
def add_comment(
    app: str,
    table: str,
    record_id: Id,
    body: CommentCreate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """A comment; ``@username`` in the body mentions (and notifies) that user."""
    return services.comments.add(app, table, record_id, body.body, principal)


@router.delete("/{comment_id}", status_code=204)
def delete_comment(
    app: str,
    table: str,
    record_id: Id,
    comment_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    services.comments.delete(app, table, record_id, comment_id, principal)
    return Response(status_code=204)
