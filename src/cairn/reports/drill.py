"""Drill-down from a widget: the points a user clicked (each the raw dimension keys of one
bar, slice, province, row or pivot cell; see ``widgets``) become the filter of the records
behind them, which the records query API takes as it is.

The filter is the dataset's own (with the dashboard filters already ANDed in by the caller),
the measure's condition when the clicked value is a conditional aggregate, and the OR of the
points. For a KPI: its filter and period, and the split values (or funnel stages) clicked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid, Message
from cairn.query.tree import invalid
from cairn.reports.datasets import DatasetBuilder
from cairn.reports.dimensions import build_dimension, drill_condition
from cairn.reports.kpi_base import Kpi, Run
from cairn.reports.spec import DatasetSpec, MeasureSpec

#: Widget types whose points stand for the first measure only (one value per point).
_ONE_MEASURE = frozenset({"number", "gauge", "pie", "funnel", "china_map"})
_CARTESIAN = frozenset({"line", "bar", "stacked_bar"})


def _one_of(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else {"or": parts}


def _all_of(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else {"and": parts}


def _flat(parts: list[Any]) -> list[Any]:
    """The conditions of an AND, with nested ANDs spliced in (one level for the grid's filter
    panel to show)."""
    out: list[Any] = []
    for part in parts:
        if isinstance(part, dict) and set(part) == {"and"} and isinstance(part["and"], list):
            out += _flat(part["and"])
        elif part:
            out.append(part)
    return out


def _bad_point(i: int, n: int) -> Invalid:
    return Invalid("invalid.input", {f"points.{i}": [Message("report.drill_keys", {"n": n})]})


def shown_measure(widget_type: str, spec: DatasetSpec, measure: str | None) -> str | int | None:
    """The measure a clicked value is of: the one named, else the first where the widget
    shows only that one (a single-measure dataset, a pie, a chart split by a second
    dimension); None where a point stands for several (a table row, a pivot cell)."""
    if measure is not None:
        return measure
    if len(spec.measures) == 1 or widget_type in _ONE_MEASURE:
        return 0
    if widget_type in _CARTESIAN and len(spec.all_dimensions) >= 2:
        return 0
    return None


def _measure_parts(b: DatasetBuilder, spec: DatasetSpec, which: str | int | None) -> list[Any]:
    """What admits a record to the measure: its filter, and for a count of a field that the
    field is not blank (the records a count counts)."""
    if which is None:
        return []
    if isinstance(which, int):
        m: MeasureSpec = spec.measures[which]
    else:
        built = [b.measure(x, f"measures.{j}").key for j, x in enumerate(spec.measures)]
        if which not in built:
            raise invalid("measure", "report.sort_key", key=which)
        m = spec.measures[built.index(which)]
    parts = [m.filter] if m.filter else []
    if m.agg == "count" and m.field and "." not in m.field:
        parts.append({"field": m.field, "op": "is_not_empty"})
    return parts


def dataset_drill(
    conn: sa.Connection,
    b: DatasetBuilder,
    spec: DatasetSpec,
    points: Sequence[Any],
    measure: str | int | None = None,
) -> dict[str, Any]:
    """The filter of the records behind ``points`` of ``spec`` (each point one key per
    dimension: rows, then columns). Without dimensions the dataset is one point."""
    dims = b.dimensions(spec)
    parts: list[Any] = [spec.filter] if spec.filter else []
    parts += _measure_parts(b, spec, measure)
    if dims:
        if not points:
            raise _bad_point(0, len(dims))
        alternatives = []
        for i, keys in enumerate(points):
            if not isinstance(keys, list) or len(keys) != len(dims):
                raise _bad_point(i, len(dims))
            conds = [drill_condition(conn, b.ctx, d, k) for d, k in zip(dims, keys, strict=True)]
            alternatives.append(_all_of(conds))
        parts.append(_one_of(alternatives))
    tree = {"and": _flat(parts)}
    b.condition(tree, "points")  # the records API will accept it
    return {"table": spec.table, "filter": tree}


def kpi_drill(
    conn: sa.Connection, kpi: Kpi, run: Run, points: Sequence[Any], by_stage: bool = False
) -> dict[str, Any]:
    """The records a KPI counts (its filter and period) behind ``points``: split values
    (``[key]``), or with ``by_stage`` funnel stages (``[stage index]``). A KPI without a
    split is one point."""
    p = run.params
    b = run.builder(p.table)
    base = kpi.base_filter(run)
    parts: list[Any] = [base] if base else []
    stages = kpi.drill_stages(b, p) if by_stage else None
    if stages is not None or p.split is not None:
        if not points:
            raise _bad_point(0, 1)
        dim = None if stages is not None else build_dimension(b.ctx, p.split, "params.split")
        alternatives = []
        for i, keys in enumerate(points):
            if not isinstance(keys, list) or len(keys) != 1:
                raise _bad_point(i, 1)
            if stages is None:
                assert dim is not None
                alternatives.append(drill_condition(conn, b.ctx, dim, keys[0]))
                continue
            at = keys[0]
            if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at < len(stages):
                raise invalid(f"points.{i}", "report.drill_stage", stage=at)
            alternatives.append(stages[at])
        parts.append(_one_of(alternatives))
    tree = {"and": _flat(parts)}
    b.condition(tree, "points")
    return {"table": p.table, "filter": tree}
