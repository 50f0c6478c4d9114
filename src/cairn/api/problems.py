"""CairnError (and request-parsing errors) → RFC 9457 problem+json, in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from cairn.api.schemas import Problem
from cairn.core import CairnError, Invalid, Message, pick_language, render

log = logging.getLogger("cairn.api")

PROBLEM = "application/problem+json"
TITLES = {
    400: ("Bad request", "请求有误"),
    401: ("Not signed in", "未登录"),
    403: ("Forbidden", "无权操作"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不允许的方法"),
    409: ("Conflict", "冲突"),
    413: ("Too large", "内容过大"),
    429: ("Too many requests", "请求过于频繁"),
    422: ("Invalid input", "输入无效"),
    500: ("Server error", "服务器错误"),
    502: ("An outside service failed", "外部服务出错"),
}

#: Every operation's error replies, as the OpenAPI document states them (FastAPI would
#: otherwise document only its own 422 body, which the API never sends).
RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem (RFC 9457): bad input, not signed in, forbidden, not found, "
        "conflict…",
        "content": {PROBLEM: {"schema": Problem.model_json_schema()}},
    }
}


#: Pydantic's error types → the API's own messages (so they come in the caller's language);
#: each with the error's context value its message names. Types not listed keep Pydantic's
#: English text.
_VALIDATION: dict[str, tuple[str, str | None, str | None]] = {
    "missing": ("field.required", None, None),
    "int_parsing": ("value.integer", None, None),
    "int_type": ("value.integer", None, None),
    "int_from_float": ("value.integer", None, None),
    "float_parsing": ("value.number", None, None),
    "float_type": ("value.number", None, None),
    "decimal_parsing": ("value.number", None, None),
    "decimal_type": ("value.number", None, None),
    "finite_number": ("value.number", None, None),
    "bool_parsing": ("value.boolean", None, None),
    "bool_type": ("value.boolean", None, None),
    "string_type": ("value.text", None, None),
    "string_too_long": ("value.too_long", "max", "max_length"),
    "string_too_short": ("value.too_short", "min", "min_length"),
    "string_pattern_mismatch": ("value.pattern", None, None),
    "greater_than_equal": ("value.min", "min", "ge"),
    "greater_than": ("invalid.greater", "min", "gt"),
    "less_than_equal": ("value.max", "max", "le"),
    "less_than": ("invalid.less", "max", "lt"),
    "too_long": ("invalid.too_many", "max", "max_length"),
    "too_short": ("invalid.too_few", "min", "min_length"),
    "list_type": ("invalid.list", None, None),
    "dict_type": ("invalid.object", None, None),
    "model_type": ("invalid.object", None, None),
    "model_attributes_type": ("invalid.object", None, None),
    "date_parsing": ("value.date", None, None),
    "date_type": ("value.date", None, None),
    "date_from_datetime_parsing": ("value.date", None, None),
    "datetime_parsing": ("value.datetime", None, None),
    "datetime_type": ("value.datetime", None, None),
    "datetime_from_date_parsing": ("value.datetime", None, None),
}


def validation_message(err: Any) -> Message:
    """One Pydantic validation error as the API's message, in the caller's language where the
    error type is known: a bad value, a missing field, a bound, an unexpected property, an
    option outside a fixed set."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        loc = err.get("loc") or ("",)
        return Message("invalid.extra", {"key": str(loc[-1])})
    if kind in ("literal_error", "enum"):
        value = err.get("input")
        return Message("value.choice", {"value": value if isinstance(value, str | int) else ""})
    known = _VALIDATION.get(kind)
    if known is None:
        return Message("invalid.body", {"detail": err.get("msg", "invalid")})
    key, param, source = known
    params = {param: ctx[source]} if param and source and source in ctx else {}
    if param and not params:
        return Message("invalid.body", {"detail": err.get("msg", "invalid")})
    return Message(key, params)


def language(request: Request) -> str:
    """``?lang=`` (zh-CN or en) when given, else Accept-Language."""
    return pick_language(request.query_params.get("lang") or request.headers.get("accept-language"))


def problem(
    request: Request,
    status: int,
    code: str,
    message: Message,
    field_errors: dict[str, list[Message]] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    lang = language(request)
    en, zh = TITLES.get(status, ("Error", "错误"))
    body: dict[str, Any] = {
        "type": f"https://cairn.dev/problems/{code}",
        "title": zh if lang == "zh-CN" else en,
        "status": status,
        "detail": render(message, lang),
        "code": message.key,
        "instance": request.url.path,
    }
    if field_errors:
        body["errors"] = [
            {"field": loc, "code": m.key, "message": render(m, lang)}
            for loc, ms in field_errors.items()
            for m in ms
        ]
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(CairnError)
    async def _cairn(request: Request, exc: CairnError) -> JSONResponse:
        field_errors = exc.field_errors if isinstance(exc, Invalid) else None
        response = problem(
            request, exc.status, exc.code, exc.message, field_errors, getattr(exc, "extra", None)
        )
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if exc.errors() and all(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            # The address names nothing that can exist (an id out of its declared range, or
            # not a number): not found, like an id in range that names no row.
            return problem(request, 404, "not_found", Message("not_found"))
        errors: dict[str, list[Message]] = {}
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
            if err.get("type") == "json_invalid":
                return problem(request, 400, "invalid_json", Message("invalid.json"))
            errors.setdefault(".".join(loc) or "body", []).append(validation_message(err))
        return problem(request, 422, "invalid", Message("invalid.input"), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid.body")
        return problem(request, exc.status_code, key, Message(key, {"detail": exc.detail}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "server_error", Message("server.error"))
