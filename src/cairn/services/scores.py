"""Score models of an app: list, create, change, delete, compute, preview; a record's scores
with their explanations; the nightly run and the outbox handler that rescores on events.

Models are part of an app's design: the routes let its managers change them
(``deps.SchemaManager``), and the unit of work audits each change (``score_model.*``). An
input is checked with its author's permissions: a formula over a field the author may not
read is refused. A reader of a record sees each score with its contributions; an input whose
formula reads a field the reader may not read shows its points and its label, never its raw
value nor the explanation built from it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import Event, Invalid, NotFound
from cairn.core import events as ev
from cairn.insight.learned import kind_after, learned_parts
from cairn.insight.learned_run import summary as learned_summary
from cairn.insight.score_run import (
    SCORE_CHANGED,
    Model,
    RunStats,
    check_inputs,
    linked_customers,
    public_inputs,
    raw_rows,
    relations_read,
    run,
    unreadable,
)
from cairn.insight.scores import contributions as scored_parts
from cairn.insight.scores import explain, histogram, parse_model, score_of
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import Catalog
from cairn.store import scores as store
from cairn.store.identity import live_count

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Live records up to which saving a model scores its table at once; a larger table is scored
#: in the background (``SCORE_RECOMPUTE``), this many records a step.
INLINE_COMPUTE = 20_000
#: The outbox event of a saved model's run in the background: one step of ``INLINE_COMPUTE``
#: records after ``after``; a step that did not reach the end emits the next.
SCORE_RECOMPUTE = "score_model.recompute"
#: Most records a preview scores.
MAX_SAMPLE = 5_000
#: Days of trend a record's score shows.
TREND_DAYS = 90
#: The record events that make a model rescore the records they touch.
WATCHED = frozenset({ev.RECORD_CREATED, ev.RECORD_UPDATED, ev.RECORD_DELETED, ev.RECORD_RESTORED})


def model_public(m: Model, cat: Catalog, recomputing: bool = False) -> dict[str, Any]:
    """The model as the API shows it; ``recomputing``: its scores are being computed in the
    background (saved over a large table)."""
    s = cat.schemas[m.table_id]
    row = m.row
    return {
        "id": m.id,
        "name": m.name,
        "table": s.table.key,
        "enabled": m.enabled,
        "kind": row["kind"],
        "inputs": public_inputs(cat, s, m.inputs),
        "bands": m.bands,
        "learned": learned_summary(s, m.inputs, row.get("learned")),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "recomputing": recomputing,
    }


def stamp_of(m: Model) -> str:
    """The model's version as a background run carries it (its ``updated_at``)."""
    return str(m.row["updated_at"])


