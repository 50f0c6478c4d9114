"""Request and response models: the public contract of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AppCreate(BaseModel):
    key: str = Field(examples=["ga_crm"])
    name: str | None = Field(default=None, examples=["通航客户管理"])
    description: str = ""


class AppUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    position: int | None = None


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(examples=["inspection_date"])
    name: str | None = Field(default=None, examples=["定检日期"])
    type: str = Field(examples=["date"])
    options: dict[str, Any] = Field(default_factory=dict)
    required: bool = False
    unique: bool = False
    default: Any = None
    help_text: str = ""
    position: int | None = None


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = None
    name: str | None = None
    type: str | None = None
    options: dict[str, Any] | None = None
    required: bool | None = None
    unique: bool | None = None
    default: Any = None
    help_text: str | None = None
    position: int | None = None
    convert: Literal["keep"] | None = Field(
        default=None,
        description='With a type change: "keep" converts even when some values do not, keeping the old values in a recycled field',
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
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None
    display_field: str | None = None
    position: int | None = None
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
    count: bool = False


class RecordsBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(
        description="At most 1,000; items with an id (and version) update, others create"
    )


class RecordsPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


class CustomerViewSection(BaseModel):
    relation: str = Field(examples=["tickets"])


class CustomerView(BaseModel):
    table: str | None = Field(examples=["customers"])
    metrics: list[str] = Field(examples=[["ticket_count", "total_cost"]])
    sections: list[CustomerViewSection]


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
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    user: int | str | None = None
    days: int | None = Field(default=None, ge=0, le=3650, description="0: never expires")
    read_only: bool = False


class PasswordChange(BaseModel):
    password: str | None = Field(
        default=None, max_length=1024, description="Empty: generate one and return it once"
    )
