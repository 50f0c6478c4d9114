"""Notification channel configs (administrators): secrets are never returned in clear."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.get("")
def list_channels(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Stored configs, and per kind of channel its settings schema and secret settings."""
    return services.channel_configs.list(principal)


@router.post("", status_code=201)
def create_channel(
    services: ServicesDep, principal: PrincipalDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """``{"key": "wecom:service-group", "kind": "wecom", "name": ..., "settings": {...}}``."""
    return services.channel_configs.create(principal, body)


@router.get("/{key}")
def get_channel(key: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.channel_configs.get(principal, key)


@router.patch("/{key}")
def update_channel(
    key: str, services: ServicesDep, principal: PrincipalDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Change name, enabled or settings; a secret left out or sent back masked is kept."""
    return services.channel_configs.update(principal, key, body)


@router.delete("/{key}", status_code=204)
def delete_channel(key: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.channel_configs.delete(principal, key)
    return Response(status_code=204)


@router.post("/{key}/test")
def test_channel(
    key: str,
    services: ServicesDep,
    principal: PrincipalDep,
    body: dict[str, Any] | None = Body(None),
) -> dict[str, Any]:
    """Send a test message (to ``recipients``; default: the caller)."""
    return services.channel_configs.test(principal, key, body or {})