class ScoreService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- models ------------------------------------------------------------------------------
    def list(self, app: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            rows = [
                r
                for r in store.models(uow.conn, app_id=a.id)
                if r["table_id"] in uow.catalog.schemas
            ]
            busy = store.recomputing(uow.conn, SCORE_RECOMPUTE, [r["id"] for r in rows])
            return [model_public(Model.of(r), uow.catalog, r["id"] in busy) for r in rows]

    def get(self, app: str, model_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            m = self._model(uow, app, model_id)
            busy = store.recomputing(uow.conn, SCORE_RECOMPUTE, [m.id])
            return model_public(m, uow.catalog, m.id in busy)

    def create(self, app: str, data: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            m = self.create_in(uow, app, data)
            return model_public(m, uow.catalog, self._queued(uow, m))

    def create_in(self, uow: UnitOfWork, app: str, data: Any) -> Model:
        values = self._checked(uow, app, data)
        mid = store.insert_model(
            uow.conn, created_by=uow.actor_id, created_at=uow.now, updated_at=uow.now, **values
        )
        m = self._model(uow, app, mid)
        self._rescore(uow, m)
        return m

    def export_in(self, uow: UnitOfWork, app_key: str) -> list[dict[str, Any]] | None:
        """The app's score models as a package carries them (None when it has none)."""
        a = uow.catalog.app(app_key)
        out = []
        for r in store.models(uow.conn, app_id=a.id):
            if r["table_id"] in uow.catalog.schemas:
                m = model_public(Model.of(r), uow.catalog)
                # A learned model is trained on this installation's customers: a package
                # carries the weighted model.
                out.append(
                    {k: m[k] for k in ("name", "table", "enabled", "inputs", "bands")}
                    | {"kind": "weighted"}
                )
        return out or None

    def import_in(self, uow: UnitOfWork, app_key: str, data: Any) -> dict[str, int]:
        """Score models from a package (inside its import's transaction); their ids by name.
        Errors name the package's ``score_models.<i>``."""
        if not isinstance(data, list):
            raise Invalid.on("score_models", "invalid.list")
        ids: dict[str, int] = {}
        for i, item in enumerate(data):
            try:
                ids[str(item.get("name"))] = self.create_in(uow, app_key, item).id
            except Invalid as e:
                raise e.under(f"score_models.{i}") from None
        return ids

    def update(
        self, app: str, model_id: int, data: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            before = self._model(uow, app, model_id)
            if isinstance(data, dict):
                data = {**model_public(before, uow.catalog), **data}
                for k in ("id", "created_at", "updated_at", "kind", "learned", "recomputing"):
                    data.pop(k, None)
            values = self._checked(uow, app, data)
            # Switched on or off by ScoreLearning; new inputs switch a learned model off.
            values["kind"] = kind_after(
                before.row["kind"], before.row.get("learned"), values["inputs"]
            )
            if values["table_id"] != before.table_id:
                raise Invalid.on("table", "score.shape", detail="the table cannot change")
            store.update_model(uow.conn, model_id, updated_at=uow.now, **values)
            m = self._model(uow, app, model_id)
            if (m.inputs, m.bands, m.enabled) != (before.inputs, before.bands, before.enabled):
                self._rescore(uow, m)
            busy = self._queued(uow, m) or m.id in store.recomputing(
                uow.conn, SCORE_RECOMPUTE, [m.id]
            )
            return model_public(m, uow.catalog, busy)

    def delete(self, app: str, model_id: int, principal: Principal = SYSTEM) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            self._model(uow, app, model_id)
            store.delete_model(uow.conn, model_id)

    def _rescore(self, uow: UnitOfWork, m: Model) -> None:
        """A model saved: its table scored again at once when it is small (the scores then
        match the model as saved), else in the background, ``INLINE_COMPUTE`` records a step
        (``ScoreEvents``), from an event written with the save."""
        if not m.enabled:
            return
        s = uow.catalog.schemas[m.table_id]
        if live_count(uow.conn, s) <= INLINE_COMPUTE:
            self._run(uow, m, None)
            return
        payload = {"model_id": m.id, "stamp": stamp_of(m), "after": 0, "baseline": None}
        uow.emit(Event(SCORE_RECOMPUTE, s.app.id, s.id, None, payload, None))

    @staticmethod
    def _queued(uow: UnitOfWork, m: Model) -> bool:
        """Did this unit of work queue a background run of ``m``?"""
        return any(
            e.type == SCORE_RECOMPUTE and e.payload.get("model_id") == m.id for e in uow.events
        )

    def _checked(self, uow: UnitOfWork, app: str, data: Any) -> dict[str, Any]:
        spec = parse_model(data)
        a = uow.catalog.app(app)
        try:
            s = uow.catalog.table(app, spec.table)
        except NotFound:
            raise Invalid.on("table", "score.unknown_table", table=spec.table) from None
        g = guard(uow)
        if not g.access(s).can("read"):
            raise Invalid.on("table", "score.table_hidden", table=s.table.name)
        inputs = check_inputs(uow.catalog, s, spec, g)
        return {
            "app_id": a.id,
            "table_id": s.id,
            "name": spec.name,
            "enabled": spec.enabled,
            "kind": spec.kind,
            "inputs": [i.as_dict() for i in inputs],
            "bands": spec.bands.model_dump(),
        }

    @staticmethod
    def _model(uow: UnitOfWork, app: str, model_id: int) -> Model:
        a = uow.catalog.app(app)
        row = store.model(uow.conn, model_id)
        if row is None or row["app_id"] != a.id or row["table_id"] not in uow.catalog.schemas:
            raise NotFound("score.model_not_found", id=model_id)
        return Model.of(row)

    # -- computing ---------------------------------------------------------------------------
    def compute(
        self,
        app: str,
        model_id: int,
        principal: Principal = SYSTEM,
        record_ids: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """Score the model's whole table now (or ``record_ids``); counts."""
        with unit_of_work(self.s, principal=principal) as uow:
            m = self._model(uow, app, model_id)
            stats = self._run(uow, m, record_ids)
            return {**stats.as_dict(), "bands": store.distribution(uow.conn, m.id)}

    def _run(
        self, uow: UnitOfWork, m: Model, record_ids: Sequence[int] | None, **step: Any
    ) -> RunStats:
        """``step``: ``after``, ``limit`` and ``baseline`` of a step of a background run."""
        s = uow.catalog.schemas[m.table_id]

        def emit(record_id: int, payload: dict[str, Any]) -> None:
            uow.emit(Event(SCORE_CHANGED, s.app.id, s.id, record_id, payload, None))

        return run(
            uow.conn,
            uow.catalog,
            m,
            self.s.clock,
            uow.now,
            record_ids=record_ids,
            emit=emit,
            **step,
        )

    def recompute_step(self, payload: dict[str, Any]) -> RunStats | None:
        """One step of a saved model's background run (``SCORE_RECOMPUTE``'s payload): the
        next ``INLINE_COMPUTE`` records scored, and the next step's event when records remain.
        A model deleted, disabled or saved again since (that save queued its own run) stops
        it (None)."""
        with unit_of_work(self.s) as uow:
            row = store.model(uow.conn, int(payload["model_id"]))
            if row is None or not row["enabled"] or row["table_id"] not in uow.catalog.schemas:
                return None
            m = Model.of(row)
            if stamp_of(m) != payload.get("stamp"):
                return None
            baseline = payload.get("baseline")
            if baseline is None:
                baseline = not store.has_scores(uow.conn, m.id)
            after = int(payload.get("after") or 0)
            stats = self._run(
                uow, m, None, after=after, limit=INLINE_COMPUTE, baseline=bool(baseline)
            )
            if stats.more:
                s = uow.catalog.schemas[m.table_id]
                following = {**payload, "after": stats.last, "baseline": bool(baseline)}
                uow.emit(Event(SCORE_RECOMPUTE, s.app.id, s.id, None, following, None))
            return stats

    def nightly(self) -> dict[str, int]:
        """Every enabled model over its whole table (time moves ``TODAY()``), one transaction
        per model; totals."""
        with unit_of_work(self.s, write=False) as uow:
            ids = [(r["id"], r["app_id"]) for r in store.models(uow.conn) if r["enabled"]]
            apps = {a.id: a.key for a in uow.catalog.apps.values()} if ids else {}
        total = RunStats()
        for mid, app_id in ids:
            if app_id not in apps:
                continue
            with unit_of_work(self.s) as uow:
                row = store.model(uow.conn, mid)
                if row is None or row["table_id"] not in uow.catalog.schemas:
                    continue
                st = self._run(uow, Model.of(row), None)
            total.scored += st.scored
            total.changed += st.changed
            total.events += st.events
        return total.as_dict()

    def preview(self, app: str, data: Any, sample: int, principal: Principal) -> dict[str, Any]:
        """A draft model scored over the first ``sample`` records of its table (nothing is
        written): the distribution over ten buckets and the count per band."""
        if not 1 <= sample <= MAX_SAMPLE:
            raise Invalid.on("sample", "score.sample_size", max=MAX_SAMPLE)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            values = self._checked(uow, app, data)
            s = uow.catalog.schemas[values["table_id"]]
            rows = raw_rows(uow.conn, uow.catalog, s, values["inputs"], self.s.clock, limit=sample)
            scores = [score_of(values["inputs"], values["bands"], raws).score for _, raws in rows]
            out = histogram(scores, values["bands"])
            out["count"] = len(scores)
            out["average"] = round(sum(scores) / len(scores), 1) if scores else None
            return out

    # -- a record's scores -------------------------------------------------------------------
    def of_record(
        self, app: str, table: str, record_id: int, principal: Principal = SYSTEM
    ) -> list[dict[str, Any]]:
        """The record's score under each enabled model of its table, with the contributions
        largest cost first and the trend of the last ``TREND_DAYS`` days (readers of the
        record only)."""
        self.s.records.get(app, table, record_id, principal=principal)  # NotFound otherwise
        with unit_of_work(self.s, write=False, principal=principal, reads_only=True) as uow:
            cat = uow.catalog
            s = cat.table(app, table)
            models = [Model.of(r) for r in store.models(uow.conn, table_id=s.id) if r["enabled"]]
            got = store.record_scores(uow.conn, record_id, [m.id for m in models])
            since = uow.now - timedelta(days=TREND_DAYS)
            g = guard(uow)
            out = []
            for m in models:
                row = got.get(m.id)
                if row is None:
                    continue
                past = store.history(uow.conn, m.id, [record_id], since).get(record_id, [])
                by_key = {i["key"]: i for i in m.inputs}
                contributions = []
                stored = row["contributions"]
                parts = (
                    learned_parts(m.inputs, stored)
                    if isinstance(stored, dict)
                    else scored_parts(m.inputs, stored)
                )
                for c in parts:
                    inp = by_key[c["input"]]
                    hidden = bool(unreadable(g, cat, s, inp.get("uses", [])))
                    contributions.append(
                        {
                            "input": c["input"],
                            "label": inp["label"],
                            "text": inp["label"]
                            if hidden
                            else explain(inp.get("explain", ""), inp["label"], c["raw"]),
                            "raw": None if hidden else c["raw"],
                            "points": c["points"],
                            "max": 100,
                            "impact": c["impact"],
                            "weight": inp["weight"],
                            "hidden": hidden,
                        }
                    )
                contributions.sort(key=lambda c: c["impact"])
                out.append(
                    {
                        "model_id": m.id,
                        "model": m.name,
                        "kind": "learned" if isinstance(stored, dict) else "weighted",
                        "score": row["score"],
                        "band": row["band"],
                        "bands": m.bands,
                        "computed_at": row["computed_at"],
                        "contributions": contributions,
                        "trend": [[at, sc] for at, sc, _ in past],
                    }
                )
            return out


# -- reacting to record events -------------------------------------------------------------------
class ScoreEvents:
    """The outbox handler (``Services.event_handlers``): a record of a model's table changed,
    or a record of a table its inputs read through a relation → those customers rescored (in
    one transaction per batch and model; ``score.changed`` events for what moved)."""

    name = "scores"

    def __init__(self, services: Services) -> None:
        self.s = services
        self._cache: tuple[Any, list[tuple[Model, dict[int, list[Any]]]]] | None = None

    def _models(self, uow: UnitOfWork) -> list[tuple[Model, dict[int, list[Any]]]]:
        cat = uow.catalog
        if self._cache is None or self._cache[0] is not cat or self._stale(uow):
            ms = [Model.of(r) for r in store.models(uow.conn) if r["enabled"]]
            ms = [m for m in ms if m.table_id in cat.schemas]
            self._cache = (cat, [(m, relations_read(cat, m)) for m in ms])
            self._stamp = self._version(uow)
        return self._cache[1]

    @staticmethod
    def _version(uow: UnitOfWork) -> Any:
        return store.stamp(uow.conn)

    def _stale(self, uow: UnitOfWork) -> bool:
        return self._version(uow) != getattr(self, "_stamp", None)

    def wants(self, event: Any) -> bool:
        if event.type == SCORE_RECOMPUTE:
            return True
        return event.type in WATCHED and event.table_id is not None and event.record_id is not None

    def handle(self, event: Any) -> None:
        error = self.handle_batch([event]).get(event.id)
        if error is not None:
            raise error

    def handle_batch(self, events: Sequence[Any]) -> dict[int, Exception]:
        """Record events first (which customers each model must rescore is read first; a
        write transaction is opened only when there are some: most record events touch no
        model), then the steps of background runs, each in a transaction of its own."""
        steps = [e for e in events if e.type == SCORE_RECOMPUTE]
        if len(steps) < len(events):
            self._records([e for e in events if e.type != SCORE_RECOMPUTE])
        failed: dict[int, Exception] = {}
        for e in steps:
            try:
                ScoreService(self.s).recompute_step(e.payload)
            except Exception as err:  # the step comes back; the other events are done
                failed[e.id] = err
        return failed

    def _records(self, events: Sequence[Any]) -> None:
        todo: list[tuple[Model, list[int]]] = []
        with unit_of_work(self.s, write=False) as uow:
            for m, related in self._models(uow):
                own = {e.record_id for e in events if e.table_id == m.table_id}
                for table_id, rels in related.items():
                    ids = [e.record_id for e in events if e.table_id == table_id]
                    if ids:
                        own |= linked_customers(uow.conn, uow.catalog, rels, ids)
                if own:
                    todo.append((m, sorted(own)))
        if not todo:
            return
        with unit_of_work(self.s) as uow:
            for m, ids in todo:
                row = store.model(uow.conn, m.id)
                if row is not None and row["enabled"] and row["table_id"] in uow.catalog.schemas:
                    ScoreService(self.s)._run(uow, Model.of(row), ids)
