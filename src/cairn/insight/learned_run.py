"""Training the learned churn model of a score model on its table, and what it shows.

``fit`` reads every live customer's raw input values (``score_run.raw_rows``, the same SQL the
weighted model scores from) with the churn field beside them (a yes/no field, read as one
more formula so blanks and errors read as "not churned"), trains ``learned.train`` on them and
returns what ``score_models.learned`` keeps: the ``Trained`` numbers, the churn field's id,
when, and the inputs' signature (keys and formulas) the model was trained on.
``summary`` is the learned model as the API shows it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.insight.learned import Trained, fits, signature, train
from cairn.insight.score_run import BATCH, raw_rows
from cairn.store import Catalog, TableSchema


def training_data(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    inputs: Sequence[dict[str, Any]],
    churn_field_id: int,
    clock: Clock,
) -> tuple[list[list[Any]], list[bool]]:
    """(per live record its raw input values, per record whether it churned)."""
    read = [*inputs, {"formula": f"{{#{churn_field_id}}}"}]
    rows: list[list[Any]] = []
    churned: list[bool] = []
    after = 0
    while page := raw_rows(conn, cat, s, read, clock, after=after, limit=BATCH):
        after = page[-1][0]
        for _, raws in page:
            rows.append([_number(v) for v in raws[:-1]])
            churned.append(bool(raws[-1]))
    return rows, churned


def fit(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    inputs: Sequence[dict[str, Any]],
    churn_field_id: int,
    clock: Clock,
    now: datetime,
) -> dict[str, Any]:
    """The learned model of ``inputs`` against the churn field, as stored (``Invalid`` on
    ``churn_field`` when there is too little history)."""
    rows, churned = training_data(conn, cat, s, inputs, churn_field_id, clock)
    trained = train([str(i["key"]) for i in inputs], rows, churned)
    return {
        **trained.to_json(),
        "churn_field": churn_field_id,
        "trained_at": now.replace(tzinfo=UTC).isoformat(),
        "signature": signature(inputs),
    }


def summary(
    s: TableSchema, inputs: Sequence[dict[str, Any]], learned: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The learned model as users read it: the held-out AUC, the counts, the churn field, and
    per input its weight (what one spread more of it moves a typical customer's score by);
    ``current``: still trained on the model's inputs as they are."""
    if not learned:
        return None
    t = Trained.from_json(learned)
    f = s.by_id.get(int(learned.get("churn_field") or 0))
    labels = {str(i["key"]): str(i["label"]) for i in inputs}
    return {
        "auc": t.auc,
        "rows": t.rows,
        "churned": t.churned,
        "held_out": t.held_out,
        "trained_at": learned.get("trained_at"),
        "churn_field": f.key if f is not None else None,
        "churn_field_name": f.name if f is not None else None,
        "current": fits(inputs, learned),
        "weights": [
            {
                "input": key,
                "label": labels.get(key, key),
                "coef": round(t.coef[n], 4),
                "per": round(t.scale[n], 4),
                "points": t.effect(n),
            }
            for n, key in enumerate(t.inputs)
        ],
    }


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, str):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
