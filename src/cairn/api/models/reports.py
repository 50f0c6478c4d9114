"""Replies of the report pages: a widget's data (a preview), a drill-down into a widget, the
KPI library and the app's KPI mappings."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply


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
