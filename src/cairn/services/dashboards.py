"""Dashboards: create, read, update (optimistic version), delete, and their data per widget,
shaped for ECharts. Each widget is one dataset query or one KPI; the dashboard's filters
narrow every widget they apply to.

These are the use cases (the transaction, who sees a dashboard, the rows, the audit log); the
report engine's widget runtime (``reports/widget_runtime.py``) checks, computes, caches and
drills the widgets, reading datasets through ``services/report_ports.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Entry, Principal, known_role_keys, manages_app, role_keys
from cairn.core import Conflict, Invalid, NotFound
from cairn.reports import DashboardDefinition, DashboardIn, WidgetRuntime, parse_model, widget_table
from cairn.reports.dashboards import FilterSpec, WidgetSpec, dashboard_public
from cairn.reports.export import MEDIA_TYPES, render
from cairn.services.report_ports import ReportDatasets
from cairn.services.reports import scope_of
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import dashboards as store

if TYPE_CHECKING:
    from cairn.services.context import Services


def _widget(definition: DashboardDefinition, widget_id: str) -> WidgetSpec:
    """The dashboard's widget ``widget_id`` (else not found)."""
    for w in definition.widgets:
        if w.id == widget_id:
            return w
    raise NotFound("report.widget_not_found", id=widget_id)


class DashboardService:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.runtime = WidgetRuntime(
            ReportDatasets(services),
            services.kpis,
            services.widgets,
            services.clock,
            services.report_cache,
        )

    # -- definitions -------------------------------------------------------------------------
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
        self.runtime.check(uow, app, d.widgets)
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
            self.runtime.check(uow, app, d.widgets)
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

    def _definition(
        self, uow: UnitOfWork, app: str, dashboard_id: int
    ) -> tuple[Any, DashboardDefinition]:
        """The dashboard the principal may see, and its definition."""
        row = self._row(uow, app, dashboard_id, visible=True)
        return row, DashboardDefinition.model_validate(row["definition"])

    # -- data --------------------------------------------------------------------------------
    def data(
        self,
        app: str,
        dashboard_id: int,
        filters: dict[str, Any] | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Every widget's data, ready for ECharts, under the dashboard filters' values
        (``{filter key: value}``; a date range is ``[start, end]``). ``cache`` says how many
        widgets came from the result cache (``hits``) and how many were computed."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row, definition = self._definition(uow, app, dashboard_id)
            out = self.runtime.data(uow, app, definition, filters)
            return {"id": row["id"], "version": row["version"], **out}

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
            return self.runtime.preview(uow, app, widget, filters or [], values)

    # -- drill-down and export ---------------------------------------------------------------
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
            _row, definition = self._definition(uow, app, dashboard_id)
            w = _widget(definition, widget_id)
            applied = self.runtime.applied(uow, definition, values)
            return self.runtime.drill(uow, app, w, applied, scope_of(uow), points, measure)

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
            scope, applied = self.runtime.draft(uow, app, widget, filters or [], values)
            return self.runtime.drill(uow, app, widget, applied, scope, points, measure)

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
            row, definition = self._definition(uow, app, dashboard_id)
            w = _widget(definition, widget_id)
            applied = self.runtime.applied(uow, definition, filters)
            ran = self.runtime.ran(uow, app, w, applied, scope_of(uow, "export"))
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
        return render(widget_table(w, ran), fmt), f"{row['key']}-{w.id}.{fmt}"

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
