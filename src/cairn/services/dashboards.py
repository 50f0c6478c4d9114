"""Dashboards: create, read, update (optimistic version), delete, and their data per widget,
shaped for ECharts. Each widget is one dataset query or one KPI; the dashboard's filters
narrow every widget they apply to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, known_role_keys, manages_app, role_keys
from cairn.auth.departments import member_ids, subtree_ids
from cairn.core import Conflict, FieldErrors, Forbidden, Invalid, Message, NotFound
from cairn.query import local_today
from cairn.reports import (
    DashboardDefinition,
    DashboardIn,
    DatasetSpec,
    Scope,
    applied_filters,
    narrow_dataset,
    narrow_kpi,
    parse_model,
    run_kpi,
)
from cairn.reports.dashboards import FilterSpec, WidgetSpec, dashboard_public
from cairn.reports.datasets import DatasetResult, pivot
from cairn.reports.drill import dataset_drill, kpi_drill, shown_measure
from cairn.reports.export import MEDIA_TYPES, from_dataset, from_kpi, from_pivot, render
from cairn.reports.kpi_base import kpi_run
from cairn.reports.kpi_mappings import effective_params
from cairn.reports.widget_check import check_widget
from cairn.services.reports import scope_of
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import dashboards as store

if TYPE_CHECKING:
    from cairn.services.context import Services


def reason(e: Forbidden | Invalid) -> Message:
    """Why a widget has no data: the first field error's message when there is one (``This
    KPI needs a period``, not ``The input is not valid``)."""
    if isinstance(e, Invalid):
        for messages in e.field_errors.values():
            if messages:
                return messages[0]
    return e.message


class DashboardService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- definitions -------------------------------------------------------------------------
    def _check(self, uow: UnitOfWork, app: str, data: DashboardIn) -> None:
        """Every widget can be shown to the one saving it (``widget_check``): its type shows
        its source, its tables and fields exist, they may read them and their types fit.
        Every widget's errors at once, under ``widgets.<n>``."""
        scope = scope_of(uow)
        errors = FieldErrors()
        for i, w in enumerate(data.widgets):
            try:
                self._check_widget(uow, app, w, scope, f"widgets.{i}")
            except Invalid as e:
                errors.merge("", e)
        errors.raise_if_any()

    def list(self, app: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The app's dashboards this principal may see."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            seen = self._viewer(uow, a.id)
            return [dashboard_public(r) for r in store.list_for(uow.conn, a.id) if seen(r)]

    def get(self, app: str, dashboard_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return dashboard_public(self._row(uow, app, dashboard_id, visible=True))

    def _viewer(self, uow: UnitOfWork, app_id: int) -> Callable[[Any], bool]:
        """Whether the unit of work's principal sees a dashboard row: administrators and app
        managers see all; others those without roles, or with one of their roles."""
        p = uow.principal
        if p.user_id is None or manages_app(uow.conn, p, app_id):
            return lambda row: True
        mine = role_keys(uow.conn, p.user_id)

        def sees(row: Any) -> bool:
            roles = (row["definition"] or {}).get("roles") or []
            return not roles or bool(mine.intersection(roles))

        return sees

    def _row(self, uow: UnitOfWork, app: str, dashboard_id: int, visible: bool = False) -> Any:
        """The dashboard; with ``visible``, only if the principal may see it (else not found)."""
        a = uow.catalog.app(app)
        row = store.get(uow.conn, a.id, dashboard_id)
        if row is None or (visible and not self._viewer(uow, a.id)(row)):
            raise NotFound("report.dashboard_not_found", id=dashboard_id)
        return row

    def create(self, app: str, data: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        d = parse_model(DashboardIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            return dashboard_public(self._row(uow, app, self.create_in(uow, app, d)))

    def _check_roles(self, uow: UnitOfWork, d: DashboardIn) -> None:
        unknown = sorted(set(d.roles) - known_role_keys(uow.conn, d.roles))
        if unknown:
            raise Invalid.on("roles", "role.not_found", role=unknown[0])

    def create_in(
        self, uow: UnitOfWork, app: str, d: DashboardIn, *, check_roles: bool = True
    ) -> int:
        """A new dashboard. A package's dashboards may name roles this installation does not
        have yet (``check_roles`` False): they apply once such a role exists."""
        a = uow.catalog.app(app)
        self._check(uow, app, d)
        if check_roles:
            self._check_roles(uow, d)
        if store.key_taken(uow.conn, a.id, d.key):
            raise Invalid.on("key", "key.taken", key=d.key)
        return store.insert(
            uow.conn,
            a.id,
            uow.now,
            key=d.key,
            name=d.name,
            description=d.description,
            position=d.position,
            definition=d.definition().model_dump(mode="json", exclude_none=True),
        )

    def update(
        self, app: str, dashboard_id: int, data: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Replace the definition; ``version`` must be the one the change was based on."""
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise Invalid.on("version", "record.version_required")
        d = parse_model(DashboardIn, {k: v for k, v in data.items() if k != "version"})
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, dashboard_id)
            a = uow.catalog.app(app)
            self._check(uow, app, d)
            self._check_roles(uow, d)
            if store.key_taken(uow.conn, a.id, d.key, other_than=dashboard_id):
                raise Invalid.on("key", "key.taken", key=d.key)
            if not store.update(
                uow.conn,
                dashboard_id,
                version,
                uow.now,
                key=d.key,
                name=d.name,
                description=d.description,
                position=d.position,
                definition=d.definition().model_dump(mode="json", exclude_none=True),
            ):
                raise Conflict("record.stale", expected=version, actual=row["version"])
            return dashboard_public(self._row(uow, app, dashboard_id))

    def delete(self, app: str, dashboard_id: int) -> None:
        with unit_of_work(self.s) as uow:
            self._row(uow, app, dashboard_id)
            store.delete(uow.conn, dashboard_id)

    @staticmethod
    def _applied(
        uow: UnitOfWork, definition: DashboardDefinition, filters: dict[str, Any] | None
    ) -> list[tuple[Any, Any]]:
        """The dashboard filters with their values; a department becomes its members (the
        department and every one below it)."""
        today = local_today(uow.services.clock, uow.catalog.ctx.timezone)
        try:
            applied = applied_filters(definition, filters or {}, today)
        except ValueError as e:
            raise Invalid.on("filters", "invalid.body", detail=str(e)) from None
        out = []
        for f, v in applied:
            if f.type == "department":
                v = member_ids(uow.conn, subtree_ids(uow.conn, [v]))
            out.append((f, v))
        return out

    # -- data --------------------------------------------------------------------------------
    def data(
        self,
        app: str,
        dashboard_id: int,
        filters: dict[str, Any] | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Every widget's data, ready for ECharts, under the dashboard filters' values
        (``{filter key: value}``; a date range is ``[start, end]``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, dashboard_id, visible=True)
            definition = DashboardDefinition.model_validate(row["definition"])
            applied = self._applied(uow, definition, filters)
            scope = scope_of(uow)
            out = {w.id: self._widget(uow, app, w, applied, scope) for w in definition.widgets}
            return {"id": row["id"], "version": row["version"], "widgets": out}

    def _source(
        self, uow: UnitOfWork, app: str, w: WidgetSpec, applied: Any, scope: Scope
    ) -> tuple[DatasetResult | None, int, dict[str, Any] | None]:
        """The widget's dataset result (and its number of row dimensions) or its KPI."""
        cat = uow.catalog
        reports = self.s.reports
        has_field = self._has_field(uow, app)
        if w.dataset is not None:
            spec: DatasetSpec = narrow_dataset(w.dataset, applied, has_field)
            builder = reports.builder(uow, app, spec.table, scope)
            result = builder.run(uow.conn, spec)
            version = uow.catalog.version
            uow.after_commit(lambda: reports.noted(version, builder))
            return result, len(spec.dimensions), None
        assert w.kpi is not None
        params = narrow_kpi(self._kpi_source(uow, app, w), applied, has_field)
        k = run_kpi(
            self.s.kpis.get(w.kpi.key),
            params,
            lambda table: reports.builder(uow, app, table, scope),
            uow.conn,
            self.s.clock,
            cat.ctx.timezone,
        )
        return None, 0, k

    def _widget(
        self, uow: UnitOfWork, app: str, w: WidgetSpec, applied: Any, scope: Scope
    ) -> dict[str, Any]:
        wt = self.s.widgets.get(w.type)
        try:
            result, n_rows, k = self._source(uow, app, w, applied, scope)
        except (Forbidden, Invalid) as e:
            # One widget over a table or field this user may not see: that widget says so,
            # the rest of the dashboard still shows.
            return {"type": w.type, "title": w.title, "data": None, "error": reason(e)}
        if result is not None:
            data = wt.from_dataset(result, n_rows, w.settings)
        else:
            assert k is not None
            data = wt.from_kpi(k, w.settings)
        return {"type": w.type, "title": w.title, "data": data}

    # -- widgets: checks, preview, drill-down ---------------------------------------------
    @staticmethod
    def _has_field(uow: UnitOfWork, app: str) -> Callable[[str, str], bool]:
        """Whether a table of the app has a field (a dashboard filter applies to it)."""
        cat = uow.catalog

        def has_field(table: str, key: str) -> bool:
            return key.partition(".")[0] in cat.table(app, table).by_key or key in (
                "created_at",
                "updated_at",
                "owner_id",
                "created_by",
            )

        return has_field

    @staticmethod
    def _kpi_source(uow: UnitOfWork, app: str, w: WidgetSpec) -> Any:
        """A KPI widget's KPI with the parameters it runs with: the app's mapping under its
        own when they name no table."""
        assert w.kpi is not None
        params = effective_params(uow.conn, uow.catalog.app(app).id, w.kpi.key, w.kpi.params)
        return w.kpi.model_copy(update={"params": params})

    def _check_widget(
        self, uow: UnitOfWork, app: str, w: WidgetSpec, scope: Scope, loc: str
    ) -> None:
        """``Invalid`` under ``loc`` unless the widget can be shown to the unit of work's
        principal."""
        reports = self.s.reports
        try:
            check_widget(
                w,
                self.s.widgets,
                self.s.kpis,
                lambda table: reports.builder(uow, app, table, scope),
                self.s.clock,
                uow.catalog.ctx.timezone,
                self._kpi_source(uow, app, w).params if w.kpi is not None else None,
            )
        except Invalid as e:
            raise e.under(loc) from None

    def _draft(
        self, uow: UnitOfWork, app: str, widget: WidgetSpec, filters: list[FilterSpec], values: Any
    ) -> tuple[Scope, Any]:
        """An unsaved widget checked (locations under ``widget``), with the dashboard filters
        it would follow and their values applied."""
        uow.catalog.app(app)
        scope = scope_of(uow)
        self._check_widget(uow, app, widget, scope, "widget")
        definition = DashboardDefinition(filters=filters)
        return scope, self._applied(uow, definition, values)

    def preview(
        self,
        app: str,
        widget: WidgetSpec,
        filters: list[FilterSpec] | None = None,
        values: dict[str, Any] | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """An unsaved widget's data as the dashboard would show it (``{type, title, data}``,
        or ``error`` when it cannot compute now, e.g. a KPI that needs a period); a widget
        that does not validate is refused (``Invalid`` under ``widget.``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            scope, applied = self._draft(uow, app, widget, filters or [], values)
            return self._widget(uow, app, widget, applied, scope)

    def drill(
        self,
        app: str,
        dashboard_id: int,
        widget_id: str,
        points: list[Any],
        values: dict[str, Any] | None = None,
        measure: str | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """``{table, filter}``: the records behind the clicked ``points`` of a widget, under
        the dashboard filters' ``values``, for the records query API."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, dashboard_id, visible=True)
            definition = DashboardDefinition.model_validate(row["definition"])
            found = [w for w in definition.widgets if w.id == widget_id]
            if not found:
                raise NotFound("report.widget_not_found", id=widget_id)
            applied = self._applied(uow, definition, values)
            return self._drill(uow, app, found[0], applied, scope_of(uow), points, measure)

    def preview_drill(
        self,
        app: str,
        widget: WidgetSpec,
        points: list[Any],
        filters: list[FilterSpec] | None = None,
        values: dict[str, Any] | None = None,
        measure: str | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """``drill`` for an unsaved widget (the editor's preview)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            scope, applied = self._draft(uow, app, widget, filters or [], values)
            return self._drill(uow, app, widget, applied, scope, points, measure)

    def _drill(
        self,
        uow: UnitOfWork,
        app: str,
        w: WidgetSpec,
        applied: Any,
        scope: Scope,
        points: list[Any],
        measure: str | None,
    ) -> dict[str, Any]:
        reports = self.s.reports
        has_field = self._has_field(uow, app)
        if w.dataset is not None:
            spec = narrow_dataset(w.dataset, applied, has_field)
            builder = reports.builder(uow, app, spec.table, scope)
            which = shown_measure(w.type, spec, measure)
            return dataset_drill(uow.conn, builder, spec, points, which)
        assert w.kpi is not None
        params = narrow_kpi(self._kpi_source(uow, app, w), applied, has_field)
        kpi = self.s.kpis.get(w.kpi.key)
        run = kpi_run(
            kpi,
            params,
            lambda table: reports.builder(uow, app, table, scope),
            self.s.clock,
            uow.catalog.ctx.timezone,
        )
        return kpi_drill(uow.conn, kpi, run, points, by_stage=w.type == "funnel")

    def export_widget(
        self,
        app: str,
        dashboard_id: int,
        widget_id: str,
        fmt: str,
        filters: dict[str, Any] | None = None,
        principal: Principal = SYSTEM,
    ) -> tuple[bytes, str]:
        """One widget's numbers as an XLSX or CSV file: (content, file name)."""
        if fmt not in MEDIA_TYPES:
            raise Invalid.on("format", "report.export_format")
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, dashboard_id, visible=True)
            definition = DashboardDefinition.model_validate(row["definition"])
            found = [w for w in definition.widgets if w.id == widget_id]
            if not found:
                raise NotFound("report.widget_not_found", id=widget_id)
            w = found[0]
            applied = self._applied(uow, definition, filters)
            result, n_rows, k = self._source(uow, app, w, applied, scope_of(uow, "export"))
            uow.audit(
                Entry(
                    "report.export",
                    "dashboard",
                    dashboard_id,
                    uow.catalog.app(app).id,
                    None,
                    {"widget": widget_id, "format": fmt, "filters": filters or {}},
                )
            )
        title = w.title or w.id
        if result is not None:
            table = (
                from_pivot(title, pivot(result, n_rows))
                if w.dataset and w.dataset.columns
                else from_dataset(title, result)
            )
        else:
            assert k is not None
            table = from_kpi(title, k)
        return render(table, fmt), f"{row['key']}-{w.id}.{fmt}"

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        """The app's dashboards as they travel in its package (no ids, no versions)."""
        a = uow.catalog.app(app)
        out = []
        for r in store.list_for(uow.conn, a.id):
            pub = dashboard_public(r)
            item = {
                k: pub[k] for k in ("key", "name", "description", "position", "widgets", "filters")
            }
            if pub["roles"]:
                item["roles"] = pub["roles"]
            out.append(item)
        return out

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("dashboards", "package.shape", detail="dashboards must be a list")
        for i, item in enumerate(items):
            d = parse_model(DashboardIn, item, f"dashboards.{i}")
            self.create_in(uow, app, d, check_roles=False)
