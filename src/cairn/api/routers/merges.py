"""One-ID merges of a table's records: preview, merge, the merges of a record, unmerge.

Who: preview, merge and unmerge need the update permission on both records (row scope too);
listing and reading merges, the read permission on the table."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.merges import MergeCreate, MergeList, MergePair, MergePreview, MergePublic
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}/merges", tags=["merges"])


@router.post("/preview", response_model=MergePreview)
def preview_merge(
    app: str, table: str, body: MergePair, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Per field both values, the proposed one and where it comes from; what would move."""
    return services.merges.preview(app, table, body.survivor_id, body.loser_id, principal)


@router.post("", status_code=201, response_model=MergePublic)
def create_merge(
    app: str, table: str, body: MergeCreate, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Merge ``loser_id`` into ``survivor_id``: 409 if either was merged or changed since."""
    return services.merges.merge(
        app,
        table,
        body.survivor_id,
        body.loser_id,
        principal,
        choices=body.choices,
        suggestion_id=body.suggestion_id,
        survivor_version=body.survivor_version,
        loser_version=body.loser_version,
        loser_table=body.loser_table,
    )


@router.get("", response_model=MergeList)
def list_merges(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    record_id: Id | None = Query(None, description="Only the merges this record took part in"),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    return services.merges.list(app, table, record_id, principal, limit)


@router.get("/{merge_id}", response_model=MergePublic)
def get_merge(
    app: str, table: str, merge_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.merges.get(app, table, merge_id, principal)


@router.post("/{merge_id}/unmerge", response_model=MergePublic)
def unmerge(
    app: str, table: str, merge_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Undo a merge: the loser comes back with its own values and related records."""
    return services.merges.unmerge(app, table, merge_id, principal)
