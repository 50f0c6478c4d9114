"""The rule engine's runner: an outbox handler (``cairn.worker.dispatch``) that runs the rules an
event starts.

Execution is at least once with no duplicate effect: a run is keyed per rule by what started it
(``event:<outbox id>``, ``fire:<record>:<fire key>``, ``hook:<token>``); each action's outcome
is kept in the run; a record write marks its action done in its own transaction, and a
notification carries an idempotency key per (rule, run, action). A failure a retry may cure is
raised to the dispatcher (back-off, then the run is marked failed and stays visible). Runs whose
actions are all in-app notifications are written together (``batch``). What the runner needs
from the platform is ``ports.Runtime``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from cairn.auth import SYSTEM, Principal
from cairn.core import CairnError
from cairn.core import events as ev
from cairn.rules import batch, execute, inbound, runlog, scanner
from cairn.rules.action_base import ActionRegistry, RunContext
from cairn.rules.actions import builtin_actions
from cairn.rules.compiled import Checked, Compiled, check_rule, compile_rule, with_owners
from cairn.rules.draft import Draft
from cairn.rules.evaluate import evaluate, truth
from cairn.rules.ports import HandledEvent, Notifier, RulePorts, Runtime, Saving, Work
from cairn.rules.spec import RuleSpec, parse_spec
from cairn.rules.triggers import TriggerRegistry, builtin_triggers
from cairn.store import rules as store
from cairn.store.catalog import TableSchema

log = logging.getLogger(__name__)

RECORD_EVENTS = frozenset(
    {
        ev.RECORD_CREATED,
        ev.RECORD_UPDATED,
        ev.RECORD_DELETED,
        ev.RECORD_MERGED,
        ev.RECORD_UNMERGED,
        # the process engine's, on the record its instance runs on
        "process.task_overdue",
        "process.completed",
        # a record entered or left a segment (``insight.segments``)
        ev.SEGMENT_ENTERED,
        ev.SEGMENT_EXITED,
        # the insight engine's score models, on the scored record (churn warnings)
        "score.changed",
    }
)
#: Seconds a rule owner's principal is reused before it is looked up again.
OWNER_TTL = 30.0


class RuleEngine:
    """The rule engine as an outbox handler (``Services.event_handlers``)."""

    name = "rules"

    def __init__(
        self,
        runtime: Runtime,
        notifier: Notifier,
        *,
        max_attempts: int,
        triggers: TriggerRegistry | None = None,
        actions: ActionRegistry | None = None,
    ) -> None:
        self.runtime = runtime
        self.notifier = notifier
        #: Attempts the dispatcher makes per event: on the last, a failed run is recorded as
        #: failed instead of raised.
        self.max_attempts = max_attempts
        self.triggers = triggers if triggers is not None else builtin_triggers()
        self.actions = actions if actions is not None else builtin_actions()
        self._cache: tuple[Any, dict[int, Compiled | None], dict[int, list[int]]] | None = None
        self._owners: dict[int, tuple[float, Principal]] = {}

    def compile(
        self,
        work: Work,
        row: Mapping[str, Any],
        spec: RuleSpec | None = None,
        saving: Saving | None = None,
    ) -> Compiled:
        """Check a rule against the catalogue (``compiled.compile_rule``)."""
        spec = spec if spec is not None else parse_spec(row["spec"])
        return compile_rule(
            work.catalog, row, self.notifier, self.triggers, self.actions, spec, saving
        )

    def check(
        self, work: Work, schema: TableSchema, draft: Draft, saving: Saving | None = None
    ) -> Checked:
        """A draft checked part by part, every error collected (``compiled.check_rule``)."""
        return check_rule(
            work.catalog, schema, draft, self.notifier, self.triggers, self.actions, saving
        )

    # rules per catalogue snapshot (a rule change bumps the schema version everywhere)
    def _rules(self, work: Work) -> tuple[dict[int, Compiled | None], dict[int, list[int]]]:
        cat = work.catalog
        if self._cache is None or self._cache[0] is not cat:
            by_id: dict[int, Compiled | None] = {}
            by_table: dict[int, list[int]] = {}
            for row in store.enabled(work.conn):
                try:
                    c: Compiled | None = self.compile(work, row)
                except Exception as e:  # its table changed under it: the rule waits, logged
                    log.warning("rule %s (%s) cannot run: %s", row["id"], row["key"], e)
                    c = None
                by_id[row["id"]] = c
                if c is not None and c.kind == "event":
                    by_table.setdefault(c.schema.id, []).append(c.id)
            self._cache = (cat, by_id, by_table)
        return self._cache[1], self._cache[2]

    def compiled(self, work: Work, rule_id: int) -> Compiled | None:
        return self._rules(work)[0].get(rule_id)

    def scan(self) -> dict[str, int]:
        """Fire what date, schedule and inactivity rules have due; resume finished waits
        (``scanner.scan``)."""
        return scanner.scan(self)

    def forecast(self, work: Work, c: Compiled, days: int) -> dict[str, Any]:
        """The firings scanned rule ``c`` has coming in the next ``days``."""
        return scanner.forecast(self, work, c, days)

    def receive(self, c: Compiled, body: Any) -> dict[str, Any]:
        """A delivery to webhook rule ``c`` (``inbound.receive``)."""
        return inbound.receive(self, c, body)

    def scan_rule_ids(self) -> list[int]:
        with self.runtime.work(write=False) as work:
            by_id, _ = self._rules(work)
            return [i for i, c in by_id.items() if c is not None and c.kind == "scan"]

    # EventHandler -------------------------------------------------------------------------
    def wants(self, event: HandledEvent) -> bool:
        """Record events (``handle`` looks for the table's rules) and the engine's own."""
        if event.type in (runlog.FIRED, runlog.RESUME):
            return True
        if event.payload.get(ev.NO_RULES):
            return False
        return event.type in RECORD_EVENTS and event.table_id is not None

    def handle(self, event: HandledEvent) -> None:
        error = self.handle_batch([event]).get(event.id)
        if error is not None:
            raise error

    def handle_batch(self, events: Sequence[HandledEvent]) -> dict[int, Exception]:
        """The runs of a claimed batch of events, in event order (``BatchHandler``): runs whose
        actions are all in-app notifications are written together (``batch.run_batch``), any
        other run on its own (``run``) after what came before it was written. Failures by
        event id."""
        errors: dict[int, Exception] = {}
        pending: list[batch.Run] = []

        def flush() -> None:
            for event_id, e in batch.run_batch(self, pending).items():
                errors.setdefault(event_id, e)
            pending.clear()

        with self.runtime.work(write=False) as work:
            by_id, by_table = self._rules(work)
        for event in events:
            try:
                runs = self._runs_of(event, by_id, by_table)
            except Exception as e:
                errors[event.id] = e
                continue
            if runs is None:
                flush()
                try:
                    self._resume(event)
                except Exception as e:
                    errors[event.id] = e
                continue
            for r in runs:
                if batch.batchable(self, r):
                    pending.append(r)
                    continue
                flush()
                if event.id in errors:
                    break
                try:
                    r.start(self)
                except Exception as e:  # the event comes back; its other rules run then
                    errors[event.id] = e
                    break
        flush()
        return errors

    def _runs_of(
        self,
        event: HandledEvent,
        by_id: dict[int, Compiled | None],
        by_table: dict[int, list[int]],
    ) -> list[batch.Run] | None:
        """The runs an event starts; None for a wait that is over (``_resume``). A rule reacts
        only to events committed after it was (last) enabled: numbered above its
        ``armed_event_id`` (a wait that is over goes on: its run began while it was enabled)."""
        p = event.payload
        if event.type == runlog.RESUME:
            return None
        if event.type == runlog.FIRED:
            c = by_id.get(p["rule_id"])
            if c is None or event.id <= c.armed_event_id:
                return []
            trigger = p.get("trigger", "date")
            late = bool(p.get("late"))
            return [batch.Run(c, event, p["run_key"], trigger, event.record_id, late)]
        out = []
        for rule_id in by_table.get(event.table_id or 0, []):
            c = by_id[rule_id]
            assert c is not None
            if event.id <= c.armed_event_id:
                continue  # committed before the rule was enabled
            if self.triggers.of(c.spec.trigger).matches(c.spec.trigger, event.type, p):
                out.append(batch.Run(c, event, f"event:{event.id}", event.type, event.record_id))
        return out

    def _resume(self, event: HandledEvent) -> None:
        p = event.payload
        with self.runtime.work(write=False) as work:
            c = self.compiled(work, p["rule_id"])
        with self.runtime.work(write=False) as work:
            run = store.run_by_id(work.conn, p["run_id"])
        if c is None or run is None:
            return
        self.run(
            c,
            run_key=run["run_key"],
            trigger=run["trigger"],
            record_id=run["record_id"],
            depth=run["depth"],
            event_id=run["event_id"],
            late=bool(p.get("late")) or bool(run["late"]),
            start=int(p["next"]),
            recheck=bool(p.get("recheck")),
            attempts=event.attempts,
        )

    # helpers --------------------------------------------------------------------------------
    def owner(self, c: Compiled) -> Principal:
        """The rule owner's principal (actions run with the owner's permissions); looked up
        again after ``OWNER_TTL`` seconds (a disabled owner stops the rule soon)."""
        owner_id = c.row.get("owner_id")
        if owner_id is None:
            return SYSTEM
        cached = self._owners.get(owner_id)
        if cached is not None and time.monotonic() - cached[0] < OWNER_TTL:
            return cached[1]
        principal = self.runtime.owner(owner_id)
        self._owners[owner_id] = (time.monotonic(), principal)
        return principal

    def link(self, c: Compiled, record_id: int | None) -> str:
        """The record's page in the web UI (what a message links to)."""
        if not record_id:
            return ""
        return f"/apps/{c.info['app']}/tables/{c.info['table']}/records/{record_id}"

    def read(
        self, c: Compiled, record_id: int, owner: Principal
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(formula values, the record as its owner sees it) for one record."""
        with self.runtime.work(write=False, principal=owner) as work:
            return self.read_in(work, c, record_id)

    def read_in(
        self, work: Work, c: Compiled, record_id: int
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(formula values, the record as the unit of work's principal sees it)."""
        clock = self.runtime.clock
        values = evaluate(work.conn, work.catalog, c.schema, record_id, c.formulas, clock)
        if values is None:
            return None, {}
        if not c.needs_record:
            return values, {"id": record_id}
        rows = self.runtime.read_rows(work, c.schema, [record_id])
        if rows:
            return values, with_owners(work, c, rows)[0]
        # deleted (a deletion trigger) or outside the owner's row scope: its id and owner
        owners = store.record_owners(work.conn, c.schema.sa_table, [record_id])
        return values, {"id": record_id, "owner_id": owners.get(record_id)}

    def run(
        self,
        c: Compiled,
        *,
        run_key: str,
        trigger: str,
        record_id: int | None,
        depth: int,
        event_id: int | None = None,
        late: bool = False,
        start: int = 0,
        recheck: bool = False,
        attempts: int = 1,
    ) -> None:
        """One run of ``c`` (``execute.run``)."""
        execute.run(
            self,
            c,
            run_key=run_key,
            trigger=trigger,
            record_id=record_id,
            depth=depth,
            event_id=event_id,
            late=late,
            start=start,
            recheck=recheck,
            attempts=attempts,
        )

    def ports(self, c: Compiled, owner: Principal, depth: int) -> RulePorts:
        """The ports of a run's actions: writes as ``owner``, carrying the loop depth."""
        return self.runtime.action_ports(owner, runlog.event_meta(c.id, depth))

    def dry_run(self, c: Compiled, record_id: int) -> dict[str, Any] | None:
        """What the rule would do for ``record_id``, without doing it; None when the record
        is not there."""
        owner = self.owner(c)
        values, record = self.read(c, record_id, owner)
        if values is None:
            return None
        condition = truth(values["condition"]) if "condition" in c.formulas else None
        ports = self.ports(c, owner, 0)
        actions = []
        for i, a in enumerate(c.spec.actions):
            ctx = RunContext(
                c.info | {"link": self.link(c, record_id)}, record_id, record, values, i
            )
            try:
                effect = self.actions.of(a).resolve(a, ctx, ports)
                actions.append({"index": i, "type": a.type, "would": effect})
            except CairnError as e:
                actions.append({"index": i, "type": a.type, "error": str(e.message.key)})
        return {
            "record_id": record_id,
            "condition": condition,
            "would_run": condition is not False,
            "actions": actions,
        }
