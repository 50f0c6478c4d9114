"""One-ID (issue 21): a table's match rules, its duplicate suggestions (the review queue)
with decisions one by one and in bulk, "find duplicates" runs over the whole table, and
matching a set of values against the table. Merging is in the merge routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.one_id import (
    BulkDecision,
    BulkDecisionBody,
    DecisionBody,
    Duplicate,
    DuplicateJob,
    DuplicateJobList,
    DuplicateList,
    DuplicateStatus,
    IdentityRule,
    IdentityRuleBody,
    IdentityRuleList,
    IdentityRulePatch,
    MatchBody,
    MatchReply,
)
from cairn.api.schemas import Id

router = APIRouter(prefix="/api/v1/apps/{app}/tables/{table}", tags=["identity"])


@router.get("/identity-rules", response_model=IdentityRuleList)
def list_identity_rules(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's match rules, in their order (readers of the table)."""
    return {"items": services.identity_rules.list(app, table, principal)}


@router.post(
    "/identity-rules",
    status_code=201,
    dependencies=[SchemaManager],
    response_model=IdentityRule,
)
def create_identity_rule(
    app: str, table: str, body: IdentityRuleBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Add a match rule (those who may change the table's fields); the table's records are
    filed under it (inline, or by a queued find-duplicates run for a large table)."""
    return services.identity_rules.create(app, table, body.model_dump(), principal)


@router.patch(
    "/identity-rules/{identity_rule_id}", dependencies=[SchemaManager], response_model=IdentityRule
)
def update_identity_rule(
    app: str,
    table: str,
    identity_rule_id: Id,
    body: IdentityRulePatch,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    spec = body.model_dump(exclude_unset=True)
    return services.identity_rules.update(app, table, identity_rule_id, spec, principal)


@router.delete("/identity-rules/{identity_rule_id}", status_code=204, dependencies=[SchemaManager])
def delete_identity_rule(
    app: str, table: str, identity_rule_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.identity_rules.delete(app, table, identity_rule_id, principal)
    return Response(status_code=204)


@router.get("/duplicates", response_model=DuplicateList)
def list_duplicates(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    status: DuplicateStatus = "open",
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Pairs of records a rule found alike, best score first, with the evidence side by side
    (only pairs whose both records the caller may read)."""
    return services.identity.duplicates(app, table, status, limit, offset, principal)


@router.post("/duplicates/decisions", response_model=BulkDecision)
def decide_duplicates(
    app: str, table: str, body: BulkDecisionBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Decide many pairs at once (those the caller may update; merged pairs are left)."""
    return services.identity.decide_many(app, table, body.ids, body.decision, principal)


@router.post("/duplicates/{suggestion_id}/decision", response_model=Duplicate)
def decide_duplicate(
    app: str,
    table: str,
    suggestion_id: Id,
    body: DecisionBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Not the same (remembered: never suggested again), later, or open again."""
    return services.identity.decide(app, table, suggestion_id, body.decision, principal)


@router.post("/duplicate-jobs", status_code=202, response_model=DuplicateJob)
def start_duplicate_job(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Queue a find-duplicates run over the whole table (or get the one waiting or running)."""
    return services.identity_jobs.start(app, table, principal)


@router.get("/duplicate-jobs", response_model=DuplicateJobList)
def list_duplicate_jobs(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's latest find-duplicates runs, newest first."""
    return {"items": services.identity_jobs.list(app, table, principal)}


@router.get("/duplicate-jobs/{identity_job_id}", response_model=DuplicateJob)
def get_duplicate_job(
    app: str, table: str, identity_job_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A run and its progress (records done of total, pairs found)."""
    return services.identity_jobs.get(app, table, identity_job_id, principal)


@router.post("/duplicate-jobs/{identity_job_id}/cancel", response_model=DuplicateJob)
def cancel_duplicate_job(
    app: str, table: str, identity_job_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.identity_jobs.cancel(app, table, identity_job_id, principal)


@router.post("/identity/match", response_model=MatchReply)
def match_identity(
    app: str, table: str, body: MatchBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The records these values would match under the table's rules, best first; writes
    nothing."""
    return services.identity.match(app, table, body.values, principal)
