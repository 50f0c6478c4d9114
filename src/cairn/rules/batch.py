"""Runs written together: runs whose actions are all in-app notifications, of a claimed batch
of events, in one transaction (``RuleEngine.handle_batch``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.core import actionlog
from cairn.rules import runlog
from cairn.rules.action_base import RunContext
from cairn.rules.compiled import Compiled, with_owners
from cairn.rules.evaluate import evaluate_many, truth
from cairn.rules.ports import HandledEvent, Work
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine

log = logging.getLogger(__name__)


@dataclass
class Run:
    """A run an event starts: a rule over the event's record."""

    c: Compiled
    event: HandledEvent
    run_key: str
    trigger: str
    record_id: int | None
    late: bool = False

    @property
    def depth(self) -> int:
        return runlog.depth_of(self.event.payload)

    def start(self, engine: RuleEngine) -> None:
        engine.run(
            self.c,
            run_key=self.run_key,
            trigger=self.trigger,
            record_id=self.record_id,
            depth=self.depth,
            event_id=self.event.id,
            late=self.late,
            attempts=self.event.attempts,
        )


class Demote(Exception):
    """A batch rolled back to run ``keys`` (rule id, run key) on their own."""

    def __init__(self, keys: set[tuple[int, str]]) -> None:
        super().__init__(f"{len(keys)} runs on their own")
        self.keys = keys


def inapp_only(c: Compiled) -> bool:
    """Whether every action of the rule is an in-app notification (written in the batch)."""
    return bool(c.spec.actions) and all(
        a.type == "notify" and a.channel.partition(":")[0] == "inapp"  # type: ignore[union-attr]
        for a in c.spec.actions
    )


def batchable(engine: RuleEngine, r: Run) -> bool:
    """A run the batch path may take: a new run over a record, within the depth limit,
    whose owner is active, and whose actions are all in-app notifications (written in the
    run's own transaction) or whose rule has a condition (computed with the others: when it
    is false the run is settled as skipped there, else the run goes on on its own). Anything
    else runs on its own (``RuleEngine.run``)."""
    c = r.c
    if not r.record_id or r.depth > runlog.MAX_DEPTH or not c.spec.actions:
        return False
    if not inapp_only(c) and "condition" not in c.formulas:
        return False
    try:
        engine.owner(c)
    except Exception:  # ``run`` records why (a disabled owner) or raises (a lost database)
        return False
    return True


def run_batch(engine: RuleEngine, runs: Sequence[Run]) -> dict[int, Exception]:
    """Batchable runs in one transaction: the run keys looked up, the records read and the
    conditions computed per rule, the notifications and the settled runs written with one
    insert each. A run the batch cannot settle (started before: a replay; a template or a
    recipient that fails) runs afterwards on its own, and so does every later run on the
    same record (its order kept). If the transaction fails, all of them run on their own."""
    if not runs:
        return {}
    demote: set[tuple[int, str]] = set()
    slow: list[Run] = list(runs)
    for _ in range(3):
        try:
            with engine.runtime.work() as work:
                slow = _batch_in(engine, work, runs, demote)
            break
        except Demote as d:  # rolled back: again without the runs that cannot go
            demote |= d.keys
        except Exception:
            log.warning("rules: a batch of %d runs failed", len(runs), exc_info=True)
            break
    errors: dict[int, Exception] = {}
    for r in slow:
        if r.event.id in errors:
            continue
        try:
            r.start(engine)
        except Exception as e:
            errors[r.event.id] = e
    return errors


