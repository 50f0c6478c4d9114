"""Score models against the catalogue, and scoring runs.

``check_inputs`` type-checks each input's formula over the model's table (a number, fields
named as the author may read them) and returns the inputs as stored (formulas with ``#id``
references, so a rename changes nothing). ``run`` scores a table (or some of its records):
every input is compiled to SQL (``query.formula``), keyset-paged by id. On PostgreSQL a weighted
model's page is scored and written by the database in one statement (``score_sql.scored`` and
``store.scores.upsert_scored``: only rows that differ are written, the records that moved come
back); elsewhere the page's raw values (``raw_rows``, also what a learned model scores from) are
scored here (``scores.Scorer``, the reference) and the changed rows replaced. For the records
whose score or band moved: a history point (at most one per record per day) and, unless the run
sets the model's baseline, one ``score.changed`` event each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.auth.guard import Guard
from cairn.core import Clock, FieldErrors, Message
from cairn.formula import Formula, FormulaError
from cairn.insight.learned import learned_scorer
from cairn.insight.score_sql import scored
from cairn.insight.scores import ModelSpec, Scorer
from cairn.meta import junction_sides
from cairn.query.formula import canonical, compile_text, formula_compiled, shown_text
from cairn.store import Catalog, TableSchema
from cairn.store import scores as store

#: The outbox event a changed score writes on the customer record.
SCORE_CHANGED = "score.changed"
#: Records per SELECT page and write batch of a run.
BATCH = 5_000
#: Days of history a ``score.changed`` payload carries (``recent``).
RECENT_DAYS = 90


@dataclass(frozen=True)
class Input:
    key: str
    label: str
    explain: str
    normalise: dict[str, Any]
    weight: float
    #: As stored: ``{#id}`` references.
    formula: str
    #: Field ids the formula reads (relations and the fields of their tables).
    uses: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "explain": self.explain,
            "normalise": self.normalise,
            "weight": self.weight,
            "formula": self.formula,
            "uses": list(self.uses),
        }


@dataclass
class Model:
    id: int
    app_id: int
    table_id: int
    name: str
    enabled: bool
    inputs: list[dict[str, Any]]
    bands: dict[str, Any]
    row: Any = None
    compiled: dict[int, Formula] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``weighted`` (or ``learned``, scored from raw values elsewhere)."""
        return str(self.row["kind"]) if self.row is not None else "weighted"

    @classmethod
    def of(cls, row: Any) -> Model:
        return cls(
            row["id"],
            row["app_id"],
            row["table_id"],
            row["name"],
            bool(row["enabled"]),
            list(row["inputs"]),
            dict(row["bands"]),
            row,
        )


# -- checking ------------------------------------------------------------------------------------
def unreadable(g: Guard | None, cat: Catalog, s: TableSchema, uses: Sequence[int]) -> list[Any]:
    """The (field, error key) of ``uses`` that ``g``'s principal may not read (hidden or masked
    on ``s``; on a related table, also when they do not read every record of it)."""
    if g is None or g.unrestricted:
        return []
    out = []
    for fid in uses:
        f = cat.all_fields.get(fid)
        if f is None:
            continue
        ts = cat.schemas.get(f.table_id)
        if ts is None:
            continue
        if ts.id != s.id and not g.sees_through(s, ts):
            out.append((f, "score.table_hidden", ts))
            continue
        hidden, masked = g.view(ts)
        if fid in hidden or fid in masked:
            out.append((f, "score.field_hidden", ts))
    return out


def check_inputs(cat: Catalog, s: TableSchema, spec: ModelSpec, g: Guard | None) -> list[Input]:
    """The inputs as stored, or ``Invalid`` naming ``inputs.<i>.formula`` for a formula that
    does not parse, type-check as a number, or reads what the author may not read."""
    errors = FieldErrors()
    out: list[Input] = []
    for i, inp in enumerate(spec.inputs):
        loc = f"inputs.{i}.formula"
        try:
            stored, formula, uses = canonical(cat, s, inp.formula, loc)
        except FormulaError as e:
            errors.merge("", e)
            continue
        if formula.type.kind != "number":
            errors.add(loc, Message("score.not_number", {"type": formula.type.kind}))
            continue
        for f, key, ts in unreadable(g, cat, s, uses):
            errors.add(loc, Message(key, {"field": f.name, "table": ts.table.name}))
        assert inp.key is not None
        out.append(
            Input(
                inp.key,
                inp.label,
                inp.explain,
                inp.normalise.model_dump(exclude_none=True),
                float(inp.weight),
                stored,
                tuple(uses),
            )
        )
    errors.raise_if_any()
    return out


