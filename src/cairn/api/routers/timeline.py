"""The customer timeline of a record: whoever may read the record reads its timeline, each
entry as they may see it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.timeline import TimelinePage
from cairn.api.schemas import Id

router = APIRouter(
    prefix="/api/v1/apps/{app}/tables/{table}/records/{record_id}/timeline", tags=["timeline"]
)


@router.get("", response_model=TimelinePage)
def get_timeline(
    app: str,
    table: str,
    record_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query()] = 50,
    before: Annotated[str | None, Query(max_length=500)] = None,
    kinds: Annotated[list[str] | None, Query()] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Everything about the record in time order, newest first: the configured related
    records (up to three hops), comments, notable changes, process steps, messages sent and
    interactions. ``kinds``: only these; ``from``/``to``: a date or date-time range;
    ``before``: the ``next`` of the previous page."""
    return services.timeline.page(
        app,
        table,
        record_id,
        limit=limit,
        before=before,
        kinds=kinds,
        start=from_,
        end=to,
        principal=principal,
    )
