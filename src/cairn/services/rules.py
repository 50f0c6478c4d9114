"""Rules: CRUD (checked against the table at the edge), the engine that runs them on record
events, scans for date, schedule and inactivity triggers, waits, dry runs, forecasts and the
inbound webhook.

Execution is at least once with no duplicate effect: a run is keyed per rule by what started it
(``event:<outbox id>``, ``fire:<record>:<fire key>``, ``hook:<token>``); each action's outcome
is kept in the run; a record write marks its action done in its own transaction, and a
notification carries an idempotency key per (rule, run, action). A failure a retry may cure is
raised to the dispatcher (back-off, then the run is marked failed and stays visible).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal, manages_app
from cairn.auth.secrets import same
from cairn.core import CairnError, Conflict, Event, Forbidden, Invalid, NotFound
from cairn.core import events as ev
from cairn.formula import Formula
from cairn.reports import parse_model
from cairn.rules import (
    GRACE,
    ActionCheck,
    CheckContext,
    RuleIn,
    RuleSpec,
    RunContext,
    ScanContext,
    builtin_actions,
    builtin_triggers,
    condition_formula,
    evaluate,
    evaluate_many,
    runlog,
    truth,
)
from cairn.rules.triggers import InboundWebhook
from cairn.services.dispatch import MAX_ATTEMPTS, OutboxEvent
from cairn.services.notify import OutboundMessage
from cairn.services.rule_actions import NotifierPorts, outbound
from cairn.services.rule_actions import deliveries as _deliveries
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import rules as store
from cairn.store import system
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

TRIGGERS = builtin_triggers()
ACTIONS = builtin_actions()
RECORD_EVENTS = frozenset(
    {
        ev.RECORD_CREATED,
        ev.RECORD_UPDATED,
        ev.RECORD_DELETED,
        # the process engine's, on the record its instance runs on
        "process.task_overdue",
        "process.completed",
    }
)
#: Seconds a rule owner's principal is reused before it is looked up again.
OWNER_TTL = 30.0


def _iso(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat(timespec="seconds") + "Z"


def rule_public(row: Any, table_key: str) -> dict[str, Any]:
    spec = row["spec"] or {}
    out = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "description": row["description"],
        "table": table_key,
        "enabled": bool(row["enabled"]),
        "owner_id": row["owner_id"],
        "trigger": spec.get("trigger"),
        "condition": spec.get("condition"),
        "actions": spec.get("actions", []),
        "version": row["version"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }
    if row["secret"]:
        out["webhook"] = {
            "path": f"/api/v1/hooks/rules/{row['id']}/{row['secret']}",
            "secret": row["secret"],
        }
    return out


def run_public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "event_id": row["event_id"],
        "record_id": row["record_id"],
        "status": row["status"],
        "late": bool(row["late"]),
        "condition": row["condition"],
        "depth": row["depth"],
        "actions": row["actions"] or [],
        "error": row["error"],
        "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
    }


@dataclass
class Compiled:
    """A rule ready to run against the current catalogue."""

    row: dict[str, Any]
    spec: RuleSpec
    schema: TableSchema
    formulas: dict[str, Formula]
    info: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def kind(self) -> str:
        return TRIGGERS.of(self.spec.trigger).kind

    @property
    def armed_event_id(self) -> int:
        """The outbox position when the rule was last enabled (``store.rules.armed``)."""
        return int(self.row.get("armed_event_id") or 0)

    @property
    def needs_record(self) -> bool:
        """Whether an action reads the record itself (templates, recipients, copied values,
        related records) beyond the formulas computed in SQL."""
        for a in self.spec.actions:
            if a.type in ("notify", "webhook"):
                return True
            if a.type == "update_record" and a.target != "this":  # type: ignore[union-attr]
                return True
            values = getattr(a, "values", {}) or {}
            if any(v.field is not None and v.field != "id" for v in values.values()):
                return True
        return False


class RuleService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- checks ------------------------------------------------------------------------------
    def _require(self, uow: UnitOfWork, app_id: int) -> None:
        if not manages_app(uow.conn, uow.principal, app_id):
            raise Forbidden("auth.forbidden")

    def _schema(self, uow: UnitOfWork, app: str, table: str) -> TableSchema:
        try:
            return uow.catalog.table(app, table)
        except NotFound:
            raise Invalid.on("table", "rule.table_unknown", table=table) from None

    def compile(self, uow: UnitOfWork, row: Any, spec: RuleSpec | None = None) -> Compiled:
        """Check a rule against the catalogue: fields, formulas, templates; what it runs with."""
        cat = uow.catalog
        schema = cat.schema(int(row["table_id"]))
        spec = spec or parse_model(RuleSpec, row["spec"])
        TRIGGERS.of(spec.trigger).check(spec.trigger, CheckContext(cat, schema))
        formulas: dict[str, Formula] = {}
        if spec.condition:
            formulas["condition"] = condition_formula(cat, schema, spec.condition, "condition")
        notifier = self.s.notifier
        for i, a in enumerate(spec.actions):
            c = ActionCheck(
                cat,
                schema,
                schema.app.key,
                f"actions.{i}",
                tuple(notifier.channels()),
                notifier.check_template,
            )
            ACTIONS.of(a).check(a, c)
            formulas.update(c.formulas)
        targets = {
            f.key: cat.schema(int(f.options["target_table_id"])).table.key
            for f in schema.fields
            if f.type == "relation"
        }
        info = {
            "id": row["id"],
            "key": row["key"],
            "name": row["name"],
            "app": schema.app.key,
            "table": schema.table.key,
            "app_id": schema.app.id,
            "table_id": schema.id,
            "owner_id": row["owner_id"],
            "secret": row["secret"],
            "targets": targets,
            "field_kinds": {f.key: f.type for f in schema.fields},
            "field_names": {f.key: f.name for f in schema.fields},
        }
        return Compiled(dict(row), spec, schema, formulas, info)

    def _check(self, uow: UnitOfWork, app: str, data: RuleIn) -> tuple[TableSchema, RuleSpec]:
        schema = self._schema(uow, app, data.table)
        spec = parse_model(RuleSpec, data.spec_data())
        fake = {
            "id": 0,
            "key": data.key,
            "name": data.name,
            "table_id": schema.id,
            "owner_id": uow.principal.user_id,
            "secret": None,
            "spec": spec.model_dump(mode="json", by_alias=True),
        }
        self.compile(uow, fake, spec)
        return schema, spec

    @staticmethod
    def _spec_json(spec: RuleSpec) -> dict[str, Any]:
        return spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    # -- CRUD --------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            return [self._public(uow, r) for r in store.list_for(uow.conn, a.id)]

    def _public(self, uow: UnitOfWork, row: Any) -> dict[str, Any]:
        s = uow.catalog.schemas.get(int(row["table_id"]))
        return rule_public(row, s.table.key if s else "")

    def _row(self, uow: UnitOfWork, app: str, rule_id: int) -> Any:
        a = uow.catalog.app(app)
        self._require(uow, a.id)
        row = store.get(uow.conn, a.id, rule_id)
        if row is None:
            raise NotFound("rule.not_found", id=rule_id)
        return row

    def get(self, principal: Principal, app: str, rule_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return self._public(uow, self._row(uow, app, rule_id))

    def create(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        d = parse_model(RuleIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            rule_id = self.create_in(uow, app, d)
            return self._public(uow, store.get(uow.conn, a.id, rule_id))

    def create_in(self, uow: UnitOfWork, app: str, d: RuleIn, owner_id: int | None = None) -> int:
        a = uow.catalog.app(app)
        schema, spec = self._check(uow, app, d)
        if store.key_taken(uow.conn, a.id, d.key):
            raise Invalid.on("key", "key.taken", key=d.key)
        rule_id = store.insert(
            uow.conn,
            uow.now,
            app_id=a.id,
            table_id=schema.id,
            key=d.key,
            name=d.name,
            description=d.description,
            enabled=d.enabled,
            owner_id=owner_id if owner_id is not None else uow.principal.user_id,
            spec=self._spec_json(spec),
            secret=secrets.token_urlsafe(24) if spec.trigger.type == "webhook" else None,
        )
        uow.schema_changed()  # every process reloads its rules with the catalogue
        return rule_id

    def update(self, principal: Principal, app: str, rule_id: int, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise Invalid.on("version", "record.version_required")
        d = parse_model(RuleIn, {k: v for k, v in data.items() if k != "version"})
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            schema, spec = self._check(uow, app, d)
            if store.key_taken(uow.conn, row["app_id"], d.key, other_than=rule_id):
                raise Invalid.on("key", "key.taken", key=d.key)
            values: dict[str, Any] = {
                "key": d.key,
                "name": d.name,
                "description": d.description,
                "table_id": schema.id,
                "enabled": d.enabled,
                "spec": self._spec_json(spec),
            }
            if d.enabled and not row["enabled"]:
                values.update(store.armed(uow.conn, uow.now))
            if spec.trigger.type == "webhook" and not row["secret"]:
                values["secret"] = secrets.token_urlsafe(24)
            if not store.update(uow.conn, rule_id, version, uow.now, **values):
                raise Conflict("record.stale", expected=version, actual=row["version"])
            uow.schema_changed()
            return self._public(uow, store.get(uow.conn, row["app_id"], rule_id))

    def delete(self, principal: Principal, app: str, rule_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            self._row(uow, app, rule_id)
            store.delete(uow.conn, rule_id)
            uow.schema_changed()

    def runs(
        self,
        principal: Principal,
        app: str,
        rule_id: int,
        limit: int = 50,
        before: int | None = None,
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, rule_id)
            rows = store.list_runs(uow.conn, rule_id, min(max(limit, 1), 500), before)
            items = [run_public(r) for r in rows]
            waits = [
                {"run_id": j["run_id"], "due_at": _iso(j["due_at"])}
                for j in store.pending_jobs(uow.conn, rule_id)
            ]
        return {"items": items, "waiting": waits}

    # -- dry run and forecast ------------------------------------------------------------------
    def test(self, principal: Principal, app: str, rule_id: int, record_id: int) -> dict[str, Any]:
        """What the rule would do for ``record_id``, without doing it."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            c = self.compile(uow, row)
        engine = self.s.rule_engine
        owner = engine.owner(c)
        values, record = engine.read(c, record_id, owner)
        if values is None:
            raise NotFound("record.not_found", id=record_id)
        condition = truth(values["condition"]) if "condition" in c.formulas else None
        ports = engine.ports(c, owner, 0)
        actions = []
        for i, a in enumerate(c.spec.actions):
            ctx = RunContext(
                c.info | {"link": engine.link(c, record_id)}, record_id, record, values, i
            )
            try:
                effect = ACTIONS.of(a).resolve(a, ctx, ports)
                actions.append({"index": i, "type": a.type, "would": effect})
            except CairnError as e:
                actions.append({"index": i, "type": a.type, "error": str(e.message.key)})
        return {
            "record_id": record_id,
            "condition": condition,
            "would_run": condition is not False,
            "actions": actions,
        }

    def forecast(self, principal: Principal, app: str, rule_id: int, days: int) -> dict[str, Any]:
        """The firings a date, schedule or inactivity rule has coming in the next ``days``."""
        if not 1 <= days <= 366:
            raise Invalid.on("days", "value.max", max=366)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            c = self.compile(uow, row)
            if c.kind != "scan":
                raise Invalid.on("trigger", "rule.no_forecast")
            ctx = self._scan_context(uow, c)
            until = uow.now + timedelta(days=days)
            dues = TRIGGERS.of(c.spec.trigger).due(c.spec.trigger, ctx, until)
        items = [
            {
                "record_id": d.record_id or None,
                "fire_key": d.fire_key,
                "due_at": _iso(d.due_at),
                "overdue": d.due_at <= ctx.now,
            }
            for d in sorted(dues, key=lambda d: (d.due_at, d.record_id))
        ]
        return {"days": days, "items": items[:1000], "total": len(items)}

    # -- scans -------------------------------------------------------------------------------
    def _scan_context(self, uow: UnitOfWork, c: Compiled) -> ScanContext:
        return ScanContext(
            uow.conn, uow.catalog, c.schema, c.id, c.row["armed_at"], uow.now, self.s.clock
        )

    def scan(self) -> dict[str, int]:
        """Fire what is due (date, schedule and inactivity rules) and resume finished waits: each
        a fired-once row and an outbox event, in one transaction per rule. Run by one periodic
        job every minute; what came due while no worker ran fires now, marked late."""
        fired = late = resumed = 0
        for rule_id in self.s.rule_engine.scan_rule_ids():
            try:
                with unit_of_work(self.s) as uow:
                    c = self.s.rule_engine.compiled(uow, rule_id)
                    if c is None or c.kind != "scan":
                        continue
                    n, n_late = self._fire(uow, c)
                    fired += n
                    late += n_late
            except Exception:  # one broken rule must not stop the others
                log.exception("rule %s: scan failed", rule_id)
        with unit_of_work(self.s) as uow:
            for job in store.take_due_jobs(uow.conn, uow.now):
                resumed += 1
                rule = store.get(uow.conn, None, job["rule_id"])
                if rule is None:
                    continue
                uow.emit(
                    Event(
                        runlog.RESUME,
                        rule["app_id"],
                        rule["table_id"],
                        job["payload"].get("record_id"),
                        {
                            **job["payload"],
                            "rule_id": job["rule_id"],
                            "run_id": job["run_id"],
                            "late": uow.now - job["due_at"] > GRACE,
                        },
                    )
                )
        return {"fired": fired, "late": late, "resumed": resumed}

    def _fire(self, uow: UnitOfWork, c: Compiled) -> tuple[int, int]:
        ctx = self._scan_context(uow, c)
        dues = TRIGGERS.of(c.spec.trigger).due(c.spec.trigger, ctx)
        if not dues:
            return 0, 0
        armed = c.row["armed_at"]
        rows = [(d.record_id, d.fire_key, d.due_at, d.late(uow.now, armed)) for d in dues]
        from cairn.store.bulk import insert_many

        insert_many(
            uow.conn,
            system.rule_firings,
            [
                {
                    "rule_id": c.id,
                    "record_id": rid,
                    "fire_key": key,
                    "due_at": due,
                    "fired_at": uow.now,
                    "late": is_late,
                }
                for rid, key, due, is_late in rows
            ],
        )
        n = n_late = 0
        for rid, key, due, is_late in rows:
            if not rid:
                continue  # a schedule's occurrence marker
            n += 1
            n_late += is_late
            uow.emit(
                Event(
                    runlog.FIRED,
                    c.schema.app.id,
                    c.schema.id,
                    rid,
                    {
                        "rule_id": c.id,
                        "run_key": f"fire:{rid}:{key}",
                        "trigger": c.spec.trigger.type,
                        "late": is_late,
                        "due_at": _iso(due),
                    },
                )
            )
        return n, n_late

    # -- inbound webhook ---------------------------------------------------------------------
    def inbound(self, rule_id: int, secret: str, body: Any) -> dict[str, Any]:
        """A JSON delivery to a webhook rule: a record created or updated (as the rule's owner)
        and the rule's actions run on it. Wrong secret or rule: not found (nothing told)."""
        engine = self.s.rule_engine
        with unit_of_work(self.s, write=False) as uow:
            row = store.get(uow.conn, None, rule_id)
            ok = row is not None and row["secret"] and row["enabled"]
            if not same(secret, row["secret"] if ok else "x" * 32) or not ok:
                raise NotFound("rule.not_found", id=rule_id)
            c = self.compile(uow, row)
        spec = c.spec.trigger
        assert spec.type == "webhook"
        if not isinstance(body, dict):
            raise Invalid.on("body", "filter.shape")
        values = InboundWebhook.extract(spec, body)
        owner = engine.owner(c)
        app, table = c.info["app"], c.info["table"]
        run_key = f"hook:{secrets.token_hex(12)}"
        record_id: int | None = None
        if spec.match is not None and values.get(spec.match) not in (None, ""):
            found = self.s.records.query(
                app,
                table,
                filter={"field": spec.match, "op": "eq", "value": values[spec.match]},
                limit=1,
                fields=[spec.match],
                principal=owner,
            )["items"]
            if found:
                record_id = found[0]["id"]
                values = {**values, "id": record_id, "version": found[0]["version"]}

        def fire(uow: UnitOfWork) -> None:
            rid = record_id if record_id is not None else uow.events[0].record_id
            uow.emit(
                Event(
                    runlog.FIRED,
                    c.schema.app.id,
                    c.schema.id,
                    rid,
                    {"rule_id": c.id, "run_key": run_key, "trigger": "webhook"},
                )
            )

        written = self.s.records.bulk(
            app,
            table,
            [values],
            principal=owner,
            single=True,
            return_items=False,
            event_meta=runlog.event_meta(c.id, 0),
            before_commit=fire,
        )
        rid = written["ids"][0]
        return {"record_id": rid, "created": record_id is None}

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        a = uow.catalog.app(app)
        out = []
        for r in store.list_for(uow.conn, a.id):
            pub = self._public(uow, r)
            out.append(
                {
                    k: pub[k]
                    for k in (
                        "key",
                        "name",
                        "description",
                        "table",
                        "enabled",
                        "trigger",
                        "condition",
                        "actions",
                    )
                    if pub[k] is not None
                }
            )
        return out

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("rules", "package.shape", detail="rules must be a list")
        for i, item in enumerate(items):
            try:
                self.create_in(uow, app, parse_model(RuleIn, item, f"rules.{i}"))
            except Invalid as e:
                raise Invalid(
                    "invalid.input",
                    {
                        (k if k.startswith("rules.") else f"rules.{i}.{k}"): v
                        for k, v in e.field_errors.items()
                    },
                ) from None


