"""Score models, scores and score history (``tables.scores``).

A scoring run writes a batch at a time: the changed records' rows of ``scores`` are deleted
and inserted again (``bulk.insert_many``: COPY on PostgreSQL), and their history points of the
day are replaced, so each batch is a handful of statements whatever its size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from cairn.store import changes
from cairn.store.bulk import insert_columns
from cairn.store.identity import _one_of as one_of
from cairn.store.tables.core import outbox
from cairn.store.tables.scores import score_history, score_models, scores

M = score_models.c
S = scores.c
H = score_history.c


class _JsonText(sa.types.UserDefinedType[str]):
    """JSON given as text: sent as it is (no encoding, no cast: PostgreSQL takes the text as
    the column's json)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"


#: ``scores`` as a scoring run writes it: the contributions given as JSON text already (built
#: by ``insight.scores.Scored.stored``; a JSON column would encode a million of them again).
_scores_text = sa.Table(
    "scores",
    sa.MetaData(),
    *[
        sa.Column(c.name, _JsonText() if c.name == "contributions" else c.type)
        for c in scores.columns
    ],
)


# -- models -------------------------------------------------------------------------------------
def models(
    conn: sa.Connection, app_id: int | None = None, table_id: int | None = None
) -> list[Any]:
    q = sa.select(score_models).order_by(M.id)
    if app_id is not None:
        q = q.where(M.app_id == app_id)
    if table_id is not None:
        q = q.where(M.table_id == table_id)
    return list(conn.execute(q).mappings())


def recomputing(conn: sa.Connection, event_type: str, model_ids: Sequence[int]) -> set[int]:
    """Those of ``model_ids`` with a background run waiting or under way (a pending outbox
    event ``event_type`` naming them)."""
    if not model_ids:
        return set()
    q = sa.select(outbox.c.payload).where(
        outbox.c.type == event_type, outbox.c.processed_at.is_(None)
    )
    wanted = set(model_ids)
    return {p.get("model_id") for (p,) in conn.execute(q) if p.get("model_id") in wanted}


def stamp(conn: sa.Connection) -> Any:
    """Changes when a model is added, changed or deleted (handlers cache the models)."""
    return tuple(conn.execute(sa.select(sa.func.count(), sa.func.max(M.updated_at))).one())


def model(conn: sa.Connection, model_id: int) -> Any | None:
    return conn.execute(sa.select(score_models).where(M.id == model_id)).mappings().first()


def insert_model(conn: sa.Connection, **values: Any) -> int:
    new_id = int(
        conn.execute(sa.insert(score_models).values(**values).returning(M.id)).scalar_one()
    )
    changes.created(conn, score_models, new_id)
    return new_id


def update_model(conn: sa.Connection, model_id: int, **values: Any) -> None:
    changes.touching(conn, score_models, model_id)
    conn.execute(sa.update(score_models).where(M.id == model_id).values(**values))


def delete_model(conn: sa.Connection, model_id: int) -> None:
    changes.touching(conn, score_models, model_id)
    conn.execute(sa.delete(score_models).where(M.id == model_id))
    conn.execute(sa.delete(scores).where(S.model_id == model_id))
    conn.execute(sa.delete(score_history).where(H.model_id == model_id))


# -- scores -------------------------------------------------------------------------------------
def has_scores(conn: sa.Connection, model_id: int) -> bool:
    q = sa.select(S.record_id).where(S.model_id == model_id).limit(1)
    return conn.execute(q).first() is not None


def current(
    conn: sa.Connection, model_id: int, record_ids: Sequence[int]
) -> dict[int, tuple[float, str, Any]]:
    """record id → (score, band, contributions as stored JSON text) of those that have one."""
    if not record_ids:
        return {}
    text = sa.cast(S.contributions, sa.Text())
    q = sa.select(S.record_id, S.score, S.band, text).where(
        S.model_id == model_id, one_of(conn, S.record_id, record_ids)
    )
    return {r[0]: (r[1], r[2], r[3]) for r in conn.execute(q)}


def write_scores(
    conn: sa.Connection,
    model_id: int,
    columns: dict[str, list[Any]],
    now: datetime,
    *,
    fresh: bool = False,
) -> None:
    """Rows given by column (``record_id``, ``score``, ``band``, ``contributions`` as JSON
    text) become the records' scores; ``fresh``: none of them has one yet."""
    ids = columns["record_id"]
    if not ids:
        return
    if not fresh:
        conn.execute(
            sa.delete(scores).where(S.model_id == model_id, one_of(conn, S.record_id, ids))
        )
    n = len(ids)
    insert_columns(
        conn, _scores_text, {"model_id": [model_id] * n, "computed_at": [now] * n, **columns}
    )


def prepare_scoring(conn: sa.Connection) -> None:
    """PostgreSQL, for the rest of the transaction: no JIT compilation (a scoring page's plan
    costs enough to trigger it, and compiling takes longer than running the page), and floats
    written as text in their shortest exact form (the contributions are built so)."""
    conn.exec_driver_sql("SET LOCAL jit = off")
    conn.exec_driver_sql("SET LOCAL extra_float_digits = 1")


def upsert_scored(
    model_id: int,
    new: sa.Select[Any],
    records: Callable[[Any], Any],
    now: datetime,
    *,
    history: bool = False,
) -> sa.Select[Any]:
    """PostgreSQL: one statement that makes the rows of ``new`` (``record_id, score, band,
    contributions``) the records' scores, written only where the score, band or contributions
    differ from the stored ones (contributions compared as JSON values); ``history``: each
    moved record gets its point at ``now`` in the same statement (a model's first run). It
    answers the moved records (new, or another score or band) in id order: record id, score,
    band, previous score, previous band. Built once per run, executed per page with the
    parameters of ``new``. ``records(column)``: the condition on a record id column that
    keeps the records of ``new`` (their stored scores are read by it)."""
    n = new.cte("score_page")
    old = (
        sa.select(S.record_id, S.score, S.band, S.contributions)
        .where(S.model_id == model_id, records(S.record_id))
        .cte("score_old")
    )
    diff = (
        sa.select(
            n.c.record_id,
            n.c.score,
            n.c.band,
            n.c.contributions,
            old.c.score.label("old_score"),
            old.c.band.label("old_band"),
        )
        .select_from(n.outerjoin(old, old.c.record_id == n.c.record_id))
        .where(
            sa.or_(
                old.c.record_id.is_(None),
                old.c.score != n.c.score,
                old.c.band != n.c.band,
                sa.cast(old.c.contributions, sa.Text()) != n.c.contributions,
            )
        )
        .cte("score_diff")
        .prefix_with("MATERIALIZED")
    )
    m = sa.literal(model_id, scores.c.model_id.type)
    at = sa.literal(now, scores.c.computed_at.type)
    ins = pg.insert(scores).from_select(
        ["model_id", "record_id", "score", "band", "contributions", "computed_at"],
        sa.select(
            m,
            diff.c.record_id,
            diff.c.score,
            diff.c.band,
            sa.cast(diff.c.contributions, pg.JSON()),
            at,
        ),
    )
    ex = ins.excluded
    up = ins.on_conflict_do_update(
        index_elements=[S.model_id, S.record_id],
        set_={
            "score": ex.score,
            "band": ex.band,
            "contributions": ex.contributions,
            "computed_at": ex.computed_at,
        },
    ).cte("score_up")
    moved = sa.or_(
        diff.c.old_score.is_(None), diff.c.old_score != diff.c.score, diff.c.old_band != diff.c.band
    )
    ctes = [up]
    if history:
        points = sa.select(
            sa.literal(model_id, H.model_id.type), diff.c.record_id, at, diff.c.score, diff.c.band
        ).where(moved)
        ctes.append(
            sa.insert(score_history)
            .from_select(["model_id", "record_id", "at", "score", "band"], points)
            .cte("score_hist")
        )
    q = (
        sa.select(diff.c.record_id, diff.c.score, diff.c.band, diff.c.old_score, diff.c.old_band)
        .where(moved)
        .order_by(diff.c.record_id)
        .add_cte(*ctes)
    )
    return q


def record_scores(conn: sa.Connection, record_id: int, model_ids: Sequence[int]) -> dict[int, Any]:
    if not model_ids:
        return {}
    q = sa.select(scores).where(S.record_id == record_id, S.model_id.in_(list(model_ids)))
    return {r["model_id"]: r for r in conn.execute(q).mappings()}


def drop_scores(conn: sa.Connection, model_id: int, record_ids: Sequence[int]) -> None:
    if record_ids:
        conn.execute(
            sa.delete(scores).where(S.model_id == model_id, one_of(conn, S.record_id, record_ids))
        )


# -- history ------------------------------------------------------------------------------------
def add_history(
    conn: sa.Connection,
    model_id: int,
    points: Sequence[tuple[int, float, str]],
    now: datetime,
    day_start: datetime,
    *,
    fresh: bool = False,
) -> None:
    """A point (record id, score, band) at ``now`` for each record, replacing a point the
    record already has since ``day_start`` (at most one point per record per day); ``fresh``:
    the model has no history yet."""
    if not points:
        return
    ids = [p[0] for p in points]
    if not fresh:
        conn.execute(
            sa.delete(score_history).where(
                H.model_id == model_id, H.at >= day_start, one_of(conn, H.record_id, ids)
            )
        )
    n = len(points)
    insert_columns(
        conn,
        score_history,
        {
            "model_id": [model_id] * n,
            "record_id": ids,
            "at": [now] * n,
            "score": [p[1] for p in points],
            "band": [p[2] for p in points],
        },
    )


def history(
    conn: sa.Connection, model_id: int, record_ids: Sequence[int], since: datetime
) -> dict[int, list[tuple[datetime, float, str]]]:
    """record id → its points since ``since``, oldest first."""
    if not record_ids:
        return {}
    q = (
        sa.select(H.record_id, H.at, H.score, H.band)
        .where(H.model_id == model_id, H.at >= since, one_of(conn, H.record_id, record_ids))
        .order_by(H.record_id, H.at)
    )
    out: dict[int, list[tuple[datetime, float, str]]] = {}
    for rid, at, s, b in conn.execute(q):
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        out.setdefault(rid, []).append((at, s, b))
    return out


def distribution(conn: sa.Connection, model_id: int) -> dict[str, int]:
    q = sa.select(S.band, sa.func.count()).where(S.model_id == model_id).group_by(S.band)
    return {b: int(n) for b, n in conn.execute(q)}
