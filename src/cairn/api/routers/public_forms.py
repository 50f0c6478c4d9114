"""Published forms for anybody (no sign-in, no session, no CSRF cookie): a form's page data
and a submission. Nothing else of the app is reachable from here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from cairn.api.deps import ServicesDep, client_address
from cairn.api.models.public_forms import PublicForm, PublicSubmitted
from cairn.core import TooLarge
from cairn.meta.public_forms import MAX_MAX_BYTES

router = APIRouter(prefix="/api/v1/public/forms", tags=["public"])

#: Never kept by a browser or a proxy: each reply carries a fresh challenge.
NO_STORE = {"cache-control": "no-store"}

SUBMISSION = {
    "type": "object",
    "required": ["values", "challenge", "proof"],
    "additionalProperties": False,
    "properties": {
        "values": {"type": "object", "description": "Values by field key (offered fields)"},
        "challenge": {"type": "string", "description": "The challenge's token, as received"},
        "proof": {"type": "string", "description": "The nonce solving it (decimal digits)"},
        "prefill": {
            "type": ["string", "null"],
            "description": "The signed values of the link the page was opened with",
        },
    },
}


@router.get("/{token}", response_model=PublicForm)
async def get_public_form(
    token: str,
    services: ServicesDep,
    prefill: str | None = Query(None, description="The signed values a link carries"),
    lang: str | None = Query(None, description="zh-CN or en (else Accept-Language)"),
) -> JSONResponse:
    """A published form as its public page shows it, with a fresh proof-of-work challenge.
    A link's values whose signature does not match, or that expired, are refused (422)."""
    _ = lang  # problems are rendered in it (api.problems.language)
    out = await run_in_threadpool(services.public_forms.read, token, prefill)
    return JSONResponse(out, headers=NO_STORE)


@router.post(
    "/{token}",
    status_code=201,
    response_model=PublicSubmitted,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": SUBMISSION}}}
    },
)
async def submit_public_form(
    token: str,
    request: Request,
    services: ServicesDep,
    lang: str | None = Query(None, description="zh-CN or en (else Accept-Language)"),
) -> JSONResponse:
    """A visitor's submission: refused, creating nothing, when it is too large (413), too
    frequent from one address (429), lacks a solved challenge (422), comes too soon after
    the page opened (422) or reuses a challenge (409); else a record of the publication's
    owner, made through the form with its linkage rules."""
    _ = lang
    body = await _read_capped(request, MAX_MAX_BYTES)
    out: dict[str, Any] = await run_in_threadpool(
        services.public_forms.submit, token, body, client_address(request)
    )
    return JSONResponse(out, status_code=201, headers=NO_STORE)


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is longer than ``limit`` (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge("public_form.too_large", size=int(declared), max=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge("public_form.too_large", size=size, max=limit)
        chunks.append(chunk)
    return b"".join(chunks)
