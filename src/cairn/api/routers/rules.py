"""Rules of an app (the rule engine): CRUD, run log, dry run, forecast; the inbound webhook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from pydantic import Field as PydField
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, ServicesDep
from cairn.api.models.engines import (
    FormulaFunctions,
    InboundResult,
    Rule,
    RuleForecast,
    RuleList,
    RuleRuns,
    RuleTest,
    RuleValidation,
)
from cairn.api.problems import language
from cairn.api.schemas import Id
from cairn.core import Invalid, render
from cairn.formula import function_help

router = APIRouter(prefix="/api/v1/apps/{app}/rules", tags=["rules"])
hooks = APIRouter(prefix="/api/v1/hooks", tags=["hooks"])
formula = APIRouter(prefix="/api/v1/formula", tags=["formula"])


class TestRun(BaseModel):
    record_id: Id


class DraftRun(BaseModel):
    rule: dict[str, Any] = PydField(description="the rule as edited (a rule's body)")
    record_id: Id


class DraftForecast(BaseModel):
    rule: dict[str, Any] = PydField(description="the rule as edited (a rule's body)")
    days: int = PydField(30, ge=1, le=366)


@router.get("", response_model=RuleList)
def list_rules(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": services.rules.list(principal, app)}


@router.post("", status_code=201, response_model=Rule)
def create_rule(
    app: str, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A rule: ``key``, ``name``, ``table``, ``trigger``, ``condition`` (a formula, optional)
    and ``actions``."""
    return services.rules.create(principal, app, body)


@router.post("/validate", response_model=RuleValidation)
def validate_rule(
    app: str,
    body: dict[str, Any],
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Check a draft (a rule's body; ``key`` and ``name`` may be empty, ``id`` names the rule
    being edited) as saving would: every error with its dotted location, the condition's type,
    a schedule's next occurrences. Nothing is saved."""
    out = services.rules.validate(principal, app, body)
    lang = language(request)
    out["errors"] = [
        {"loc": loc, "code": m.key, "message": render(m, lang)}
        for loc, ms in out["errors"].items()
        for m in ms
    ]
    return out


@router.post("/dry-run", response_model=RuleTest)
def dry_run_draft(
    app: str, body: DraftRun, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A dry run of a draft on one record (as ``/{rule_id}/test``); a draft that would not
    save: 422 with each error under ``rule.<location>``."""
    return services.rules.dry_run_draft(principal, app, body.rule, body.record_id)


@router.post("/forecast", response_model=RuleForecast)
def forecast_draft(
    app: str, body: DraftForecast, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A draft's firings in the next ``days``, as if saved and enabled now (``id`` in the
    draft: the rule being edited keeps its enable point and what it fired)."""
    return services.rules.forecast_draft(principal, app, body.rule, body.days)


@router.get("/{rule_id}", response_model=Rule)
def get_rule(
    app: str, rule_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.rules.get(principal, app, rule_id)


@router.put("/{rule_id}", response_model=Rule)
def update_rule(
    app: str, rule_id: Id, body: dict[str, Any], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Replace the rule; ``version`` must be the one the change was based on."""
    return services.rules.update(principal, app, rule_id, body)


@router.delete("/{rule_id}", status_code=204)
def delete_rule(app: str, rule_id: Id, services: ServicesDep, principal: PrincipalDep) -> Response:
    services.rules.delete(principal, app, rule_id)
    return Response(status_code=204)


@router.get("/{rule_id}/runs", response_model=RuleRuns)
def rule_runs(
    app: str,
    rule_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(50, ge=1, le=500),
    before: Id | None = Query(None, description="runs older than this run id (next page)"),
) -> dict[str, Any]:
    """The run log, newest first: trigger, condition result, each action's result, duration
    and error; and the runs waiting (with when they go on)."""
    return services.rules.runs(principal, app, rule_id, limit, before)


@router.post("/{rule_id}/test", response_model=RuleTest)
def test_rule(
    app: str, rule_id: Id, body: TestRun, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A dry run on one record: the condition's result and what each action would do."""
    return services.rules.test(principal, app, rule_id, body.record_id)


@router.get("/{rule_id}/forecast", response_model=RuleForecast)
def forecast(
    app: str,
    rule_id: Id,
    services: ServicesDep,
    principal: PrincipalDep,
    days: int = Query(30, ge=1, le=366),
) -> dict[str, Any]:
    """The firings of a date, schedule or inactivity rule due in the next ``days``."""
    return services.rules.forecast(principal, app, rule_id, days)


@hooks.post("/rules/{rule_id}/{secret}", response_model=InboundResult)
async def inbound(rule_id: Id, secret: str, request: Request) -> dict[str, Any]:
    """An inbound webhook (no sign-in: the secret in the address is the credential)."""
    services = request.app.state.services
    try:
        body = await request.json()
    except ValueError:
        raise Invalid("invalid.json") from None
    return await run_in_threadpool(services.rules.inbound, rule_id, secret, body)


@formula.get("/functions", response_model=FormulaFunctions)
def formula_functions() -> dict[str, Any]:
    """The formula functions, for the formula editor's help: name, 简道云 name, category,
    signature, result type and what it does (English)."""
    return {"items": function_help()}
