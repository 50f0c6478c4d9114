"""The widget runtime (``cairn.reports.widget_runtime``) over its dataset port alone, on the
fixed after-sales data set (SQLite and PostgreSQL): a widget the port refuses says so while
the others show, and only a computed dataset widget tells the index advisor what it grouped
by (a cache hit runs no query)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cairn.core import Forbidden
from cairn.reports import DashboardDefinition, DatasetBuilder, Scope, WidgetRuntime
from cairn.reports.cache import ResultCache
from cairn.services import Services
from cairn.services.report_ports import ReportDatasets
from cairn.services.uow import unit_of_work


class Port:
    """The services' dataset port, refusing the tables in ``refused`` and recording the
    tables whose grouping it is told."""

    def __init__(self, services: Services, refused: frozenset[str] = frozenset()) -> None:
        self.inner = ReportDatasets(services)
        self.refused = refused
        self.noted: list[str] = []

    def scope(self, work: Any, action: str = "read") -> Scope:
        return self.inner.scope(work, action)

    def builders(
        self, work: Any, app: str, scope: Scope | None = None
    ) -> Callable[[str], DatasetBuilder]:
        inner = self.inner.builders(work, app, scope)

        def builder(table: str) -> DatasetBuilder:
            if table in self.refused:
                raise Forbidden("auth.forbidden")
            return inner(table)

        return builder

    def note_grouping(self, work: Any, builder: DatasetBuilder) -> None:
        self.noted.append(builder.schema.table.key)


BOARD = DashboardDefinition.model_validate(
    {
        "widgets": [
            {"id": "tickets", "type": "bar", "dataset": {"table": "tickets", "dimensions": [{"field": "channel"}], "measures": [{"agg": "count"}]}},
            {"id": "customers", "type": "number", "dataset": {"table": "customers", "measures": [{"agg": "count"}]}},
        ]
    }
)  # fmt: skip


def runtime(svc: Services, port: Port, cache: ResultCache | None) -> WidgetRuntime:
    return WidgetRuntime(port, svc.kpis, svc.widgets, svc.clock, cache)


def data(svc: Services, rt: WidgetRuntime) -> dict[str, Any]:
    with unit_of_work(svc, write=False) as uow:
        return rt.data(uow, "svc", BOARD, None)


def test_a_widget_the_port_refuses_says_so_and_the_others_show(svc: Services) -> None:
    port = Port(svc, refused=frozenset({"customers"}))
    out = data(svc, runtime(svc, port, None))
    assert out["widgets"]["customers"]["data"] is None
    assert out["widgets"]["customers"]["error"]
    assert out["widgets"]["tickets"]["data"] is not None
    assert "error" not in out["widgets"]["tickets"]
    assert port.noted == ["tickets"]


def test_a_cache_hit_tells_the_port_nothing(svc: Services) -> None:
    port = Port(svc)
    rt = runtime(svc, port, ResultCache())
    assert data(svc, rt)["cache"] == {"hits": 0, "misses": 2}
    assert sorted(port.noted) == ["customers", "tickets"]
    port.noted.clear()
    again = data(svc, rt)
    assert again["cache"] == {"hits": 2, "misses": 0}
    assert port.noted == []
