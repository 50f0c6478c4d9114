"""KPI mappings: per app, the parameters each KPI of the library takes there (its table, the
fields it reads, its filter). A KPI widget, alert or computation that names no table takes the
app's mapping, with its own parameters (a period, a split) over it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.store import kpi_mappings as store


def names_table(params: Any) -> bool:
    return (
        isinstance(params, dict) and isinstance(params.get("table"), str) and bool(params["table"])
    )


def effective_params(
    conn: sa.Connection, app_id: int, kpi: str, params: dict[str, Any]
) -> dict[str, Any]:
    """``params`` as the KPI runs them in the app: as they are when they name a table, else
    over the app's mapping (if it has one)."""
    if names_table(params):
        return params
    row = store.get(conn, app_id, kpi)
    if row is None:
        return params
    given = {k: v for k, v in params.items() if not (k == "table" and not v)}
    return {**(row["params"] or {}), **given}
