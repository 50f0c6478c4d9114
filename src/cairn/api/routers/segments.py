"""Segments (issue 22): dynamic segments (a saved condition re-evaluated on record events and
on a schedule) and static ones (a list kept by hand), their members, membership history and
counts over time, and the segments one record is in. App managers change them; members who
read the table read them (and only the member records they may read)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.segments import (
    RecordSegments,
    Segment,
    SegmentBody,
    SegmentCounts,
    SegmentFreezeBody,
    SegmentHistory,
    SegmentList,
    SegmentMembers,
    SegmentMembersBody,
    SegmentPatch,
    SegmentPreview,
    SegmentPreviewBody,
)
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}", tags=["segments"])


@router.get("/segments", response_model=SegmentList)
def list_segments(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The app's segments on the tables the caller reads, with their member counts."""
    return {"items": services.segments.list(app, principal)}


@router.post("/segments", status_code=201, dependencies=[SchemaManager], response_model=Segment)
def create_segment(
    app: str, body: SegmentBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A new segment (app managers); a dynamic one is evaluated at once (its first members
    are in the history, with no enter events)."""
    return services.segments.create(app, body.model_dump(), principal)


@router.post("/segments/preview", response_model=SegmentPreview)
def preview_segment(
    app: str, body: SegmentPreviewBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """How many records (of those the caller reads) meet a draft condition."""
    return services.segments.preview(app, body.table, body.filter, principal)


@router.get("/segments/{segment_id}", response_model=Segment)
def get_segment(
    app: str, segment_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.segments.get(app, segment_id, principal)


@router.patch("/segments/{segment_id}", dependencies=[SchemaManager], response_model=Segment)
def update_segment(
    app: str, segment_id: Id, body: SegmentPatch, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Change a segment; a new condition is evaluated at once (entries and exits announced)."""
    return services.segments.update(app, segment_id, body.model_dump(exclude_unset=True), principal)


@router.delete("/segments/{segment_id}", status_code=204, dependencies=[SchemaManager])
def delete_segment(
    app: str, segment_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.segments.delete(app, segment_id, principal)
    return Response(status_code=204)


@router.post(
    "/segments/{segment_id}/evaluate", dependencies=[SchemaManager], response_model=Segment
)
def evaluate_segment(
    app: str, segment_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Evaluate a dynamic segment over its whole table now."""
    return services.segments.evaluate(app, segment_id, principal)


@router.post(
    "/segments/{segment_id}/freeze",
    status_code=201,
    dependencies=[SchemaManager],
    response_model=Segment,
)
def freeze_segment(
    app: str,
    segment_id: Id,
    body: SegmentFreezeBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """A static segment holding the dynamic segment's members now (for a campaign)."""
    return services.segments.freeze(app, segment_id, body.name, principal)


@router.get("/segments/{segment_id}/members", response_model=SegmentMembers)
def list_segment_members(
    app: str,
    segment_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """The members the caller may read, newest entry first."""
    return services.segments.members(app, segment_id, limit, offset, principal)


@router.post("/segments/{segment_id}/members", dependencies=[SchemaManager], response_model=Segment)
def add_segment_members(
    app: str,
    segment_id: Id,
    body: SegmentMembersBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Add records to a static segment."""
    return services.segments.change_members(app, segment_id, body.ids, True, principal)


@router.delete(
    "/segments/{segment_id}/members", dependencies=[SchemaManager], response_model=Segment
)
def remove_segment_members(
    app: str,
    segment_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    ids: list[int] = Query(..., description="The record ids to remove"),
) -> dict[str, Any]:
    """Remove records from a static segment."""
    return services.segments.change_members(app, segment_id, ids, False, principal)


@router.get("/segments/{segment_id}/history", response_model=SegmentHistory)
def segment_history(
    app: str,
    segment_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Who entered and left, newest first (titles only of records the caller reads)."""
    return services.segments.history(app, segment_id, limit, offset, principal)


@router.get("/segments/{segment_id}/counts", response_model=SegmentCounts)
def segment_counts(
    app: str, segment_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """One row per day: members, entries, exits."""
    return services.segments.counts(app, segment_id, principal)


@router.get("/tables/{table}/records/{record_id}/segments", response_model=RecordSegments)
def record_segments(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The segments the record is in, with when it entered each."""
    return services.segments.of_record(app, table, record_id, principal)
