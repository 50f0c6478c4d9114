"""Typed dependency aliases for the routers, and authentication of every request.

Every route requires a signed-in principal, except the ones in ``PUBLIC``: a bearer API token
(``Authorization: Bearer cairn_…``) or the session cookie. A state-changing request made with
the cookie must carry ``X-CSRF-Token`` equal to the session's token (double submit, compared
in constant time); a read-only token may only read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from cairn.auth import Principal
from cairn.auth.secrets import same
from cairn.core import Forbidden, Unauthenticated
from cairn.services import Services

SESSION_COOKIE = "cairn_session"
CSRF_COOKIE = "cairn_csrf"
CSRF_HEADER = "x-csrf-token"
PUBLIC = frozenset({"/api/v1/health", "/api/v1/version", "/api/v1/auth/login"})
#: Inbound webhooks carry their own secret in the address instead of a sign-in; published
#: forms are for anybody (their token in the address; nothing else is reachable from them).
PUBLIC_PREFIXES = ("/api/v1/hooks/", "/api/v1/public/")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# The dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in
# the thread pool, and each hop between the event loop and a worker thread costs a GIL
# hand-over (milliseconds under load) for nothing.
async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _reads_only(request: Request) -> bool:
    """POST routes that only read (a query in the body): allowed to read-only tokens."""
    return request.method == "POST" and request.url.path.endswith(
        ("/query", "/export", "/preview", "/drill")
    )


async def authenticate(request: Request) -> None:
    """Runs before every route: sets ``request.state.principal`` or refuses (401/403).

    A bearer token checked moments ago is answered from the token cache on the event loop;
    everything that needs the database runs in the thread pool."""
    request.state.principal = None
    if request.url.path in PUBLIC or request.url.path.startswith(PUBLIC_PREFIXES):
        return
    services: Services = request.app.state.services
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        found = services.auth.cached_token(credentials.strip(), client_address(request))
        if found is not None:
            _accept_token(request, found.principal)
            return
    await run_in_threadpool(_authenticate, request)


def _accept_token(request: Request, principal: Principal) -> None:
    if principal.read_only and request.method in UNSAFE and not _reads_only(request):
        raise Forbidden("auth.read_only_token")
    request.state.principal = principal


def _authenticate(request: Request) -> None:
    services: Services = request.app.state.services
    address = client_address(request)
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        found = services.auth.by_token(credentials.strip(), address)
        if found is None:
            raise Unauthenticated("auth.required")
        _accept_token(request, found.principal)
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    found = services.auth.by_session(cookie, address) if cookie else None
    if found is None:
        raise Unauthenticated("auth.required")
    if request.method in UNSAFE and not same(request.headers.get(CSRF_HEADER), found.csrf_token):
        raise Forbidden("auth.csrf")
    request.state.principal = found.principal
    request.state.csrf_token = found.csrf_token


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated("auth.required")
    return principal


async def get_principal(request: Request) -> Principal:
    return principal_of(request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_schema_manager(request: Request) -> None:
    """Changing an app's definition (and exporting it): administrators, the app's managers,
    and for one table's fields the members allowed to manage that table."""
    principal = principal_of(request)
    if request.method not in UNSAFE and not request.url.path.endswith("/export"):
        return
    if principal.is_admin and not principal.read_only:
        return
    services: Services = request.app.state.services
    app_key = request.path_params.get("app")
    table_key = request.path_params.get("table")
    if app_key and services.directory.can_manage(principal, app_key, table_key):
        return
    raise Forbidden("auth.admin_only" if not app_key else "auth.forbidden")


SchemaManager = Depends(require_schema_manager)
