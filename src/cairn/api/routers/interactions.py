"""Interactions with customers (issue 22): logged on a record (whoever may read it), listed
newest first, deleted by their author or an administrator; posted by other systems through
the app's inbound route with an idempotency key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from starlette.responses import JSONResponse, Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.insight import (
    Interaction,
    InteractionCreate,
    InteractionPage,
    InteractionPost,
)
from cairn.api.schemas import Id

router = APIRouter(tags=["interactions"])
RECORD = "/api/v1/apps/{app}/tables/{table}/records/{record_id}/interactions"


@router.get(RECORD, response_model=InteractionPage)
def list_interactions(
    app: str,
    table: str,
    record_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = 50,
    cursor: str | None = None,
    kind: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """The record's interactions, newest first (keyset pages: ``next_cursor``)."""
    return services.interactions.list(
        app, table, record_id, principal, limit=limit, cursor=cursor, kinds=kind
    )


@router.post(RECORD, status_code=201, response_model=Interaction)
def log_interaction(
    app: str,
    table: str,
    record_id: Id,
    body: InteractionCreate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Log one interaction (a call, a visit …) with the record: whoever may read it."""
    return services.interactions.log(
        app, table, record_id, body.model_dump(exclude_unset=True), principal
    )


@router.delete(RECORD + "/{interaction_id}", status_code=204)
def delete_interaction(
    app: str,
    table: str,
    record_id: Id,
    interaction_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Delete an interaction (its author or an administrator; kept in the database)."""
    services.interactions.delete(app, table, record_id, interaction_id, principal)
    return Response(status_code=204)


@router.post(
    "/api/v1/apps/{app}/interactions",
    status_code=201,
    response_model=Interaction,
    responses={200: {"model": Interaction, "description": "Seen before: the stored one"}},
)
def post_interaction(
    app: str,
    body: InteractionPost,
    services: ServicesDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Any:
    """An interaction from another system (call centre, website, mini-program). 201 when
    stored; 200 with the stored one when its idempotency key was seen (nothing stored); 404
    when no customer has the key; 409 when several do (their ids listed)."""
    out, created = services.interactions.post(
        app, body.model_dump(exclude_unset=True), idempotency_key, principal
    )
    if created:
        return out
    return JSONResponse(Interaction.model_validate(out).model_dump(mode="json"), status_code=200)
