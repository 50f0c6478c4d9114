"""Request and response models: the public contract of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le, Lt
from pydantic import BaseModel, ConfigDict, Field

# -- bounded integers ----------------------------------------------------------------------
# Every integer the API takes (path, query or body) is declared with the range the database
# can hold, so a value beyond it is refused by validation (404 for an id in the address, 422
# elsewhere) instead of failing in the driver (SQLite binds at most 64 bits, PostgreSQL
# INTEGER columns hold 32). The constraints are annotated-types metadata, not ``Field()``
# or ``Path()``, so one alias serves path and query parameters and model fields alike, and
# the OpenAPI document states the ranges. Ids are written ``< 2**63`` (exclusiveMaximum)
# rather than ``<= 2**63 - 1``: FastAPI writes bounds in component schemas as floats, and
# 2**63 is a float exactly while 2**63 - 1 is not (it would round up to 2**63). Request
# models with such fields are ``strict``: JSON true is not the integer 1.

#: Ids of rows (BIGINT primary keys): 1 to 2**63 - 1.
Id = Annotated[int, Ge(1), Lt(2**63)]
#: A row's version (optimistic locking), or a row offset: 0 to 2**63 - 1.
BigCount = Annotated[int, Ge(0), Lt(2**63)]
#: Sort positions (INTEGER columns): 0 to 2**31 - 1.
Position = Annotated[int, Ge(0), Le(2**31 - 1)]
#: A calendar year the date type holds.
Year = Annotated[int, Ge(1), Le(9999)]

#: A records page's ``count``: none (false), the total (true: exact when cheap, else "10,000+"
#: or "about 12,000", as ``total_kind`` says), or ``"exact"`` (every row counted).
CountParam = Annotated[
    bool | Literal["exact"],
    Field(
        description="false: no total; true: the total, exact when cheap, else at least or "
        "about (total_kind says which); exact: every row counted"
    ),
]


class Problem(BaseModel):
    """An error reply (RFC 9457 problem details, ``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["https://cairn.dev/problems/invalid"])
    title: str = Field(examples=["输入无效"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["输入无效。"])
    code: str = Field(description="The message key", examples=["invalid.input"])
    instance: str = Field(description="The path of the request")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Per field: ``field``, ``code`` and ``message``"
    )


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AppCreate(BaseModel):
    key: str = Field(examples=["ga_crm"])
    name: str | None = Field(default=None, examples=["通航客户管理"])
    description: str = ""


class AppUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = None
    description: str | None = None
    position: Position | None = None


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    key: str = Field(examples=["inspection_date"])
    name: str | None = Field(default=None, examples=["定检日期"])
    type: str = Field(examples=["date"])
    options: dict[str, Any] = Field(default_factory=dict)
    required: bool = False
    unique: bool = False
    default: Any = None
    help_text: str = ""
    position: Position | None = None


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    key: str | None = None
    name: str | None = None
    type: str | None = None
    options: dict[str, Any] | None = None
    required: bool | None = None
    unique: bool | None = None
    default: Any = None
    help_text: str | None = None
    position: Position | None = None
    convert: Literal["keep"] | None = Field(
        default=None,
        description='With a type change: "keep" converts even when some values do not, keeping the old values in a recycled field',
    )


class NumberPreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="An auto-number field's options as they are being edited",
        examples=[{"pattern": "BJ-{YYYY}{MM}-{####}", "reset": "month", "start": 1}],
    )
    field: str | None = Field(
        default=None,
        description="The auto-number field being edited (its counter gives the next number); "
        "none: a new field, which starts at ``start``",
    )


class TableCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(examples=["customers"])
    name: str | None = Field(default=None, examples=["客户"])
    description: str = ""
    display_field: str | None = None
    fields: list[FieldCreate] = Field(default_factory=list)
    validation_rules: Any = Field(
        default=None,
        description="Formulas a record must satisfy to be saved, with the message shown otherwise",
        examples=[
            [{"formula": "{end} >= {start}", "message": "结束日期不能早于开始日期", "field": "end"}]
        ],
    )


class TableUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = None
    description: str | None = None
    display_field: str | None = None
    position: Position | None = None
    validation_rules: Any = Field(
        default=None,
        description="Formulas a record must satisfy to be saved, with the message shown otherwise",
        examples=[
            [{"formula": "{end} >= {start}", "message": "结束日期不能早于开始日期", "field": "end"}]
        ],
    )


class RecordQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filter: dict[str, Any] | None = Field(
        default=None, examples=[{"field": "tier", "op": "eq", "value": "VIP"}]
    )
    sort: list[dict[str, Any]] | None = Field(
        default=None, examples=[[{"field": "flight_hours", "direction": "desc"}]]
    )
    limit: int = Field(default=50, ge=1, le=1000)
    cursor: str | None = None
    fields: list[str] | None = None
    expand: list[str] = Field(default_factory=list)
    count: CountParam = False


class FilterCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filter: dict[str, Any] | None = Field(
        default=None,
        examples=[{"formula": "COUNTIF({tickets}, {tickets.opened_on} >= TODAY() - 90) > 2"}],
    )


class RecordsBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(
        description="At most 1,000; items with an id (and version) update, others create"
    )


class CustomerViewSection(BaseModel):
    relation: str = Field(examples=["tickets"])


class TimelineSource(BaseModel):
    #: Relation field keys, one to three hops from the customer table.
    path: list[str] = Field(examples=[["vehicles", "repair_orders"]])
    #: A date or date-time field of the source table (null: when the record was created).
    date_field: str | None = Field(default=None, examples=["opened_on"])
    #: ``{field key}`` placeholders of the source table.
    title: str = Field(default="", examples=["{order_no} · {status}"])
    label: str = Field(default="", examples=["Repairs"])


class CustomerTimeline(BaseModel):
    sources: list[TimelineSource] = []
    #: Table key → field keys whose changes appear (the customer table and source tables).
    notable_fields: dict[str, list[str]] = {}
    #: Of ``comments``, ``changes``, ``process``, ``messages``, ``interactions``.
    system: list[str] = []


class CustomerView(BaseModel):
    table: str | None = Field(examples=["customers"])
    metrics: list[str] = Field(examples=[["ticket_count", "total_cost"]])
    sections: list[CustomerViewSection]
    #: What the customer timeline shows (absent until set).
    timeline: CustomerTimeline | None = None
    #: A date or date-time field of the customer table that every interaction logged moves
    #: forward to its time (never back); absent until set.
    last_contact_field: str | None = Field(default=None, examples=["last_contact"])


class RecordExport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filter: dict[str, Any] | None = None
    sort: list[dict[str, Any]] | None = None
    fields: list[str] | None = None
    format: Literal["csv", "xlsx"] = "csv"


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(description="The text; @username mentions a user")


# -- identity ------------------------------------------------------------------------------


class LoginBody(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024, json_schema_extra={"format": "password"})


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(default=None, max_length=200)
    user: Id | str | None = None
    days: int | None = Field(default=None, ge=0, le=3650, description="0: never expires")
    read_only: bool = False


class PasswordChange(BaseModel):
    password: str | None = Field(
        default=None, max_length=1024, description="Empty: generate one and return it once"
    )


class DepartmentIn(BaseModel):
    """A department: ``name`` (required to create), ``parent_id`` (null: top level),
    ``manager_id`` (a user id, or null) and ``position`` among its siblings."""

    model_config = ConfigDict(strict=True)
    name: str | None = Field(default=None, examples=["华东销售部"])
    parent_id: Id | None = None
    manager_id: Id | None = None
    position: Position = 0
