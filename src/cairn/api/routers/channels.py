"""Notification channel configs (administrators): secrets are never returned in clear."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.channels import Channel, ChannelList, ChannelTest

router = APIRouter(prefix="/api/v1", tags=["channels"])


@router.get("/channels", response_model=ChannelList)
def list_channels(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Stored configs, and per kind of channel its settings schema and secret settings."""
    return services.channel_configs.list(principal)


@router.post("/channels", status_code=201, response_model=Channel)
def create_channel(
    services: ServicesDep, principal: PrincipalDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """``{"key": "wecom:service-group", "kind": "wecom", "name": ..., "settings": {...}}``."""
    return services.channel_configs.create(principal, body)


@router.get("/channels/{key}", response_model=Channel)
def get_channel(key: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return services.channel_configs.get(principal, key)


@router.patch("/channels/{key}", response_model=Channel)
def update_channel(
    key: str, services: ServicesDep, principal: PrincipalDep, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Change name, enabled or settings; a secret left out or sent back masked is kept."""
    return services.channel_configs.update(principal, key, body)


@router.delete("/channels/{key}", status_code=204)
def delete_channel(key: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.channel_configs.delete(principal, key)
    return Response(status_code=204)


@router.post("/channels/{key}/test", response_model=ChannelTest)
def test_channel(
    key: str,
    services: ServicesDep,
    principal: PrincipalDep,
    body: dict[str, Any] | None = Body(None),
) -> dict[str, Any]:
    """Send a test message (to ``recipients``; default: the caller)."""
    return services.channel_configs.test(principal, key, body or {})
