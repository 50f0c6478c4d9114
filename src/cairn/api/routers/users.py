"""Users, their passwords and API tokens (administrators; a member manages their own tokens)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.identity import (
    ApiTokenList,
    GeneratedPassword,
    NewApiToken,
    UserFull,
    UserList,
    UserManager,
)
from cairn.api.schemas import Id, PasswordChange, TokenCreate
from cairn.core import Invalid

router = APIRouter(prefix="/api/v1", tags=["users"])

#: Users one ``GET /users?ids=`` asks for at most.
MAX_IDS = 200


@router.get("/users", response_model=UserList)
def list_users(
    services: ServicesDep,
    principal: PrincipalDep,
    search: str | None = Query(default=None, max_length=100),
    limit: int | None = Query(default=None, ge=1, le=100),
    active: bool = False,
    ids: str | None = Query(
        default=None,
        max_length=4000,
        pattern=r"^\d{1,18}(,\d{1,18})*$",
        description="Only these users: up to 200 ids, comma-separated (the names a page shows)",
    ),
    app: str | None = Query(default=None, max_length=100, description="With table and record"),
    table: str | None = Query(default=None, max_length=100, description="With app and record"),
    record: int | None = Query(
        default=None, ge=1, le=2**63 - 1, description="Only users who may read this record"
    ),
) -> dict[str, Any]:
    """Users; ``search`` matches user and display names, ``limit`` returns the first few,
    ``active=true`` leaves disabled users out (members only ever see active users), ``ids``
    just these. ``app``, ``table`` and ``record`` together: only the active users who may read
    that record (what the @-mention list of its comments offers); the caller must read it too."""
    wanted = [int(i) for i in ids.split(",")] if ids is not None else None
    if wanted is not None and len(wanted) > MAX_IDS:
        raise Invalid.on("ids", "list.too_long", max=MAX_IDS)
    given = {"app": app, "table": table, "record": record}
    readable = None
    if any(v is not None for v in given.values()):
        missing = [k for k, v in given.items() if v is None]
        if missing:
            raise Invalid.on(missing[0], "field.required")
        readable = (str(app), str(table), int(record))  # type: ignore[arg-type]
    return services.directory.list_users(principal, search, limit, active, wanted, readable)


@router.post("/users", status_code=201, response_model=UserFull)
def create_user(
    body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.directory.create_user(principal, body)


@router.get("/users/{user}", response_model=UserFull)
def get_user(user: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.directory.get_user(principal, user)


@router.patch("/users/{user}", response_model=UserFull)
def update_user(
    user: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.directory.update_user(principal, user, body)


@router.post("/users/{user}/password", response_model=GeneratedPassword)
def set_password(
    user: str, body: PasswordChange, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Set a password, or generate one (returned once) when none is sent."""
    pw = services.directory.set_password(principal, user, body.password)
    return {"password": pw} if body.password is None else {}


@router.get("/users/{user}/manager", response_model=UserManager)
def user_manager(user: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"manager_id": services.directory.manager_of(user)}


@router.get("/tokens", response_model=ApiTokenList)
def list_tokens(
    services: ServicesDep, principal: PrincipalDep, user: str | None = None
) -> dict[str, Any]:
    items = services.auth.list_tokens(principal, user)
    return {"items": items, "next_cursor": None, "total": len(items)}


@router.post("/tokens", status_code=201, response_model=NewApiToken)
def create_token(
    body: TokenCreate, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A new API token: the reply holds it in ``token``, the only time it is shown."""
    public, token = services.auth.create_token(
        principal,
        body.user if body.user is not None else principal.user_id,  # type: ignore[arg-type]
        body.name,
        body.days,
        body.read_only,
    )
    return {**public, "token": token}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Id, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.auth.revoke_token(principal, token_id)
    return Response(status_code=204)