def _batch_in(
    engine: RuleEngine, work: Work, runs: Sequence[Run], demote: set[tuple[int, str]]
) -> list[Run]:
    """Write what the runs do in ``work``; the runs left to ``RuleEngine.run``, in order."""
    ids: dict[int, list[int]] = {}
    keys: dict[int, list[str]] = {}
    rules: dict[int, Compiled] = {}
    for r in runs:
        ids.setdefault(r.c.id, []).append(r.record_id or 0)
        keys.setdefault(r.c.id, []).append(r.run_key)
        rules[r.c.id] = r.c
    started: set[tuple[int, str]] = set()
    for rule_id, rule_keys in keys.items():
        started.update((rule_id, k) for k in store.started_keys(work.conn, rule_id, rule_keys))
    reads = {i: _read_many(engine, work, rules[i], ids[i]) for i in ids}
    slow: list[Run] = []
    blocked: set[tuple[int | None, int | None]] = set()
    settled: list[tuple[Run, dict[str, Any]]] = []
    sends: list[tuple[Run, dict[str, Any], list[float]]] = []
    #: A run that acts beyond in-app messages goes on on its own; what comes after it may
    #: depend on what it writes (any record, through lookups and rollups): it waits too.
    barrier = False
    for r in runs:
        where = (r.event.table_id, r.record_id)
        key = (r.c.id, r.run_key)
        if barrier or where in blocked or key in started or key in demote:
            slow.append(r)
            blocked.add(where)
            continue
        values_of, records = reads[r.c.id]
        values = values_of.get(r.record_id or 0)
        row: dict[str, Any] = {"condition": None, "actions": [], "error": None}
        if values is None:
            settled.append((r, row | {"status": runlog.SKIPPED, "error": "the record is gone"}))
            continue
        if "condition" in r.c.formulas:
            row["condition"] = truth(values["condition"])
            if not row["condition"]:
                settled.append((r, row | {"status": runlog.SKIPPED}))
                continue
        if not inapp_only(r.c):
            slow.append(r)
            barrier = True
            continue
        try:
            messages, times = _messages(engine, r, values, records[r.record_id or 0])
        except Exception:  # it fails on its own, in its run log
            slow.append(r)
            blocked.add(where)
            continue
        sends.append((r, row | {"status": runlog.OK, "messages": messages}, times))
    t0 = time.perf_counter()
    outcomes = engine.runtime.send_in_many(work, [row["messages"] for _, row, _ in sends])
    failed = {
        (r.c.id, r.run_key)
        for (r, _, _), o in zip(sends, outcomes, strict=True)
        if isinstance(o, Exception)
    }
    if failed:
        raise Demote(failed)
    share = (time.perf_counter() - t0) * 1000 / max(len(sends), 1)
    for (r, row, times), deliveries in zip(sends, outcomes, strict=True):
        assert not isinstance(deliveries, Exception)
        row.pop("messages")
        row["actions"] = [
            actionlog.entry(i, "notify", "ok", times[i] + share, {"deliveries": ds})
            for i, ds in enumerate(deliveries)
        ]
        settled.append((r, row))
    if settled:
        order = {id(r): n for n, r in enumerate(runs)}
        settled.sort(key=lambda x: order[id(x[0])])
        store.insert_runs(
            work.conn,
            [
                {
                    "rule_id": r.c.id,
                    "run_key": r.run_key,
                    "trigger": r.trigger,
                    "event_id": r.event.id,
                    "record_id": r.record_id,
                    "depth": r.depth,
                    "late": r.late,
                    "started_at": work.now,
                    "finished_at": work.now,
                    **row,
                }
                for r, row in settled
            ],
        )
    return slow


def _read_many(
    engine: RuleEngine, work: Work, c: Compiled, record_ids: Sequence[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """``RuleEngine.read_in`` for many records: (formula values, the records as the rule's
    owner sees them), each by record id; a record that does not exist is in neither."""
    clock = engine.runtime.clock
    values = evaluate_many(work.conn, work.catalog, c.schema, record_ids, c.formulas, clock)
    present = [i for i in dict.fromkeys(record_ids) if i in values]
    if not c.needs_record:
        return values, {i: {"id": i} for i in present}
    rows = with_owners(work, c, engine.runtime.read_rows(work, c.schema, present, engine.owner(c)))
    records = {r["id"]: r for r in rows}
    missing = [i for i in present if i not in records]
    if missing:  # deleted (a deletion trigger) or outside the owner's row scope
        owners = store.record_owners(work.conn, c.schema.sa_table, missing)
        for i in missing:
            records[i] = {"id": i, "owner_id": owners.get(i)}
    return values, records


def _messages(
    engine: RuleEngine, r: Run, values: dict[str, Any], record: dict[str, Any]
) -> tuple[list[tuple[dict[str, Any], str]], list[float]]:
    """The in-app messages of a run's notify actions (as ``run`` resolves them) with their
    idempotency keys, and the milliseconds each took."""
    c = r.c
    ports = engine.ports(c, engine.owner(c), r.depth)
    info = c.info | {"link": engine.link(c, r.record_id)}
    out: list[tuple[dict[str, Any], str]] = []
    times: list[float] = []
    for i, a in enumerate(c.spec.actions):
        t0 = time.perf_counter()
        effect = engine.actions.of(a).resolve(
            a, RunContext(info, r.record_id, record, values, i), ports
        )
        out.append((effect, runlog.action_key(c.id, r.run_key, i)))
        times.append((time.perf_counter() - t0) * 1000)
    return out, times
