"""Deliveries (administrators): what was sent through outside channels, replays, the counts
the admin menu shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Query

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.deliveries import (
    DeliveryDetail,
    DeliveryPage,
    DeliveryReplayAll,
    DeliverySummary,
)

router = APIRouter(prefix="/api/v1", tags=["deliveries"])


@router.get("/deliveries", response_model=DeliveryPage)
def list_deliveries(
    services: ServicesDep,
    principal: PrincipalDep,
    status: str | None = Query(
        None, description="pending, sent, retrying or dead; several comma separated"
    ),
    channel: str | None = Query(None, description="A channel key (e.g. wecom:service-group)"),
    rule_id: int | None = None,
    q: str | None = Query(None, description="Text in the recipient, subject or error"),
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Messages and webhooks sent through outside channels, newest first."""
    return services.deliveries.list(
        principal,
        status=status,
        channel=channel,
        rule_id=rule_id,
        q=q,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )


@router.get("/deliveries/summary", response_model=DeliverySummary)
def delivery_summary(services: ServicesDep, principal: PrincipalDep) -> dict[str, int]:
    """How many deliveries are dead and how many wait for a retry."""
    return services.deliveries.summary(principal)


@router.post("/deliveries/replay", response_model=DeliveryReplayAll)
def replay_deliveries(
    services: ServicesDep, principal: PrincipalDep, body: dict[str, Any] = Body(...)
) -> dict[str, int]:
    """``{"channel": key}`` and/or ``{"rule_id": id}``: every retrying or dead delivery of
    it is tried once more now."""
    return services.deliveries.replay_all(principal, body)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(
    delivery_id: int, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """One delivery, what it sends and each attempt."""
    return services.deliveries.get(principal, delivery_id)


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryDetail)
def replay_delivery(
    delivery_id: int, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """One more attempt now (any status) with the same idempotency key; the delivery after."""
    return services.deliveries.replay(principal, delivery_id)
