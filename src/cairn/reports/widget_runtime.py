"""The dashboard widget runtime: a dashboard's filter values applied, each widget narrowed by
them and computed (its dataset query or its KPI) for a caller's read scope, shaped for its
chart, from the result cache (``cache.py``) when nothing it read changed; a widget checked
before it is saved or previewed, its drill-down, and its numbers as a table for a file.

What it needs from the rest of the platform comes through ``ports.Datasets``: dataset
builders scoped by the permission layer, and the index advisor told what they grouped by
(``services/report_ports.py`` supplies it). The services hold the use cases around it: the
dashboard rows, who sees them, the transaction and the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from cairn.auth.departments import member_ids, subtree_ids
from cairn.core import Clock, FieldErrors, Forbidden, Invalid, Message
from cairn.query import local_today
from cairn.reports import incremental
from cairn.reports.cache import (
    CacheRun,
    Computed,
    ResultCache,
    cache_run,
    reader_key,
    widget_key,
)
from cairn.reports.dashboards import (
    DashboardDefinition,
    FilterSpec,
    KpiSource,
    WidgetSpec,
    applied_filters,
    narrow_dataset,
    narrow_kpi,
)
from cairn.reports.dataset_cache import forwarded
from cairn.reports.datasets import (
    EVERYTHING,
    DatasetBuilder,
    DatasetPlan,
    DatasetResult,
    Scope,
    pivot,
)
from cairn.reports.drill import dataset_drill, kpi_drill, shown_measure
from cairn.reports.export import Tabular, from_dataset, from_kpi, from_pivot
from cairn.reports.kpi_base import BuilderFor, KpiRegistry, kpi_run, run_kpi
from cairn.reports.kpi_mappings import effective_params
from cairn.reports.ports import Datasets, Work
from cairn.reports.spec import DatasetSpec
from cairn.reports.widget_check import check_widget
from cairn.reports.widgets import WidgetRegistry

#: The dashboard filters with their values (``applied_filters``; departments as members).
Applied = list[tuple[FilterSpec, Any]]
#: A widget's source as it runs: its dataset spec, or its KPI's parameters.
Source = DatasetSpec | dict[str, Any]

#: Fields every table has, that a dashboard filter may name besides the table's own.
SYSTEM_FIELDS = ("created_at", "updated_at", "owner_id", "created_by")


class Ran(NamedTuple):
    """A widget computed: its dataset result and number of row dimensions, or its KPI."""

    result: DatasetResult | None
    n_rows: int
    kpi: dict[str, Any] | None


def reason(e: Forbidden | Invalid) -> Message:
    """Why a widget has no data: the first field error's message when there is one (``This
    KPI needs a period``, not ``The input is not valid``)."""
    if isinstance(e, Invalid):
        for messages in e.field_errors.values():
            if messages:
                return messages[0]
    return e.message


def no_data(w: WidgetSpec, e: Forbidden | Invalid) -> dict[str, Any]:
    """The reply of a widget that cannot be shown to this caller."""
    return {"type": w.type, "title": w.title, "data": None, "error": reason(e)}


def has_field(work: Work, app: str) -> Callable[[str, str], bool]:
    """Whether a table of the app has a field (a dashboard filter applies to it)."""
    cat = work.catalog

    def has(table: str, key: str) -> bool:
        return key.partition(".")[0] in cat.table(app, table).by_key or key in SYSTEM_FIELDS

    return has


def kpi_source(work: Work, app: str, w: WidgetSpec) -> KpiSource:
    """A KPI widget's KPI with the parameters it runs with: the app's mapping under its
    own when they name no table."""
    assert w.kpi is not None
    params = effective_params(work.conn, work.catalog.app(app).id, w.kpi.key, w.kpi.params)
    return w.kpi.model_copy(update={"params": params})


def widget_table(w: WidgetSpec, ran: Ran) -> Tabular:
    """A widget's numbers as a table for a file: its pivot, its rows or its KPI."""
    title = w.title or w.id
    if ran.result is not None:
        if w.dataset and w.dataset.columns:
            return from_pivot(title, pivot(ran.result, ran.n_rows))
        return from_dataset(title, ran.result)
    assert ran.kpi is not None
    return from_kpi(title, ran.kpi)


