"""The audit log: read and filter (administrators only). There is no way to change it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.activity import AuditPage, AuditVerification
from cairn.api.schemas import Id
from cairn.auth import require_admin

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
def search_audit(
    services: ServicesDep,
    principal: PrincipalDep,
    actor: Id | None = None,
    action: str | None = Query(None, description="An action, or a prefix ending in *"),
    target_type: str | None = None,
    target_id: str | None = None,
    app: str | None = None,
    table: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=1000),
) -> dict[str, Any]:
    return services.audit.search(
        principal,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        app=app,
        table=table,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )


@router.get("/verify", response_model=AuditVerification)
def verify_audit(services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    require_admin(principal)
    v = services.audit.verify()
    return {"ok": v.ok, "checked": v.checked, "broken_id": v.broken_id, "reason": v.reason}