# -- the engine ----------------------------------------------------------------------------------
@dataclass
class _Run:
    """A run an event starts: a rule over the event's record."""

    c: Compiled
    event: OutboxEvent
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


class _Demote(Exception):
    """A batch rolled back to run ``keys`` (rule id, run key) on their own."""

    def __init__(self, keys: set[tuple[int, str]]) -> None:
        super().__init__(f"{len(keys)} runs on their own")
        self.keys = keys


class RuleEngine:
    """The rule engine as an outbox handler (``Services.event_handlers``)."""

    name = "rules"

    def __init__(self, services: Services) -> None:
        self.s = services
        self._cache: tuple[Any, dict[int, Compiled | None], dict[int, list[int]]] | None = None
        self._owners: dict[int, tuple[float, Principal]] = {}

    # rules per catalogue snapshot (a rule change bumps the schema version everywhere)
    def _rules(self, uow: UnitOfWork) -> tuple[dict[int, Compiled | None], dict[int, list[int]]]:
        cat = uow.catalog
        if self._cache is None or self._cache[0] is not cat:
            by_id: dict[int, Compiled | None] = {}
            by_table: dict[int, list[int]] = {}
            svc = RuleService(self.s)
            for row in store.enabled(uow.conn):
                try:
                    c: Compiled | None = svc.compile(uow, row)
                except Exception as e:  # its table changed under it: the rule waits, logged
                    log.warning("rule %s (%s) cannot run: %s", row["id"], row["key"], e)
                    c = None
                by_id[row["id"]] = c
                if c is not None and c.kind == "event":
                    by_table.setdefault(c.schema.id, []).append(c.id)
            self._cache = (cat, by_id, by_table)
        return self._cache[1], self._cache[2]

    def compiled(self, uow: UnitOfWork, rule_id: int) -> Compiled | None:
        return self._rules(uow)[0].get(rule_id)

    def scan_rule_ids(self) -> list[int]:
        with unit_of_work(self.s, write=False) as uow:
            by_id, _ = self._rules(uow)
            return [i for i, c in by_id.items() if c is not None and c.kind == "scan"]

    # EventHandler -------------------------------------------------------------------------
    def wants(self, event: OutboxEvent) -> bool:
        """Record events (``handle`` looks for the table's rules) and the engine's own."""
        if event.type in (runlog.FIRED, runlog.RESUME):
            return True
        return event.type in RECORD_EVENTS and event.table_id is not None

    def handle(self, event: OutboxEvent) -> None:
        error = self.handle_batch([event]).get(event.id)
        if error is not None:
            raise error

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """The runs of a claimed batch of events, in event order (``BatchHandler``): runs whose
        actions are all in-app notifications are written together (``_run_batch``), any other
        run on its own (``run``) after what came before it was written. Failures by event id."""
        errors: dict[int, Exception] = {}
        batch: list[_Run] = []

        def flush() -> None:
            for event_id, e in self._run_batch(batch).items():
                errors.setdefault(event_id, e)
            batch.clear()

        with unit_of_work(self.s, write=False) as uow:
            by_id, by_table = self._rules(uow)
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
                if self._batchable(r):
                    batch.append(r)
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
        event: OutboxEvent,
        by_id: dict[int, Compiled | None],
        by_table: dict[int, list[int]],
    ) -> list[_Run] | None:
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
            return [_Run(c, event, p["run_key"], trigger, event.record_id, bool(p.get("late")))]
        out = []
        for rule_id in by_table.get(event.table_id or 0, []):
            c = by_id[rule_id]
            assert c is not None
            if event.id <= c.armed_event_id:
                continue  # committed before the rule was enabled
            if TRIGGERS.of(c.spec.trigger).matches(c.spec.trigger, event.type, p):
                out.append(_Run(c, event, f"event:{event.id}", event.type, event.record_id))
        return out

    def _resume(self, event: OutboxEvent) -> None:
        p = event.payload
        c = self._get(p["rule_id"])
        with unit_of_work(self.s, write=False) as uow:
            run = store.run_by_id(uow.conn, p["run_id"])
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

    # batches --------------------------------------------------------------------------------
    def _batchable(self, r: _Run) -> bool:
        """A run the batch path may take: a new run over a record, within the depth limit,
        whose owner is active and whose actions are all in-app notifications (written in the
        run's own transaction). Anything else runs on its own (``run``)."""
        c = r.c
        if not r.record_id or r.depth > runlog.MAX_DEPTH or not c.spec.actions:
            return False
        for a in c.spec.actions:
            if a.type != "notify" or a.channel.partition(":")[0] != "inapp":  # type: ignore[union-attr]
                return False
        try:
            self.owner(c)
        except Exception:  # ``run`` records why (a disabled owner) or raises (a lost database)
            return False
        return True

    def _run_batch(self, runs: Sequence[_Run]) -> dict[int, Exception]:
        """Batchable runs in one transaction: the run keys looked up, the records read and the
        conditions computed per rule, the notifications and the settled runs written with one
        insert each. A run the batch cannot settle (started before: a replay; a template or a
        recipient that fails) runs afterwards on its own, and so does every later run on the
        same record (its order kept). If the transaction fails, all of them run on their own."""
        if not runs:
            return {}
        demote: set[tuple[int, str]] = set()
        slow: list[_Run] = list(runs)
        for _ in range(3):
            try:
                with unit_of_work(self.s) as uow:
                    slow = self._batch_in(uow, runs, demote)
                break
            except _Demote as d:  # rolled back: again without the runs that cannot go
                demote |= d.keys
            except Exception:
                log.warning("rules: a batch of %d runs failed", len(runs), exc_info=True)
                break
        errors: dict[int, Exception] = {}
        for r in slow:
            if r.event.id in errors:
                continue
            try:
                r.start(self)
            except Exception as e:
                errors[r.event.id] = e
        return errors

    def _batch_in(
        self, uow: UnitOfWork, runs: Sequence[_Run], demote: set[tuple[int, str]]
    ) -> list[_Run]:
        """Write what the runs do in ``uow``; the runs left to ``run``, in order."""
        rr = system.rule_runs
        ids: dict[int, list[int]] = {}
        keys: dict[int, list[str]] = {}
        rules: dict[int, Compiled] = {}
        for r in runs:
            ids.setdefault(r.c.id, []).append(r.record_id or 0)
            keys.setdefault(r.c.id, []).append(r.run_key)
            rules[r.c.id] = r.c
        started: set[tuple[int, str]] = set()
        for rule_id, rule_keys in keys.items():  # on the (rule, run key) index
            for k in range(0, len(rule_keys), 500):
                q = sa.select(rr.c.run_key).where(
                    rr.c.rule_id == rule_id, rr.c.run_key.in_(rule_keys[k : k + 500])
                )
                started.update((rule_id, key) for key in uow.conn.execute(q).scalars())
        reads = {i: self._read_many(uow, rules[i], ids[i]) for i in ids}
        slow: list[_Run] = []
        blocked: set[tuple[int | None, int | None]] = set()
        settled: list[tuple[_Run, dict[str, Any]]] = []
        sends: list[tuple[_Run, dict[str, Any], list[float]]] = []
        for r in runs:
            where = (r.event.table_id, r.record_id)
            key = (r.c.id, r.run_key)
            if where in blocked or key in started or key in demote:
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
            try:
                messages, times = self._messages(r, values, records[r.record_id or 0])
            except Exception:  # it fails on its own, in its run log
                slow.append(r)
                blocked.add(where)
                continue
            sends.append((r, row | {"status": runlog.OK, "messages": messages}, times))
        t0 = time.perf_counter()
        outcomes = self.s.notify.send_in_many(uow, [row["messages"] for _, row, _ in sends])
        failed = {
            (r.c.id, r.run_key)
            for (r, _, _), o in zip(sends, outcomes, strict=True)
            if isinstance(o, Exception)
        }
        if failed:
            raise _Demote(failed)
        share = (time.perf_counter() - t0) * 1000 / max(len(sends), 1)
        for (r, row, times), deliveries in zip(sends, outcomes, strict=True):
            assert not isinstance(deliveries, Exception)
            row.pop("messages")
            row["actions"] = [
                runlog.entry(i, "notify", "ok", times[i] + share, {"deliveries": _deliveries(ds)})
                for i, ds in enumerate(deliveries)
            ]
            settled.append((r, row))
        if settled:
            order = {id(r): n for n, r in enumerate(runs)}
            settled.sort(key=lambda x: order[id(x[0])])
            uow.conn.execute(
                sa.insert(rr),
                [
                    {
                        "rule_id": r.c.id,
                        "run_key": r.run_key,
                        "trigger": r.trigger,
                        "event_id": r.event.id,
                        "record_id": r.record_id,
                        "depth": r.depth,
                        "late": r.late,
                        "started_at": uow.now,
                        "finished_at": uow.now,
                        **row,
                    }
                    for r, row in settled
                ],
            )
        return slow

    def _read_many(
        self, uow: UnitOfWork, c: Compiled, record_ids: Sequence[int]
    ) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
        """``_read_in`` for many records: (formula values, the records as the rule's owner
        sees them), each by record id; a record that does not exist is in neither."""
        from cairn.services.records import RecordService

        values = evaluate_many(
            uow.conn, uow.catalog, c.schema, record_ids, c.formulas, self.s.clock
        )
        present = [i for i in dict.fromkeys(record_ids) if i in values]
        if not c.needs_record:
            return values, {i: {"id": i} for i in present}
        view = UnitOfWork(self.s, uow.conn, None, self.owner(c))  # the same transaction
        view._catalog = uow.catalog
        records = {r["id"]: r for r in RecordService(self.s)._read(view, c.schema, present)}
        missing = [i for i in present if i not in records]
        if missing:  # deleted (a deletion trigger) or outside the owner's row scope
            t = c.schema.sa_table
            rows = uow.conn.execute(sa.select(t.c.id, t.c.owner_id).where(t.c.id.in_(missing)))
            owners = {i: owner for i, owner in rows}
            for i in missing:
                records[i] = {"id": i, "owner_id": owners.get(i)}
        return values, records

    def _messages(
        self, r: _Run, values: dict[str, Any], record: dict[str, Any]
    ) -> tuple[list[OutboundMessage], list[float]]:
        """The in-app messages of a run's notify actions (as ``run`` resolves them), and the
        milliseconds each took."""
        c = r.c
        ports = self.ports(c, self.owner(c), r.depth)
        info = c.info | {"link": self.link(c, r.record_id)}
        out: list[OutboundMessage] = []
        times: list[float] = []
        for i, a in enumerate(c.spec.actions):
            t0 = time.perf_counter()
            effect = ACTIONS.of(a).resolve(
                a, RunContext(info, r.record_id, record, values, i), ports
            )
            out.append(outbound(effect, runlog.action_key(c.id, r.run_key, i)))
            times.append((time.perf_counter() - t0) * 1000)
        return out, times

    def _get(self, rule_id: int) -> Compiled | None:
        with unit_of_work(self.s, write=False) as uow:
            return self.compiled(uow, rule_id)

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
        principal = self._owner(owner_id)
        self._owners[owner_id] = (time.monotonic(), principal)
        return principal

    def _owner(self, owner_id: int) -> Principal:
        with unit_of_work(self.s, write=False) as uow:
            u = system.users
            row = uow.conn.execute(
                sa.select(u.c.id, u.c.username, u.c.is_admin, u.c.status).where(u.c.id == owner_id)
            ).first()
        if row is None or row.status != "active":
            raise Forbidden("rule.owner_gone")
        return Principal(row.id, row.username, bool(row.is_admin), "rule")

    def link(self, c: Compiled, record_id: int | None) -> str:
        if not record_id:
            return ""
        return f"/apps/{c.info['app']}/tables/{c.info['table']}/records/{record_id}"

    def read(
        self, c: Compiled, record_id: int, owner: Principal
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(formula values, the record as its owner sees it) for one record."""
        with unit_of_work(self.s, write=False, principal=owner) as uow:
            return self._read_in(uow, c, record_id)

    def ports(self, c: Compiled, owner: Principal, depth: int) -> ServicePorts:
        return ServicePorts(self.s, owner, runlog.event_meta(c.id, depth))

    # running --------------------------------------------------------------------------------
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
        """One run: (1) find or start it, compute the condition and action values and read the
        record, in one transaction; (2) each action, its outcome recorded in the transaction of
        its own write where it has one (the last also settles the run)."""
        n_actions = len(c.spec.actions)
        try:
            owner = self.owner(c)
        except CairnError as e:
            owner, owner_error = SYSTEM, _text(e)
        else:
            owner_error = None
        with unit_of_work(self.s, principal=owner) as uow:
            run = store.run_by_key(uow.conn, c.id, run_key)
            if run is None:
                run_id = store.start_run(
                    uow.conn,
                    uow.now,
                    rule_id=c.id,
                    run_key=run_key,
                    trigger=trigger,
                    event_id=event_id,
                    record_id=record_id,
                    depth=depth,
                    late=late,
                )
                done: set[int] = set()
                log_entries: list[dict[str, Any]] = []
            else:
                if run["status"] in runlog.FINAL:
                    return  # a replay: it ran already
                if run["status"] == runlog.WAITING and start == 0:
                    return  # the replayed trigger of a run that waits
                run_id = run["id"]
                log_entries = list(run["actions"] or [])
                done = {a["index"] for a in log_entries if a.get("status") == "ok"}
                if start:
                    store.set_run(uow.conn, run_id, status=runlog.RUNNING, late=late)

            def settle(status: str, error: str | None = None, **more: Any) -> None:
                store.set_run(
                    uow.conn, run_id, status=status, error=error, finished_at=uow.now, **more
                )

            if depth > runlog.MAX_DEPTH:
                settle(runlog.STOPPED, f"loop protection: depth {depth} > {runlog.MAX_DEPTH}")
                return
            if owner_error is not None:
                settle(runlog.FAILED, owner_error)
                return
            values, record = self._read_in(uow, c, record_id) if record_id else ({}, {})
            if values is None:
                settle(runlog.SKIPPED, "the record is gone")
                return
            if "condition" in c.formulas and (start == 0 or recheck):
                met = truth(values["condition"])
                store.set_run(uow.conn, run_id, condition=met)
                if not met:
                    settle(runlog.SKIPPED, condition=False)
                    return
            if all(i in done for i in range(start, n_actions)):
                settle(runlog.OK)
                return
        ports = self.ports(c, owner, depth)
        info = c.info | {"link": self.link(c, record_id)}
        last = max(i for i in range(start, n_actions) if i not in done)
        for i in range(start, n_actions):
            if i in done:
                continue
            a = c.spec.actions[i]
            at = ACTIONS.of(a)
            t0 = time.perf_counter()
            if a.type == "wait":
                with unit_of_work(self.s) as uow:
                    due = uow.now + timedelta(seconds=a.seconds)  # type: ignore[union-attr]
                    store.add_job(
                        uow.conn,
                        c.id,
                        run_id,
                        "wait",
                        due,
                        {"next": i + 1, "recheck": a.recheck, "record_id": record_id},  # type: ignore[union-attr]
                        uow.now,
                    )
                    entry = runlog.entry(i, a.type, "ok", 0, {"until": _iso(due)})
                    store.set_run(
                        uow.conn,
                        run_id,
                        status=runlog.WAITING,
                        actions=runlog.merge(log_entries, entry),
                    )
                return

            def mark(
                uow: UnitOfWork, result: Any = None, i: int = i, t0: float = t0, a: Any = a
            ) -> None:
                """The action's outcome, in the transaction of its effect (the last settles)."""
                if result is None:
                    result = {"records": [e.record_id for e in uow.events]}
                ms = (time.perf_counter() - t0) * 1000
                actions = runlog.merge(log_entries, runlog.entry(i, a.type, "ok", ms, result))
                settled = (
                    {"status": runlog.OK, "error": None, "finished_at": uow.now}
                    if i == last
                    else {}
                )
                store.set_run(uow.conn, run_id, actions=actions, **settled)
                log_entries[:] = actions

            key = runlog.action_key(c.id, run_key, i)
            try:
                ctx = RunContext(info, record_id, record, values, i)
                effect = at.resolve(a, ctx, ports)
                at.apply(a, effect, ports, key, mark)
            except Exception as e:
                ms = (time.perf_counter() - t0) * 1000
                msg = _text(e)
                retryable = getattr(e, "retryable", not isinstance(e, CairnError))
                give_up = not (retryable and attempts < MAX_ATTEMPTS)
                with unit_of_work(self.s) as uow:
                    store.set_run(
                        uow.conn,
                        run_id,
                        actions=runlog.merge(
                            log_entries, runlog.entry(i, a.type, "failed", ms, error=msg)
                        ),
                        error=msg,
                        **({"status": runlog.FAILED, "finished_at": uow.now} if give_up else {}),
                    )
                if give_up:
                    return
                raise  # the dispatcher tries the event again after a back-off

    def _read_in(
        self, uow: UnitOfWork, c: Compiled, record_id: int
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(formula values, the record as the unit of work's principal sees it)."""
        from cairn.services.records import RecordService

        values = evaluate(uow.conn, uow.catalog, c.schema, record_id, c.formulas, self.s.clock)
        if values is None:
            return None, {}
        if not c.needs_record:
            return values, {"id": record_id}
        rows = RecordService(self.s)._read(uow, c.schema, [record_id])
        if rows:
            return values, rows[0]
        # deleted (a deletion trigger) or outside the owner's row scope: its id and owner
        t = c.schema.sa_table
        live = uow.conn.execute(sa.select(t.c.id, t.c.owner_id).where(t.c.id == record_id)).first()
        return values, {"id": record_id, "owner_id": live.owner_id if live else None}


def _text(e: Exception) -> str:
    if isinstance(e, CairnError):
        from cairn.core.i18n import render

        try:
            return render(e.message, "en")
        except Exception:
            return e.message.key
    return f"{type(e).__name__}: {e}"[:2000]


class ServicePorts(NotifierPorts):
    """The rule engine's ports over the services: writes as the rule's owner, carrying the
    loop depth; notifications through ``services.notifier``."""

    def __init__(self, services: Services, principal: Principal, meta: dict[str, Any]) -> None:
        self.s = services
        self.principal = principal
        self.meta = meta

    def update_records(
        self, app: str, table: str, ids: Any, values: dict[str, Any], also: Any
    ) -> list[int]:
        for _ in range(3):
            with unit_of_work(self.s, write=False) as uow:
                t = uow.catalog.table(app, table).sa_table
                versions = uow.conn.execute(
                    sa.select(t.c.id, t.c.version).where(
                        t.c.id.in_(list(ids)), t.c.deleted_at.is_(None)
                    )
                ).all()
            if not versions:
                with unit_of_work(self.s) as uow:
                    also(uow)
                return []
            items = [{**values, "id": rid, "version": v} for rid, v in versions]
            try:
                self.s.records.bulk(
                    app,
                    table,
                    items,
                    principal=self.principal,
                    return_items=False,
                    event_meta=self.meta,
                    before_commit=also,
                )
            except Conflict:
                continue  # changed meanwhile: read the versions again
            return [rid for rid, _ in versions]
        raise Conflict("rule.update_conflict")

    def create_record(self, app: str, table: str, values: dict[str, Any], also: Any) -> int:
        written = self.s.records.bulk(
            app,
            table,
            [values],
            principal=self.principal,
            single=True,
            return_items=False,
            event_meta=self.meta,
            before_commit=also,
        )
        return int(written["ids"][0])

    def process_exists(self, app: str, key: str) -> bool:
        try:
            self.s.processes.get_definition(app, key)
        except NotFound:
            return False
        return True

    def start_process(self, app: str, key: str, record_id: int, also: Any) -> int:
        started = self.s.processes.start_for_rule(
            app,
            key,
            record_id,
            self.principal.user_id,
            before_commit=also,
            event_meta=self.meta,
        )
        return int(started["id"])

    def send(self, message: dict[str, Any], *, key: str, also: Any) -> list[dict[str, Any]]:
        return self.s.notifier.send(message, key=key, also=also)


class ChannelNotifier:
    """``rules.ports.Notifier`` over ``services.notify`` (the notification channels)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def render(self, template: str, context: dict[str, Any]) -> str:
        from cairn.integrations import templates

        return templates.render(template, context)

    def check_template(self, template: str, loc: str, known: Any = None) -> None:
        from cairn.integrations import templates

        templates.check(template, known, loc)

    def channels(self) -> list[str]:
        return list(self.s.channels.keys())

    def send(self, message: dict[str, Any], *, key: str, also: Any = None) -> list[dict[str, Any]]:
        """In-app notifications are written in the same transaction as ``also`` (exactly once
        with the run's record of them); other channels send first, then ``also`` commits."""
        m = outbound(message, key)
        notify = self.s.notify
        if message["channel"].partition(":")[0] == "inapp":
            with unit_of_work(self.s) as uow:
                out = _deliveries(notify.send_in(uow, m))
                if also is not None:
                    also(uow, {"deliveries": out})
            return out
        out = _deliveries(notify.send(m))
        if also is not None:
            with unit_of_work(self.s) as uow:
                also(uow, {"deliveries": out})
        return out
