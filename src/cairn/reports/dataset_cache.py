"""Dataset replies from the result cache (``cache.py``): a dataset query's, as the reports
API answers it, and, for a count or sum by a choice asked by a caller who reads every row,
figures brought forward from the writes since they were kept (``incremental.py``), which the
dashboard widgets' replies use too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cairn.query.plans import PlanCache
from cairn.reports import incremental
from cairn.reports.cache import CacheRun, Computed, Kept, reader_key, widget_key
from cairn.reports.datasets import DatasetBuilder, DatasetPlan, DatasetResult, pivot
from cairn.reports.ports import Work
from cairn.reports.scope import EVERYTHING
from cairn.reports.spec import DatasetSpec

#: A builder and the plan of the query whose figures are kept (its dimensions and measures).
Planned = Callable[[], tuple[DatasetBuilder, DatasetPlan]]


def forwarded(
    run: CacheRun,
    key: str,
    conn: sa.Connection,
    shape: incremental.Shape,
    limit: int,
    planned: Planned,
    reply: Callable[[DatasetResult], dict[str, Any]],
    compute: Callable[[], Computed],
    grouped: Callable[[DatasetBuilder], None] | None = None,
) -> dict[str, Any]:
    """The reply under ``key`` for a query of ``shape`` (``CacheRun.forward``): the kept
    figures brought to the table's version now, else read in full (then the builder's
    ``grouped`` is set and handed to ``grouped``: the index advisor learns the grouping), shown
    as ``reply`` makes the result; ``compute`` when the figures cannot say."""

    def kept(state: incremental.State | None) -> Kept | None:
        builder, plan = planned()
        if state is None:  # read from the table
            state = incremental.full(conn, shape)
            builder.grouped = plan.grouped
            if grouped is not None:
                grouped(builder)
        out = incremental.result(shape, plan.dims, plan.measures, state, limit)
        return None if out is None else (reply(out), state.version, state)

    def bring(state: incremental.State) -> Kept | None:
        new = incremental.advance(conn, shape, state)
        return None if new is None else kept(new)

    return run.forward(key, shape.schema.id, bring, lambda: kept(None), compute)


def dataset_reply(
    work: Work, run: CacheRun, builder: DatasetBuilder, app: str, ds: DatasetSpec, plans: PlanCache
) -> dict[str, Any]:
    """The rows of ``ds`` (with ``columns``, its pivot) as ``builder``'s caller sees them,
    from ``run``'s cache while the data is unchanged."""
    everything = builder.scope is EVERYTHING
    version = work.catalog.version
    # A caller who sees everything shares built queries (a dashboard refreshed, the next
    # viewer): keyed on the schema version and the spec, like record pages.
    plan_key = f"dataset:{version}:{app}:{ds.model_dump_json()}" if everything else None

    def planned() -> tuple[DatasetBuilder, DatasetPlan]:
        return builder, plans.get(plan_key, lambda: builder.plan(ds))

    def compute() -> Computed:
        _, plan = planned()
        result = builder.run(work.conn, ds, plan, kept=plan_key is not None)
        reply = pivot(result, len(ds.dimensions)) if ds.columns else result.to_json()
        return reply, [plan.select]

    # Unchanged data answers from the dashboards' result cache (the same entries: the key
    # says it is a dataset query's reply, for whose read scope).
    p = work.principal
    reader = reader_key(everything, p.user_id, p.is_admin, p.read_only)
    key = widget_key("dataset", app, version, ds.model_dump(mode="json"), reader)
    shape = incremental.shape_of(builder.schema, ds) if everything else None
    if shape is None:
        return run.widget(key, compute)
    # Count and sum by a choice: brought forward from the writes since.
    return forwarded(run, key, work.conn, shape, ds.limit, planned, DatasetResult.to_json, compute)