class WidgetRuntime:
    def __init__(
        self,
        datasets: Datasets,
        kpis: KpiRegistry,
        widgets: WidgetRegistry,
        clock: Clock,
        cache: ResultCache | None,
    ) -> None:
        self.datasets = datasets
        self.kpis = kpis
        self.widgets = widgets
        self.clock = clock
        self.cache = cache

    # -- filters and checks ------------------------------------------------------------------
    def applied(
        self, work: Work, definition: DashboardDefinition, filters: dict[str, Any] | None
    ) -> Applied:
        """The dashboard filters with their values; a department becomes its members (the
        department and every one below it)."""
        today = local_today(self.clock, work.catalog.ctx.timezone)
        try:
            applied = applied_filters(definition, filters or {}, today)
        except ValueError as e:
            raise Invalid.on("filters", "invalid.body", detail=str(e)) from None
        out = []
        for f, v in applied:
            if f.type == "department":
                v = member_ids(work.conn, subtree_ids(work.conn, [v]))
            out.append((f, v))
        return out

    def check(self, work: Work, app: str, widgets: list[WidgetSpec]) -> None:
        """Every widget can be shown to the one saving it (``widget_check``): its type shows
        its source, its tables and fields exist, they may read them and their types fit.
        Every widget's errors at once, under ``widgets.<n>``."""
        scope = self.datasets.scope(work)
        errors = FieldErrors()
        for i, w in enumerate(widgets):
            try:
                self.check_widget(work, app, w, scope, f"widgets.{i}")
            except Invalid as e:
                errors.merge("", e)
        errors.raise_if_any()

    def check_widget(self, work: Work, app: str, w: WidgetSpec, scope: Scope, loc: str) -> None:
        """``Invalid`` under ``loc`` unless the widget can be shown to ``work``'s principal."""
        try:
            check_widget(
                w,
                self.widgets,
                self.kpis,
                self.datasets.builders(work, app, scope),
                self.clock,
                work.catalog.ctx.timezone,
                kpi_source(work, app, w).params if w.kpi is not None else None,
            )
        except Invalid as e:
            raise e.under(loc) from None

    def draft(
        self, work: Work, app: str, widget: WidgetSpec, filters: list[FilterSpec], values: Any
    ) -> tuple[Scope, Applied]:
        """An unsaved widget checked (locations under ``widget``), with the dashboard filters
        it would follow and their values applied."""
        work.catalog.app(app)
        scope = self.datasets.scope(work)
        self.check_widget(work, app, widget, scope, "widget")
        return scope, self.applied(work, DashboardDefinition(filters=filters), values)

    # -- data --------------------------------------------------------------------------------
    def data(
        self, work: Work, app: str, definition: DashboardDefinition, filters: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Every widget's reply by id under the filters' values, and how many came from the
        result cache (``hits``) and how many were computed."""
        applied = self.applied(work, definition, filters)
        scope = self.datasets.scope(work)
        run = self.cache_run(work, app)
        out = {w.id: self.widget(work, app, w, applied, scope, run) for w in definition.widgets}
        return {"widgets": out, "cache": run.counts()}

    def preview(
        self,
        work: Work,
        app: str,
        widget: WidgetSpec,
        filters: list[FilterSpec],
        values: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """An unsaved widget's reply as the dashboard would show it; ``Invalid`` under
        ``widget.`` when it does not validate."""
        scope, applied = self.draft(work, app, widget, filters, values)
        return self.widget(work, app, widget, applied, scope, self.cache_run(work, app))

    def cache_run(self, work: Work, app: str) -> CacheRun:
        """The result cache for one request: the data versions of every table the app's
        widgets may read, in one query, and the local date, before any widget runs."""
        cat = work.catalog
        return cache_run(self.cache, work.conn, cat, cat.app(app).id, self.clock)

    def narrowed(self, work: Work, app: str, w: WidgetSpec, applied: Applied) -> Source:
        """The widget's source as it runs: its dataset spec, or its KPI's parameters, with
        the dashboard filters that apply to it. The result cache's key is built from it: what
        else a result depends on (the app's KPI mapping filling in ``params``) belongs here."""
        has = has_field(work, app)
        if w.dataset is not None:
            return narrow_dataset(w.dataset, applied, has)
        assert w.kpi is not None
        return narrow_kpi(kpi_source(work, app, w), applied, has)

    def widget(
        self, work: Work, app: str, w: WidgetSpec, applied: Applied, scope: Scope, run: CacheRun
    ) -> dict[str, Any]:
        """One widget's reply ``{type, title, data}`` (``error`` instead of data when it
        cannot be shown to this caller), from ``run``'s cache when nothing it reads changed.
        The key holds no widget id: a preview of a saved widget and its dashboard share the
        result."""
        try:
            source = self.narrowed(work, app, w, applied)
        except (Forbidden, Invalid) as e:
            return no_data(w, e)
        p = work.principal
        key = widget_key(
            app,
            work.catalog.version,
            w.model_dump(mode="json", exclude={"id", "layout", "dataset", "kpi"}),
            source.model_dump(mode="json") if isinstance(source, DatasetSpec) else source,
            w.kpi.key if w.kpi is not None else None,
            reader_key(scope is EVERYTHING, p.user_id, p.is_admin, p.read_only),
        )
        compute = lambda: self._computed(work, app, w, source, scope)  # noqa: E731
        if scope is EVERYTHING and isinstance(source, DatasetSpec):
            schema = work.catalog.table(app, source.table)
            shape = incremental.shape_of(schema, source)
            if shape is not None:
                return self._forward(work, app, w, source, shape, run, key, compute)
        return run.widget(key, compute)

    def _forward(
        self,
        work: Work,
        app: str,
        w: WidgetSpec,
        source: DatasetSpec,
        shape: incremental.Shape,
        run: CacheRun,
        key: str,
        compute: Callable[[], Computed],
    ) -> dict[str, Any]:
        """A count or sum by a choice for a caller who reads every row: brought forward
        from the writes since it was kept (``incremental``)."""
        wt = self.widgets.get(w.type)

        def planned() -> tuple[DatasetBuilder, DatasetPlan]:
            b = self.datasets.builders(work, app, EVERYTHING)(source.table)
            return b, b.plan(source)

        def reply(out: DatasetResult) -> dict[str, Any]:
            return {"type": w.type, "title": w.title, "data": wt.from_dataset(out, 1, w.settings)}

        def grouped(b: DatasetBuilder) -> None:
            self.datasets.note_grouping(work, b)

        return forwarded(run, key, work.conn, shape, source.limit, planned, reply, compute, grouped)

    def _computed(
        self, work: Work, app: str, w: WidgetSpec, source: Source, scope: Scope
    ) -> Computed:
        """The widget's reply and the SELECTs that produced it (for the cache)."""
        made: list[DatasetBuilder] = []
        builders = self.datasets.builders(work, app, scope)

        def builder(table: str) -> DatasetBuilder:
            made.append(builders(table))
            return made[-1]

        wt = self.widgets.get(w.type)
        try:
            ran = self._run(work, w, source, builder)
        except (Forbidden, Invalid) as e:
            # One widget over a table or field this user may not see: that widget says so,
            # the rest of the dashboard still shows.
            return no_data(w, e), ()
        if ran.result is not None:
            data = wt.from_dataset(ran.result, ran.n_rows, w.settings)
        else:
            assert ran.kpi is not None
            data = wt.from_kpi(ran.kpi, w.settings)
        reply = {"type": w.type, "title": w.title, "data": data}
        return reply, [q for b in made for q in b.statements]

    def _run(self, work: Work, w: WidgetSpec, source: Source, builder: BuilderFor) -> Ran:
        """The widget's dataset result (and its number of row dimensions) or its KPI."""
        if isinstance(source, DatasetSpec):
            b = builder(source.table)
            result = b.run(work.conn, source)
            self.datasets.note_grouping(work, b)
            return Ran(result, len(source.dimensions), None)
        assert w.kpi is not None
        k = run_kpi(
            self.kpis.get(w.kpi.key),
            source,
            builder,
            work.conn,
            self.clock,
            work.catalog.ctx.timezone,
        )
        return Ran(None, 0, k)

    def ran(self, work: Work, app: str, w: WidgetSpec, applied: Applied, scope: Scope) -> Ran:
        """The widget computed under the filters, past the cache (an export's numbers)."""
        source = self.narrowed(work, app, w, applied)
        return self._run(work, w, source, self.datasets.builders(work, app, scope))

    # -- drill-down --------------------------------------------------------------------------
    def drill(
        self,
        work: Work,
        app: str,
        w: WidgetSpec,
        applied: Applied,
        scope: Scope,
        points: list[Any],
        measure: str | None,
    ) -> dict[str, Any]:
        """``{table, filter}``: the records behind the clicked ``points`` of the widget."""
        builders = self.datasets.builders(work, app, scope)
        source = self.narrowed(work, app, w, applied)
        if isinstance(source, DatasetSpec):
            which = shown_measure(w.type, source, measure)
            return dataset_drill(work.conn, builders(source.table), source, points, which)
        assert w.kpi is not None
        kpi = self.kpis.get(w.kpi.key)
        run = kpi_run(kpi, source, builders, self.clock, work.catalog.ctx.timezone)
        return kpi_drill(work.conn, kpi, run, points, by_stage=w.type == "funnel")