def public_inputs(cat: Catalog, s: TableSchema, inputs: Sequence[dict[str, Any]]) -> list[Any]:
    """The inputs as the API shows them: formulas with field keys, no ids."""
    return [
        {
            "key": i["key"],
            "label": i["label"],
            "formula": shown_text(cat, s, i["formula"]),
            "explain": i.get("explain", ""),
            "normalise": i["normalise"],
            "weight": i["weight"],
        }
        for i in inputs
    ]


# -- running -------------------------------------------------------------------------------------
def input_columns(
    cat: Catalog, s: TableSchema, inputs: Sequence[dict[str, Any]], source: Any, clock: Clock
) -> list[Any]:
    """Per input, its value and its error (NULL when fine) over the rows of ``source``."""
    cols: list[Any] = []
    null = sa.type_coerce(sa.null(), sa.Text())
    for i, inp in enumerate(inputs):
        formula = compile_text(cat, s, inp["formula"], f"inputs.{i}.formula")
        value, error = formula_compiled(cat, s, formula, source, clock, f"inputs.{i}.formula")
        cols.append(value.label(f"v{i}"))
        cols.append((error if error is not None else null).label(f"e{i}"))
    return cols


def raw_rows(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    inputs: Sequence[dict[str, Any]],
    clock: Clock,
    *,
    record_ids: Sequence[int] | None = None,
    after: int = 0,
    limit: int = BATCH,
) -> list[tuple[int, list[Any]]]:
    """(record id, raw input values) of live records, in id order: those of ``record_ids``, or
    the next ``limit`` after ``after``. An input whose formula errs reads as None."""
    t = s.sa_table
    q = sa.select(t.c.id, *input_columns(cat, s, inputs, t, clock)).where(t.c.deleted_at.is_(None))
    if record_ids is not None:
        q = q.where(t.c.id.in_(list(record_ids)))
    else:
        q = q.where(t.c.id > after).limit(limit)
    q = q.order_by(t.c.id)
    n = len(inputs)
    out = []
    for row in conn.execute(q):
        raws = [None if row[2 + 2 * k] is not None else row[1 + 2 * k] for k in range(n)]
        out.append((row[0], raws))
    return out


@dataclass
class RunStats:
    scored: int = 0
    changed: int = 0
    events: int = 0
    #: The last record scored, and whether a run limited to some records stopped before the
    #: end of the table.
    last: int = 0
    more: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"scored": self.scored, "changed": self.changed, "events": self.events}


Emit = Callable[[int, dict[str, Any]], None]


def local_day(now: datetime, cat: Catalog) -> tuple[datetime, Any]:
    """(the start of ``now``'s local day as UTC naive, that day's date)."""
    tz = cat.ctx.timezone
    local = now.replace(tzinfo=UTC).astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC).replace(tzinfo=None), local.date()


