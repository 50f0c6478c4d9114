"""Tags (issue 22): an app's vocabulary (read by every member; changed by the app's managers)
and the tags on records (read with the record; changed by whoever may update it), one record
at a time or many at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.tags import (
    RecordTagBody,
    RecordTags,
    RecordTagsBody,
    Tag,
    TagApplied,
    TagApplyBody,
    TagBody,
    TagDeleted,
    TagList,
    TagPatch,
)
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}", tags=["tags"])


@router.get("/tags", response_model=TagList)
def list_tags(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """The app's tags by group and position, each with how many records carry it."""
    return {"items": services.tags.list(app, principal)}


@router.post("/tags", status_code=201, dependencies=[SchemaManager], response_model=Tag)
def create_tag(
    app: str, body: TagBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Add a tag to the vocabulary (the app's managers)."""
    return services.tags.create(app, body.model_dump(exclude_unset=True), principal)


@router.patch("/tags/{tag_id}", dependencies=[SchemaManager], response_model=Tag)
def update_tag(
    app: str, tag_id: Id, body: TagPatch, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.tags.update(app, tag_id, body.model_dump(exclude_unset=True), principal)


@router.delete("/tags/{tag_id}", dependencies=[SchemaManager], response_model=TagDeleted)
def delete_tag(
    app: str, tag_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Delete a tag and take it off every record; how many records carried it."""
    return services.tags.delete(app, tag_id, principal)


@router.get("/tables/{table}/records/{record_id}/tags", response_model=RecordTags)
def record_tags(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The record's tags (readers of the record), and whether the caller may change them."""
    return services.tags.of_record(app, table, record_id, principal)


@router.put("/tables/{table}/records/{record_id}/tags", response_model=RecordTags)
def set_record_tags(
    app: str,
    table: str,
    record_id: Id,
    body: RecordTagsBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Replace the record's tags (those who may update the record)."""
    return services.tags.set_record(app, table, record_id, body.tags, principal)


@router.post("/tables/{table}/records/{record_id}/tags", response_model=RecordTags)
def add_record_tag(
    app: str,
    table: str,
    record_id: Id,
    body: RecordTagBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Add one tag to the record (nothing changes when it has it already)."""
    return services.tags.add_record(app, table, record_id, body.tag_id, principal)


@router.delete("/tables/{table}/records/{record_id}/tags/{tag_id}", response_model=RecordTags)
def remove_record_tag(
    app: str,
    table: str,
    record_id: Id,
    tag_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Take one tag off the record."""
    return services.tags.change_record(app, table, record_id, [], [tag_id], principal)


@router.post("/tables/{table}/tags/apply", response_model=TagApplied)
def apply_tags(
    app: str, table: str, body: TagApplyBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Add and remove tags on many records at once (each one the caller may update)."""
    return services.tags.apply(app, table, body.ids, body.add, body.remove, principal)
