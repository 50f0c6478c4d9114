"""Dashboard definitions: a grid of widgets (each a dataset query or a KPI plus its chart
settings) and dashboard-wide filters, and how a filter's value narrows each widget."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PField

from cairn.query import day_range
from cairn.reports.periods import PeriodSpec
from cairn.reports.spec import KEY_PATTERN, DatasetSpec

MAX_WIDGETS = 50


class KpiSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = PField(min_length=1, max_length=63)
    params: dict[str, Any] = PField(default_factory=dict)


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int = PField(default=0, ge=0, le=1000)
    y: int = PField(default=0, ge=0, le=10_000)
    w: int = PField(default=4, ge=1, le=24)
    h: int = PField(default=4, ge=1, le=100)


class WidgetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = PField(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    type: str = PField(min_length=1, max_length=40)
    title: str = PField(default="", max_length=200)
    layout: Layout = PField(default_factory=Layout)
    dataset: DatasetSpec | None = None
    kpi: KpiSource | None = None
    settings: dict[str, Any] = PField(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> WidgetSpec:
        if (self.dataset is None) == (self.kpi is None):
            raise ValueError("a widget shows a dataset or a KPI (one of them)")
        return self


class FilterSpec(BaseModel):
    """A dashboard-wide filter. ``date_range`` narrows every widget to a period on ``field``
    (a KPI: its own period); its value (and default) is ``[start, end]``, ``{start, end}`` or
    a preset resolved against the clock when the data is asked for: ``{"preset":
    "this_month"}``, ``{"preset": "last_n_days", "days": 30}`` (see ``periods.Preset``); ``field`` keeps the records whose ``field`` equals (or, given a
    list, is one of) the chosen value, in every widget whose table has that field;
    ``department`` (a department id) keeps the records whose user ``field`` (e.g.
    ``owner_id``) is a member of that department or of one below it."""

    model_config = ConfigDict(extra="forbid")
    key: str = PField(pattern=KEY_PATTERN)
    type: Literal["date_range", "field", "department"]
    field: str = PField(min_length=1, max_length=130)
    label: str = PField(default="", max_length=200)
    default: Any = None


class DashboardDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    widgets: list[WidgetSpec] = PField(default_factory=list, max_length=MAX_WIDGETS)
    filters: list[FilterSpec] = PField(default_factory=list, max_length=20)
    #: Keys of the roles whose members see the dashboard; empty: everyone who may use the app.
    #: Administrators and the app's managers always see it.
    roles: list[str] = PField(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> DashboardDefinition:
        for what, keys in (
            ("widget id", [w.id for w in self.widgets]),
            ("filter key", [f.key for f in self.filters]),
        ):
            dupes = {k for k in keys if keys.count(k) > 1}
            if dupes:
                raise ValueError(f"the {what} {sorted(dupes)[0]!r} appears twice")
        return self


class DashboardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = PField(pattern=KEY_PATTERN)
    name: str = PField(min_length=1, max_length=200)
    description: str = PField(default="", max_length=5000)
    position: int = PField(default=0, ge=0, le=100_000)
    widgets: list[WidgetSpec] = PField(default_factory=list, max_length=MAX_WIDGETS)
    filters: list[FilterSpec] = PField(default_factory=list, max_length=20)
    roles: list[str] = PField(default_factory=list, max_length=100)

    def definition(self) -> DashboardDefinition:
        return DashboardDefinition(widgets=self.widgets, filters=self.filters, roles=self.roles)


class DateRange(BaseModel):
    start: date
    end: date


def date_range(value: Any, today: date | None) -> DateRange:
    """A date-range filter's value as dates (both ends included); a preset needs ``today``
    (the local date now)."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        value = {"start": value[0], "end": value[1]}
    if isinstance(value, dict) and value.get("preset") is not None:
        if today is None:
            raise ValueError("a period preset needs the date of today")
        p = PeriodSpec.model_validate(value)
        assert p.preset is not None
        start, end = day_range(p.preset, today, p.days)
        return DateRange(start=start, end=end - timedelta(days=1))
    return DateRange.model_validate(value)


def applied_filters(
    definition: DashboardDefinition, values: dict[str, Any], today: date | None = None
) -> list[tuple[FilterSpec, Any]]:
    """The filters with a value (given, else the default), in definition order; a date
    range's preset resolved for ``today``."""
    out = []
    for f in definition.filters:
        v = values.get(f.key, f.default)
        if v is None or v == "" or v == []:
            continue
        if f.type == "date_range":
            v = date_range(v, today)
        elif f.type == "department" and (not isinstance(v, int) or isinstance(v, bool)):
            raise ValueError(f"the filter {f.key!r} takes a department id")
        out.append((f, v))
    return out


def field_condition(f: FilterSpec, value: Any) -> dict[str, Any]:
    if f.type == "date_range":
        return {
            "and": [
                {"field": f.field, "op": "gte", "value": value.start.isoformat()},
                {"field": f.field, "op": "lte", "value": value.end.isoformat()},
            ]
        }
    if f.type == "department" and not value:  # a department without members: nothing
        return {
            "and": [
                {"field": f.field, "op": "is_empty"},
                {"field": f.field, "op": "is_not_empty"},
            ]
        }
    if isinstance(value, list):
        return {"field": f.field, "op": "in", "value": value}
    return {"field": f.field, "op": "eq", "value": value}


def narrow_dataset(
    spec: DatasetSpec, filters: list[tuple[FilterSpec, Any]], has_field: Any
) -> DatasetSpec:
    """``spec`` with the dashboard filters that apply to its table ANDed to its filter."""
    parts = [field_condition(f, v) for f, v in filters if has_field(spec.table, f.field)]
    if not parts:
        return spec
    tree = {"and": [*([spec.filter] if spec.filter else []), *parts]}
    return spec.model_copy(update={"filter": tree})


def narrow_kpi(
    source: KpiSource, filters: list[tuple[FilterSpec, Any]], has_field: Any
) -> dict[str, Any]:
    """The KPI's parameters with the dashboard's period and field filters."""
    params = dict(source.params)
    table = params.get("table")
    parts = []
    for f, v in filters:
        if f.type == "date_range":
            params["period"] = {"start": v.start.isoformat(), "end": v.end.isoformat()}
        elif isinstance(table, str) and has_field(table, f.field):
            parts.append(field_condition(f, v))
    if parts:
        base = params.get("filter")
        params["filter"] = {"and": [*([base] if base else []), *parts]}
    return params


def dashboard_public(row: Any) -> dict[str, Any]:
    """A stored dashboard as the API shows it."""
    d = row["definition"] or {}
    return {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "description": row["description"],
        "position": row["position"],
        "version": row["version"],
        "widgets": d.get("widgets", []),
        "filters": d.get("filters", []),
        "roles": d.get("roles", []),
        "created_at": row["created_at"].isoformat(timespec="seconds") + "Z",
        "updated_at": row["updated_at"].isoformat(timespec="seconds") + "Z",
    }
