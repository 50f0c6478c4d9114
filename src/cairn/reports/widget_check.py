"""A widget checked before it is previewed or saved: its type can show its source, and its
dataset or KPI builds for the caller (tables and fields they may read, value types that fit:
no sum of a text field, no date bucket of a number) without running a query.

Errors name the widget's own locations (``dataset.measures.0.field``,
``kpi.params.score_field``): the editor shows each next to its input; a dashboard prefixes
them with ``widgets.<n>.``, a preview with ``widget.``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from cairn.core import Clock, FieldErrors, Forbidden, Invalid, NotFound
from cairn.reports.dashboards import WidgetSpec
from cairn.reports.datasets import DatasetBuilder
from cairn.reports.dimensions import build_dimension
from cairn.reports.kpi_base import BuilderFor, Kpi, KpiRegistry, Run, kpi_run
from cairn.reports.spec import DatasetSpec
from cairn.reports.widgets import WidgetRegistry


def table_builder(builder_for: BuilderFor, table: str, loc: str) -> DatasetBuilder:
    """The builder over ``table``, or ``Invalid`` at ``loc``: no such table, or one the caller
    may not read."""
    try:
        return builder_for(table)
    except NotFound:
        raise Invalid.on(loc, "report.table_unknown", table=table) from None
    except Forbidden:
        raise Invalid.on(loc, "report.table_denied", table=table) from None


def _refused(loc: str, e: Forbidden) -> Invalid:
    """A field the caller may not use (a filter formula naming a masked field) said at ``loc``."""
    return Invalid("invalid.input", {loc: [e.message]})


def check_dataset(b: DatasetBuilder, spec: DatasetSpec) -> None:
    """Every dimension, measure and the filter checked (all their errors at once), then the
    query built (keys, sort)."""
    errors = FieldErrors()

    def attempt(loc: str, check: Any) -> None:
        try:
            check()
        except Invalid as e:
            errors.merge("", e)
        except Forbidden as e:
            errors.add(loc, e.message)

    for kind, dims in (("dimensions", spec.dimensions), ("columns", spec.columns)):
        for i, d in enumerate(dims):
            loc = f"{kind}.{i}"
            attempt(loc, lambda d=d, loc=loc: build_dimension(b.ctx, d, loc))
    for j, m in enumerate(spec.measures):
        loc = f"measures.{j}"
        attempt(loc, lambda m=m, loc=loc: b.measure(m, loc))
    attempt("filter", lambda: b.condition(spec.filter, "filter"))
    errors.raise_if_any()
    b.plan(spec)


def check_kpi(
    kpi: Kpi, params: dict[str, Any], builder_for: BuilderFor, clock: Clock, tz: Any
) -> Run:
    """The KPI's parameters checked and its queries built (locations ``params.…``). Without a
    period it is checked over today: a dashboard's date filter gives it one."""
    table = params.get("table")
    if not isinstance(table, str) or not table:
        raise Invalid.on("params.table", "report.kpi_table")
    table_builder(builder_for, table, "params.table")
    run = kpi_run(kpi, params, builder_for, clock, tz)
    checked = run
    if run.period is None:
        today = clock.now().astimezone(tz).date()
        checked = replace(run, period=(today, today + timedelta(days=1)))
    try:
        kpi.check(checked)
    except Forbidden as e:
        raise _refused("params", e) from None
    return run


def check_widget(
    w: WidgetSpec,
    widgets: WidgetRegistry,
    kpis: KpiRegistry,
    builder_for: BuilderFor,
    clock: Clock,
    tz: Any,
    kpi_params: dict[str, Any] | None = None,
) -> None:
    """``Invalid`` at the widget's locations if it cannot be shown to the caller.
    ``kpi_params``: a KPI widget's parameters as it runs (the app's mapping filled in)."""
    if w.type not in widgets:
        raise Invalid.on("type", "report.widget_type", type=w.type)
    wt = widgets.get(w.type)
    if w.dataset is not None:
        if "dataset" not in wt.sources:
            raise Invalid.on("type", "report.widget_source")
        b = table_builder(builder_for, w.dataset.table, "dataset.table")
        try:
            check_dataset(b, w.dataset)
        except Invalid as e:
            raise e.under("dataset") from None
        except Forbidden as e:
            raise _refused("dataset.filter", e) from None
        return
    assert w.kpi is not None
    if "kpi" not in wt.sources:
        raise Invalid.on("type", "report.widget_kpi", type=w.type)
    if w.kpi.key not in kpis:
        raise Invalid.on("kpi.key", "report.kpi_unknown", kpi=w.kpi.key)
    params = kpi_params if kpi_params is not None else w.kpi.params
    try:
        check_kpi(kpis.get(w.kpi.key), params, builder_for, clock, tz)
    except Invalid as e:
        raise e.under("kpi") from None