def run(
    conn: sa.Connection,
    cat: Catalog,
    model: Model,
    clock: Clock,
    now: datetime,
    *,
    record_ids: Sequence[int] | None = None,
    emit: Emit | None = None,
    batch: int = BATCH,
    after: int = 0,
    limit: int | None = None,
    baseline: bool | None = None,
) -> RunStats:
    """Score the model's table (or ``record_ids`` of it; or the ``limit`` records after
    ``after``: a part of a run in steps). The first run of a model (no scores yet, unless
    ``baseline`` says) sets its baseline: no events. On PostgreSQL a weighted model is scored by
    the database (``score_sql``); elsewhere each page's raw values are scored here
    (``scores.Scorer``)."""
    s = cat.schemas[model.table_id]
    stats = RunStats()
    if baseline is None:
        baseline = not store.has_scores(conn, model.id)
    day_start, _ = local_day(now, cat)
    page = _Page(conn, cat, s, model, clock, now, day_start, None if baseline else emit, stats)
    # The learned churn model, when it is switched on and fits the inputs, scores here (insight
    # .learned); a weighted model on PostgreSQL is scored by the database.
    learned = learned_scorer(model.row, model.bands)
    in_sql = conn.dialect.name == "postgresql" and model.kind == "weighted" and learned is None
    if in_sql:
        store.prepare_scoring(conn)
    page.scorer = learned or Scorer(model.inputs, model.bands)
    if record_ids is not None:
        ids = sorted(set(record_ids))
        for chunk in (ids[i : i + batch] for i in range(0, len(ids), batch)):
            if in_sql:
                found = live_ids(conn, s, record_ids=chunk)
                if found:
                    page.in_sql({"ids": found}, fresh=False)
                stats.scored += len(found)
            else:
                rows = raw_rows(conn, cat, s, model.inputs, clock, record_ids=chunk)
                page.in_python(rows, fresh=False)
                found = [r[0] for r in rows]
            store.drop_scores(conn, model.id, sorted(set(chunk) - set(found)))
        return stats
    # The first run of a model writes into empty tables: nothing to compare or replace (a run
    # in steps: only its first step is sure of that).
    fresh = baseline and after == 0

    def size() -> int:
        return batch if limit is None else min(batch, limit - stats.scored)

    while size() > 0:
        if in_sql:
            found = live_ids(conn, s, after=after, limit=size())
            if found:
                page.in_sql({"first": found[0], "last": found[-1]}, fresh=fresh)
                stats.scored += len(found)
        else:
            rows = raw_rows(conn, cat, s, model.inputs, clock, after=after, limit=size())
            page.in_python(rows, fresh=fresh)
            found = [r[0] for r in rows]
        if not found:
            return stats
        after = stats.last = found[-1]
    stats.more = bool(live_ids(conn, s, after=after, limit=1))
    return stats


def live_ids(
    conn: sa.Connection,
    s: TableSchema,
    *,
    record_ids: Sequence[int] | None = None,
    after: int = 0,
    limit: int = BATCH,
) -> list[int]:
    """The live records of ``record_ids``, or the next ``limit`` after ``after``, in id order."""
    t = s.sa_table
    q = sa.select(t.c.id).where(t.c.deleted_at.is_(None)).order_by(t.c.id)
    if record_ids is not None:
        q = q.where(t.c.id.in_(list(record_ids)))
    else:
        q = q.where(t.c.id > after).limit(limit)
    return [r[0] for r in conn.execute(q)]


#: A record whose score or band moved: (record id, score, band, previous (score, band) or None).
Moved = tuple[int, float, str, tuple[float, str] | None]


