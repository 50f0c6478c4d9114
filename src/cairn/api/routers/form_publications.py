"""Publishing a form (表单发布): a table's form at a public address, for the app's managers;
and links to it carrying signed values."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.public_forms import Publication, PublicationLink

router = APIRouter(
    prefix="/api/v1/apps/{app}/tables/{table}/forms/{form}/publication",
    tags=["forms"],
    dependencies=[SchemaManager],
)


class ThankYou(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    text: str | None = None


class PublicationPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = Field(default=None, description="Taking submissions (default true)")
    owner: int | str | None = Field(
        default=None,
        description="The user (id or user name) who owns the records the form makes; it "
        "writes with their permissions (default: the caller)",
    )
    thank_you: dict[str, ThankYou] | None = Field(
        default=None, description='{"zh-CN": {title, text}, "en": {title, text}}'
    )
    prefill: list[str] | None = Field(
        default=None, description="Keys of the fields a signed link may fill in"
    )
    min_fill_seconds: int | None = Field(
        default=None, description="A submission sooner than this after the page opened is refused"
    )
    max_bytes: int | None = Field(default=None, description="The largest submission taken")
    difficulty: int | None = Field(
        default=None, description="Proof-of-work difficulty (leading zero bits, 8 to 24)"
    )
    rotate_token: bool | None = Field(
        default=None, description="A new address (the old one stops answering)"
    )
    rotate_secret: bool | None = Field(
        default=None, description="A new signing secret (links made so far stop working)"
    )
    version: int | None = Field(default=None, description="As last read (409 when it moved on)")


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(description="Values by field key (fields links may fill in)")
    expires_in_days: int | None = Field(default=None, description="1 to 366 (default 30)")


@router.get("", response_model=Publication)
def get_publication(
    app: str, table: str, form: str, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The form's publication (``form``: ``default`` or a variant's key), for the app's
    managers; 404 when it is not published."""
    return services.form_publications.get(app, table, form, principal)


@router.put("", response_model=Publication)
def put_publication(
    app: str,
    table: str,
    form: str,
    body: PublicationPut,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Publish the form, or change its publication. Publishing needs an owner who may create
    the table's records, and a form a visitor can complete (every required field offered,
    defaulted, set by a rule or filled in by links)."""
    raw = body.model_dump(exclude_unset=True)
    return services.form_publications.put(app, table, form, raw, principal)


@router.delete("", status_code=204)
def delete_publication(
    app: str, table: str, form: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Unpublish the form: its address stops answering."""
    services.form_publications.delete(app, table, form, principal)
    return Response(status_code=204)


@router.post("/links", status_code=201, response_model=PublicationLink)
def create_publication_link(
    app: str,
    table: str,
    form: str,
    body: LinkCreate,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """A link to the public form carrying values signed with the publication's secret (a
    survey for one customer, a booking for one vehicle): the page shows them locked, and a
    link whose signature does not match or that expired is refused."""
    raw = body.model_dump(exclude_unset=True)
    return services.form_publications.link(app, table, form, raw, principal)
