"""Sign-in for the web UI: login, logout, me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from cairn.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    PrincipalDep,
    ServicesDep,
    client_address,
)
from cairn.api.models.identity import Me, SignedIn
from cairn.api.schemas import LoginBody
from cairn.services.capabilities import global_permissions

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _set_cookies(response: Response, services: Any, cookie: str, csrf: str) -> None:
    max_age = int(services.settings.session_hours * 3600)
    secure = services.settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        path="/",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", path="/", secure=secure
    )


@router.post("/login", response_model=SignedIn)
def login(body: LoginBody, request: Request, services: ServicesDep) -> JSONResponse:
    """Check the user name and password; sets the session cookie (HttpOnly) and the CSRF
    cookie, and returns the user and the CSRF token to send as ``X-CSRF-Token``."""
    signed = services.auth.login(
        body.username,
        body.password,
        address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = JSONResponse({"user": signed.user, "csrf_token": signed.csrf_token})
    _set_cookies(response, services, signed.cookie, signed.csrf_token)
    return response


@router.get("/me", response_model=Me)
def me(request: Request, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The signed-in user, the CSRF token, and ``permissions``: ``admin`` and
    ``create_apps`` (what each app and table allows comes with the app and table listings)."""
    csrf = getattr(request.state, "csrf_token", None)
    return {
        "user": services.auth.me(principal),
        "csrf_token": csrf,
        "permissions": global_permissions(principal),
    }


@router.post("/logout", status_code=204)
def logout(services: ServicesDep, principal: PrincipalDep, everywhere: bool = False) -> Response:
    """End this session (``everywhere=true``: every session of the user)."""
    services.auth.logout(principal, everywhere=everywhere)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
