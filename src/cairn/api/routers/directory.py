"""Directory sync from WeCom / DingTalk (administrators): run one now, and the reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.directory import DirectorySyncRun, DirectorySyncRuns

router = APIRouter(prefix="/api/v1", tags=["directory"])


class SyncRequest(BaseModel):
    #: The key of a ``wecom_app`` or ``dingtalk_app`` channel config.
    channel: str = Field(..., min_length=1, max_length=100)


@router.post("/directory/sync", response_model=DirectorySyncRun)
def sync_directory(
    body: SyncRequest, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Read departments and people from the platform now and merge them into Cairn's (nothing
    is deleted: what is gone there is listed in ``report.missing``); the run and its report."""
    return services.directory_sync.sync(principal, body.model_dump())


@router.get("/directory/sync-runs", response_model=DirectorySyncRuns)
def list_sync_runs(
    services: ServicesDep,
    principal: PrincipalDep,
    channel: str | None = Query(None, max_length=100),
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    """Directory syncs, newest first (of one channel config, or all)."""
    return services.directory_sync.runs(principal, channel, limit)
