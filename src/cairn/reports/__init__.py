"""The report engine: dataset queries (dimensions, measures, pivots, drill-down), the KPI
library and dashboards, all computed in SQL."""

from cairn.core.i18n import register_messages
from cairn.reports.aggregations import (
    Aggregation,
    AggregationRegistry,
    builtin_aggregations,
)
from cairn.reports.aggregations import register_builtins as register_aggregations
from cairn.reports.alerts import (
    AlertIn,
    AlertSchedule,
    AlertSpec,
    Evaluation,
    breached,
    evaluate,
    next_check,
)
from cairn.reports.dashboards import (
    DashboardDefinition,
    DashboardIn,
    applied_filters,
    narrow_dataset,
    narrow_kpi,
)
from cairn.reports.dataset_select import Measure
from cairn.reports.datasets import DatasetBuilder, DatasetResult, pivot
from cairn.reports.kpi_texts import MESSAGES as KPI_TEXTS
from cairn.reports.kpis import Kpi, KpiParams, KpiRegistry, builtin_kpis, run_kpi
from cairn.reports.kpis import register_builtins as register_kpis
from cairn.reports.messages import MESSAGES
from cairn.reports.scope import EVERYTHING, Scope
from cairn.reports.spec import DatasetSpec, DimensionSpec, MeasureSpec, parse_model
from cairn.reports.widget_runtime import WidgetRuntime, widget_table
from cairn.reports.widgets import WidgetRegistry, WidgetType, builtin_widgets
from cairn.reports.widgets import register_builtins as register_widgets

register_messages(MESSAGES)
register_messages(KPI_TEXTS)

__all__ = [
    "EVERYTHING",
    "Aggregation",
    "AggregationRegistry",
    "AlertIn",
    "AlertSchedule",
    "AlertSpec",
    "DashboardDefinition",
    "DashboardIn",
    "DatasetBuilder",
    "DatasetResult",
    "DatasetSpec",
    "DimensionSpec",
    "Evaluation",
    "Kpi",
    "KpiParams",
    "KpiRegistry",
    "Measure",
    "MeasureSpec",
    "Scope",
    "WidgetRegistry",
    "WidgetRuntime",
    "WidgetType",
    "applied_filters",
    "breached",
    "builtin_aggregations",
    "builtin_kpis",
    "builtin_widgets",
    "evaluate",
    "narrow_dataset",
    "narrow_kpi",
    "next_check",
    "parse_model",
    "pivot",
    "register_aggregations",
    "register_kpis",
    "register_widgets",
    "run_kpi",
    "widget_table",
]
