"""The report engine: dataset queries (dimensions, measures, pivots, drill-down), the KPI
library and dashboards, all computed in SQL."""

from cairn.reports.aggregations import (
    Aggregation,
    AggregationRegistry,
    builtin_aggregations,
)
from cairn.reports.aggregations import register_builtins as register_aggregations
from cairn.reports.datasets import (
    EVERYTHING,
    DatasetBuilder,
    DatasetResult,
    Measure,
    Scope,
    pivot,
)
from cairn.reports.spec import DatasetSpec, DimensionSpec, MeasureSpec, parse_model

__all__ = [
    "EVERYTHING",
    "Aggregation",
    "AggregationRegistry",
    "DatasetBuilder",
    "DatasetResult",
    "DatasetSpec",
    "DimensionSpec",
    "Measure",
    "MeasureSpec",
    "Scope",
    "builtin_aggregations",
    "parse_model",
    "pivot",
    "register_aggregations",
]