@dataclass
class _Page:
    """Writes a page of a run: its scores, and for the records that moved their history point
    and (unless the run sets the baseline) their ``score.changed`` event."""

    conn: sa.Connection
    cat: Catalog
    s: TableSchema
    model: Model
    clock: Clock
    now: datetime
    day_start: datetime
    emit: Emit | None
    stats: RunStats
    #: The statements of ``in_sql`` by (over ids, fresh): built once per run.
    statements: dict[tuple[bool, bool], Any] = field(default_factory=dict)
    #: What ``in_python`` scores with: ``scores.Scorer``, or the learned model's scorer.
    scorer: Any = None

    def in_sql(self, params: dict[str, Any], *, fresh: bool) -> None:
        """The records ``ids``, or those from ``first`` to ``last``, scored by the database."""
        key = ("ids" in params, fresh)
        q = self.statements.get(key)
        if q is None:
            m, t = self.model, self.s.sa_table
            if key[0]:

                def records(c: Any) -> Any:
                    return c.in_(sa.bindparam("ids", expanding=True))
            else:

                def records(c: Any) -> Any:
                    return sa.and_(c >= sa.bindparam("first"), c <= sa.bindparam("last"))

            new = scored(self.cat, self.s, m.inputs, m.bands, self.clock, records(t.c.id))
            q = store.upsert_scored(m.id, new, records, self.now, history=fresh)
            self.statements[key] = q
        moved: list[Moved] = [
            (rid, sc, band, None if old is None else (old, old_band))
            for rid, sc, band, old, old_band in self.conn.execute(q, params)
        ]
        self._moved(moved, history=not fresh, fresh=False)

    def in_python(self, rows: list[tuple[int, list[Any]]], *, fresh: bool) -> None:
        m = self.model
        scorer = self.scorer or Scorer(m.inputs, m.bands)
        self.stats.scored += len(rows)
        before = {} if fresh else store.current(self.conn, m.id, [r[0] for r in rows])
        ids: list[int] = []
        values: list[float] = []
        bands: list[str] = []
        texts: list[str] = []
        moved: list[Moved] = []
        for rid, raws in rows:
            sc = scorer(raws)
            text = sc.stored
            old = before.get(rid)
            if old is not None and old[0] == sc.score and old[1] == sc.band and old[2] == text:
                continue
            ids.append(rid)
            values.append(sc.score)
            bands.append(sc.band)
            texts.append(text)
            if old is None or old[0] != sc.score or old[1] != sc.band:
                moved.append((rid, sc.score, sc.band, None if old is None else (old[0], old[1])))
        columns = {"record_id": ids, "score": values, "band": bands, "contributions": texts}
        store.write_scores(self.conn, m.id, columns, self.now, fresh=fresh)
        self._moved(moved, history=True, fresh=fresh)

    def _moved(self, moved: list[Moved], *, history: bool, fresh: bool) -> None:
        """``history``: write the moved records' points here; ``fresh``: the model has none."""
        if not moved:
            return
        self.stats.changed += len(moved)
        m, now = self.model, self.now
        if self.emit is not None:
            since = now - timedelta(days=RECENT_DAYS)
            past = store.history(self.conn, m.id, [r[0] for r in moved], since)
            for rid, score, band, old in moved:
                self.emit(rid, payload(m, score, band, old, past.get(rid, []), self.cat, now))
                self.stats.events += 1
        if history:
            points = [(rid, score, band) for rid, score, band, _ in moved]
            store.add_history(self.conn, m.id, points, now, self.day_start, fresh=fresh)


def payload(
    model: Model,
    score: float,
    band: str,
    old: tuple[float, str] | None,
    past: Sequence[tuple[datetime, float, str]],
    cat: Catalog,
    now: datetime,
) -> dict[str, Any]:
    """What ``score.changed`` carries: the new and previous score and band, and the highest
    score of each day of the last ``RECENT_DAYS`` before this change (local days, oldest
    first), which the churn triggers decide from."""
    days: dict[str, float] = {}
    for at, value, _ in past:
        d = local_day(at, cat)[1].isoformat()
        days[d] = max(days.get(d, value), value)
    return {
        "model_id": model.id,
        "model": model.name,
        "score": score,
        "previous": None if old is None else old[0],
        "band": band,
        "previous_band": None if old is None else old[1],
        "day": local_day(now, cat)[1].isoformat(),
        "recent": [[d, v] for d, v in sorted(days.items())],
    }


# -- what an event touches --------------------------------------------------------------------------
def relations_read(cat: Catalog, model: Model) -> dict[int, list[Any]]:
    """Related table id → the relation fields of the model's table its inputs read through."""
    s = cat.schemas.get(model.table_id)
    out: dict[int, list[Any]] = {}
    if s is None:
        return out
    for inp in model.inputs:
        for fid in inp.get("uses", []):
            f = s.by_id.get(fid)
            if f is None or not f.reaches_rows or f.reached_table_id is None:
                continue
            if f not in out.setdefault(f.reached_table_id, []):
                out[f.reached_table_id].append(f)
    return out


def linked_customers(
    conn: sa.Connection, cat: Catalog, relations: Sequence[Any], record_ids: Sequence[int]
) -> set[int]:
    """The records of the model's table linked to ``record_ids`` of a related table through
    ``relations`` (the junction rows, so a related record just deleted still counts)."""
    out: set[int] = set()
    for rel in relations:
        if rel.is_subform:
            rows = cat.schema(int(rel.options["table_id"])).sa_table
            q = sa.select(rows.c.parent_id).where(rows.c.id.in_(list(record_ids)))
        else:
            this, other = junction_sides(rel)
            j = cat.junction(rel)
            q = sa.select(j.c[this]).where(j.c[other].in_(list(record_ids)))
        out.update(r[0] for r in conn.execute(q))
    return out
