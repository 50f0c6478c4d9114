"""Forms of a table (表单): its default form (the table's layout) and its form variants, each a
layout with linkage rules; and the values a new record starts with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.schema import Form, FormList, RecordDefaults

router = APIRouter(
    prefix="/api/v1/apps/{app}/tables/{table}", tags=["forms"], dependencies=[SchemaManager]
)

LAYOUT = (
    "As a table's layout: sections (each with an optional ``key``) of rows of field keys, "
    "and ``rules``: [{name, when, actions}]"
)
LAYOUT_EXAMPLE = {
    "sections": [
        {"title": "基本信息", "rows": [["name", "status"]]},
        {"key": "s_reject", "title": "驳回", "rows": [["reason"]]},
    ],
    "rules": [
        {
            "name": "驳回须填原因",
            "when": '{status} = "已驳回"',
            "actions": [
                {"type": "show", "sections": ["s_reject"]},
                {"type": "require", "fields": ["reason"]},
            ],
        }
    ],
}


class FormCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(description="The variant's key (``default`` is the table's own form)")
    name: str | None = None
    layout: dict[str, Any] | None = Field(
        default=None, description=LAYOUT, examples=[LAYOUT_EXAMPLE]
    )
    roles: list[str] | None = Field(
        default=None, description="Keys of the roles whose members open it by default"
    )
    position: int | None = None


class FormUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    layout: dict[str, Any] | None = Field(default=None, description=LAYOUT)
    roles: list[str] | None = None
    position: int | None = None
    version: int | None = Field(default=None, description="As last read (409 when it moved on)")


@router.get("/forms", response_model=FormList)
def list_forms(
    app: str, table: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The table's forms for whoever reads it: its default form first, then its variants."""
    return services.forms.list(app, table, principal)


@router.get("/forms/{form}", response_model=Form)
def get_form(
    app: str, table: str, form: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A form (``default``: the table's own) with its layout, its rules, and its rules as
    the browser runs them (``linkage``, ``env``)."""
    return services.forms.get(app, table, form, principal)


@router.post("/forms", status_code=201, response_model=Form)
def create_form(
    app: str, table: str, body: FormCreate, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A form variant (for the table's managers): every rule's condition must type-check as
    TRUE/FALSE and use only what the browser evaluates (422 at ``layout.rules.<i>.when``)."""
    return services.forms.create(app, table, body.model_dump(exclude_none=True), principal)


@router.patch("/forms/{form}", response_model=Form)
def update_form(
    app: str,
    table: str,
    form: str,
    body: FormUpdate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Change a variant's name, layout and rules, roles or position (the default form: its
    layout only, as ``PUT …/layout``)."""
    return services.forms.update(app, table, form, body.model_dump(exclude_unset=True), principal)


@router.delete("/forms/{form}", status_code=204)
def delete_form(
    app: str, table: str, form: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.forms.delete(app, table, form, principal)
    return Response(status_code=204)


@router.get("/defaults", response_model=RecordDefaults)
def record_defaults(
    app: str,
    table: str,
    services: ServicesDep,
    principal: PrincipalDep,
    form: str | None = Query(None, description="The form the record is filled in (a key)"),
) -> dict[str, Any]:
    """The values a new record's form starts with, for the caller: the fields' defaults,
    their default formulas (``TODAY()+7``, ``CURRENTUSER()`` …) and what the form's rules
    set."""
    return services.forms.defaults(app, table, form, principal)
