"""Replies of the report engine: dashboards and their data, a widget's data (a preview) and a
drill-down into a widget, dataset queries and drills, the KPI library, values and the app's KPI
mappings, alerts and their checks."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Open, Reply


class WidgetError(Reply):
    code: str
    message: str


class WidgetData(Reply):
    """One widget: its type, title and data shaped for its chart, with the raw dimension keys
    of every point a user can click (``x_keys`` and series ``key`` or ``measure`` of line and
    bar charts, ``keys`` of pie and funnel items, ``points`` of map provinces, ``row_keys`` of
    a table, ``keys`` of pivot rows and columns); or ``error`` saying why it has no data."""

    type: str
    title: str
    data: Any
    error: WidgetError | None = None


class WidgetDrill(Reply):
    """The records behind the points clicked: pass ``filter`` to the records query API of
    ``table`` (``POST /api/v1/apps/{app}/tables/{table}/records/query``), or to the grid as its
    filter."""

    table: str
    filter: dict[str, Any]


class KpiInfo(Reply):
    key: str
    #: The KPI's name and what it measures in plain words, in the caller's language.
    title: str
    definition: str
    unit: str
    #: For developers: how it is computed (English).
    description: str
    #: The parameters it takes (JSON schema).
    params: dict[str, Any]


class KpiLibrary(Reply):
    items: list[KpiInfo]


class KpiMapping(Reply):
    """The parameters a KPI takes in this app (its table and fields): a KPI widget or alert
    that names no table uses them."""

    kpi: str
    params: dict[str, Any]
    updated_at: str


class KpiMappingList(Reply):
    items: list[KpiMapping]


class Dashboard(Reply):
    id: int
    key: str
    name: str
    description: str
    position: int
    version: int
    widgets: list[Any]
    filters: list[Any]
    roles: list[Any]
    created_at: str
    updated_at: str


class DashboardList(Reply):
    items: list[Dashboard]


class DashboardData(Reply):
    """Per widget id: its type, title and data, or an ``error`` saying why it has none."""

    id: int
    version: int
    widgets: dict[str, Any]


class DatasetResult(Open):
    """A dataset's rows (dimensions and measures), ready for a chart or a table."""


class DrillResult(Open):
    """The records behind one cell of a dataset."""


class KpiList(Reply):
    items: list[Open]


class KpiValue(Open):
    """A KPI's value for the caller."""


class Alert(Open):
    """A report alert: its threshold on a KPI or dataset measure, schedule, actions and state."""

    id: int
    key: str
    name: str


class AlertList(Reply):
    items: list[Alert]


class AlertCheck(Reply):
    id: int
    trigger: str | None
    value: Any
    state_before: str | None
    state: str | None
    change: str | None
    crossing: int | None
    status: str | None
    attempts: int | None
    actions: list[Any]
    error: Any
    checked_at: str | None
    finished_at: str | None


class AlertCheckList(Reply):
    items: list[AlertCheck]


class AlertCheckNow(Open):
    """The value now, the state change and the actions run (or would run, dry)."""
