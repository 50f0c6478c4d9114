"""Alerts (报表预警): a threshold on a KPI or a dataset measure, checked on a schedule by the
worker; a crossing runs rule-engine actions once, a recovery re-arms the alert.

The value is computed with the permissions of the alert's owner (a department-scoped owner's
alert watches the department's figures). Each check is logged (value, state change, actions,
error). A crossing is numbered (``alerts.crossings``) and its check row carries the key
``crossing:<n>`` (unique per alert): the actions run through the rule engine's action types
with an idempotency key per (alert, crossing, action), each marked done in the transaction of
its effect, so a retried or resumed crossing never notifies or writes twice. A crossing whose
actions did not all finish (a crash, a retryable failure) is resumed by the next scan.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from cairn.auth import SYSTEM, Entry, Principal, manages_app
from cairn.core import CairnError, Conflict, FieldErrors, Forbidden, Invalid, NotFound
from cairn.reports import (
    AlertIn,
    AlertSchedule,
    AlertSpec,
    evaluate,
    next_check,
    parse_model,
    run_kpi,
)
from cairn.reports.periods import period_filter, resolve_period
from cairn.rules import ActionCheck, RunContext, runlog
from cairn.rules.spec import Action
from cairn.services.reports import scope_of
from cairn.services.rules import ACTIONS, ServicePorts
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import alerts as store
from cairn.store import system

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

#: The rule-engine actions an alert may run (there is no record to update or wait on).
ALERT_ACTIONS = frozenset({"notify", "webhook", "create_record", "start_process"})
#: What a notify or webhook template of an alert may read.
TEMPLATE_NAMES = (
    "alert",
    "key",
    "name",
    "value",
    "threshold",
    "op",
    "unit",
    "period",
    "state",
    "owner_id",
    "record",
    "rule",
    "link",
)
#: Tries of a crossing's actions before the check is marked failed.
MAX_ATTEMPTS = 5
#: The fields of the alert spec (stored in ``alerts.spec``).
SPEC_KEYS = ("kpi", "dataset", "op", "threshold", "period", "date_field")


class _Actions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actions: list[Annotated[Action, Field(discriminator="type")]]


def _iso(v: Any) -> str | None:
    return None if v is None else v.isoformat(timespec="seconds") + "Z"


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _as(uow: UnitOfWork, principal: Principal) -> UnitOfWork:
    """A read view of ``uow`` (its connection and catalogue: what it wrote so far) for another
    principal, so a spec is checked with its owner's permissions inside the same transaction
    (an app package's alerts are checked before its app commits)."""
    view = UnitOfWork(uow.services, uow.conn, None, principal)
    view._catalog = uow.catalog
    view.now = uow.now
    return view


def _text(e: BaseException) -> str:
    if isinstance(e, CairnError):
        from cairn.core.i18n import render

        def say(m: Any) -> str:
            try:
                return render(m, "en")
            except Exception:
                return str(m.key)

        text = say(e.message)
        fields = getattr(e, "field_errors", None) or {}
        details = [f"{loc}: {say(m)}" for loc, ms in fields.items() for m in ms]
        return (text + (" " + "; ".join(details) if details else ""))[:2000]
    return f"{type(e).__name__}: {e}"[:2000]


def alert_public(row: Any) -> dict[str, Any]:
    spec = row["spec"] or {}
    out: dict[str, Any] = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "owner_id": row["owner_id"],
    }
    out.update({k: spec[k] for k in SPEC_KEYS if k in spec})
    out.update(
        {
            "schedule": row["schedule"],
            "actions": row["actions"] or [],
            "state": row["state"],
            "crossings": row["crossings"],
            "last_value": row["last_value"],
            "last_checked_at": _iso(row["last_checked_at"]),
            "last_fired_at": _iso(row["last_fired_at"]),
            "next_check_at": _iso(row["next_check_at"]),
            "version": row["version"],
            "created_at": _iso(row["created_at"]),
            "updated_at": _iso(row["updated_at"]),
        }
    )
    return out


def check_public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "value": row["value"],
        "state_before": row["state_before"],
        "state": row["state"],
        "change": row["change"],
        "crossing": int(row["fire_key"].split(":")[1]) if row["fire_key"] else None,
        "status": row["status"],
        "attempts": row["attempts"],
        "actions": row["actions"] or [],
        "error": row["error"],
        "checked_at": _iso(row["checked_at"]),
        "finished_at": _iso(row["finished_at"]),
    }


class AlertService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- checks of a definition ----------------------------------------------------------------
    def _require(self, uow: UnitOfWork, app_id: int) -> None:
        if not manages_app(uow.conn, uow.principal, app_id):
            raise Forbidden("auth.forbidden")

    def _row(self, uow: UnitOfWork, app: str, alert_id: int) -> Any:
        a = uow.catalog.app(app)
        self._require(uow, a.id)
        row = store.get(uow.conn, a.id, alert_id)
        if row is None:
            raise NotFound("alert.not_found", id=alert_id)
        return row

    @staticmethod
    def _owner(uow: UnitOfWork, owner_id: int | None) -> Principal:
        """The principal whose permissions compute the value (None: the system)."""
        if owner_id is None:
            return SYSTEM
        u = system.users
        row = uow.conn.execute(
            sa.select(u.c.id, u.c.username, u.c.is_admin, u.c.status).where(u.c.id == owner_id)
        ).first()
        if row is None or row.status != "active":
            raise Invalid.on("owner_id", "alert.owner_gone", id=owner_id)
        return Principal(row.id, row.username, bool(row.is_admin), "alert")

    def compute(self, uow: UnitOfWork, app: str, spec: AlertSpec) -> dict[str, Any]:
        """The watched value now, as the unit of work's principal sees it: ``value``, ``unit``
        and ``period`` (a KPI's, or the alert's)."""
        reports = self.s.reports
        scope = scope_of(uow)
        tz = uow.catalog.ctx.timezone
        if spec.kpi is not None:
            if spec.kpi.key not in self.s.kpis:
                raise Invalid.on("kpi.key", "report.kpi_unknown", kpi=spec.kpi.key)
            params = dict(spec.kpi.params)
            if spec.period is not None:
                params["period"] = spec.period.model_dump(mode="json", exclude_none=True)
            out = run_kpi(
                self.s.kpis.get(spec.kpi.key),
                params,
                lambda table: reports.builder(uow, app, table, scope),
                uow.conn,
                self.s.clock,
                tz,
            )
            period = out.get("period")
            if period:  # the KPI's end is exclusive; an alert shows the last day included
                last = date.fromisoformat(period["end"]) - timedelta(days=1)
                period = {"start": period["start"], "end": last.isoformat()}
            return {"value": _num(out.get("value")), "unit": out.get("unit"), "period": period}
        assert spec.dataset is not None
        ds = spec.dataset
        period = None
        if spec.period is not None:
            start, end = resolve_period(spec.period, self.s.clock, tz)
            period = {"start": start.isoformat(), "end": (end - timedelta(days=1)).isoformat()}
            tree = [*([ds.filter] if ds.filter else []), period_filter(spec.date_field, start, end)]
            ds = ds.model_copy(update={"filter": {"and": tree}})
        result = reports.builder(uow, app, ds.table, scope).run(uow.conn, ds)
        value = None
        if result.rows and result.rows[0][2]:
            value = _num(result.rows[0][2][0])
        return {"value": value, "unit": None, "period": period}

    def _check_spec(self, uow: UnitOfWork, app: str, spec: AlertSpec, owner: Principal) -> Any:
        """The spec computes for its owner (tables, fields, KPI parameters, permissions); the
        schema of the table it reads."""
        prefix = "kpi." if spec.kpi is not None else "dataset."
        table = spec.table
        try:
            schema = uow.catalog.table(app, table) if table else None
        except NotFound:
            raise Invalid.on(
                "kpi.params.table" if spec.kpi is not None else "dataset.table",
                "rule.table_unknown",
                table=table,
            ) from None
        try:
            self.compute(_as(uow, owner), app, spec)
        except NotFound as e:
            raise Invalid.on(prefix.rstrip("."), "invalid.body", detail=_text(e)) from None
        except Forbidden:
            raise Invalid.on("owner_id", "alert.owner_forbidden") from None
        except Invalid as e:
            if any(k.startswith(("kpi", "dataset")) for k in e.field_errors):
                raise
            errors = FieldErrors()
            errors.merge(prefix, e)
            errors.raise_if_any()
            raise
        if schema is None:
            raise Invalid.on("kpi.params.table", "rule.table_unknown", table=table)
        return schema

    def _check_actions(self, uow: UnitOfWork, app: str, schema: Any, data: Any) -> list[Any]:
        actions = parse_model(_Actions, {"actions": data}).actions
        notifier = self.s.notifier

        def check_template(text: str, loc: str, known: Any = None) -> None:
            notifier.check_template(text, loc, TEMPLATE_NAMES)

        for i, a in enumerate(actions):
            loc = f"actions.{i}"
            if a.type not in ALERT_ACTIONS:
                raise Invalid.on(f"{loc}.type", "alert.action_type", type=a.type)
            if a.type == "notify":
                for j, r in enumerate(a.to):  # type: ignore[union-attr]
                    if r.startswith("field:"):
                        raise Invalid.on(f"{loc}.to.{j}", "alert.recipient", to=r)
            if a.type == "create_record":
                for k, v in a.values.items():  # type: ignore[union-attr]
                    if v.formula is not None or v.field is not None:
                        raise Invalid.on(f"{loc}.values.{k}", "alert.value_constant")
            if a.type == "start_process":
                try:
                    self.s.processes.get_definition(app, a.process)  # type: ignore[union-attr]
                except NotFound:
                    raise Invalid.on(
                        f"{loc}.process",
                        "alert.process_unknown",
                        process=a.process,  # type: ignore[union-attr]
                    ) from None
            c = ActionCheck(
                uow.catalog, schema, app, loc, tuple(notifier.channels()), check_template
            )
            ACTIONS.of(a).check(a, c)
        return actions

    def _validate(
        self, uow: UnitOfWork, app: str, d: AlertIn, owner_id: int | None
    ) -> tuple[AlertSpec, list[dict[str, Any]]]:
        spec = d.spec()
        owner = self._owner(uow, owner_id)
        schema = self._check_spec(uow, app, spec, owner)
        actions = self._check_actions(uow, app, schema, d.actions)
        dumped = [a.model_dump(mode="json", by_alias=True, exclude_defaults=True) for a in actions]
        for raw, out in zip(actions, dumped, strict=True):
            out["type"] = raw.type
        return spec, dumped

    @staticmethod
    def _spec_json(spec: AlertSpec) -> dict[str, Any]:
        return spec.model_dump(mode="json", exclude_none=True)

    # -- CRUD ------------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            return [alert_public(r) for r in store.list_for(uow.conn, a.id)]

    def get(self, principal: Principal, app: str, alert_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return alert_public(self._row(uow, app, alert_id))

    def create(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        d = parse_model(AlertIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            a = uow.catalog.app(app)
            self._require(uow, a.id)
            alert_id = self.create_in(uow, app, d)
            return alert_public(store.get(uow.conn, a.id, alert_id))

    def create_in(self, uow: UnitOfWork, app: str, d: AlertIn) -> int:
        a = uow.catalog.app(app)
        owner_id = d.owner_id if d.owner_id is not None else uow.principal.user_id
        spec, actions = self._validate(uow, app, d, owner_id)
        if store.key_taken(uow.conn, a.id, d.key):
            raise Invalid.on("key", "key.taken", key=d.key)
        alert_id = store.insert(
            uow.conn,
            uow.now,
            app_id=a.id,
            key=d.key,
            name=d.name,
            description=d.description,
            enabled=d.enabled,
            owner_id=owner_id,
            spec=self._spec_json(spec),
            schedule=d.schedule.model_dump(mode="json", exclude_none=True),
            actions=actions,
            next_check_at=self._next(uow, d.schedule) if d.enabled else None,
        )
        uow.audit(Entry("alert.create", "alert", alert_id, a.id, None, {"key": d.key}))
        return alert_id

    def _next(self, uow: UnitOfWork, schedule: AlertSchedule) -> Any:
        return next_check(schedule, uow.now, uow.catalog.ctx.timezone)

    def update(self, principal: Principal, app: str, alert_id: int, data: Any) -> dict[str, Any]:
        """Replace the alert; ``version`` must be the one the change was based on. Its state
        (firing or not) stays: the next check compares the value with the new threshold."""
        if not isinstance(data, dict):
            raise Invalid.on("body", "filter.shape")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise Invalid.on("version", "record.version_required")
        d = parse_model(AlertIn, {k: v for k, v in data.items() if k != "version"})
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, alert_id)
            owner_id = d.owner_id if d.owner_id is not None else row["owner_id"]
            spec, actions = self._validate(uow, app, d, owner_id)
            if store.key_taken(uow.conn, row["app_id"], d.key, other_than=alert_id):
                raise Invalid.on("key", "key.taken", key=d.key)
            schedule = d.schedule.model_dump(mode="json", exclude_none=True)
            values: dict[str, Any] = {
                "key": d.key,
                "name": d.name,
                "description": d.description,
                "enabled": d.enabled,
                "owner_id": owner_id,
                "spec": self._spec_json(spec),
                "schedule": schedule,
                "actions": actions,
            }
            if not d.enabled:
                values["next_check_at"] = None
            elif not row["enabled"] or schedule != row["schedule"]:
                values["next_check_at"] = self._next(uow, d.schedule)
            if not store.update(uow.conn, alert_id, version, uow.now, **values):
                raise Conflict("record.stale", expected=version, actual=row["version"])
            changed = sorted(
                k
                for k, v in values.items()
                if k != "next_check_at" and (row["spec"] if k == "spec" else row[k]) != v
            )
            uow.audit(
                Entry(
                    "alert.update",
                    "alert",
                    alert_id,
                    row["app_id"],
                    None,
                    {"key": d.key, "changed": changed},
                )
            )
            return alert_public(store.get(uow.conn, row["app_id"], alert_id))

    def delete(self, principal: Principal, app: str, alert_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, alert_id)
            store.delete(uow.conn, alert_id)
            uow.audit(
                Entry("alert.delete", "alert", alert_id, row["app_id"], None, {"key": row["key"]})
            )

    def checks(
        self,
        principal: Principal,
        app: str,
        alert_id: int,
        limit: int = 50,
        before: int | None = None,
    ) -> dict[str, Any]:
        """The check log, newest first."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, alert_id)
            rows = store.list_checks(uow.conn, alert_id, min(max(limit, 1), 500), before)
            return {"items": [check_public(r) for r in rows]}

    # -- checking --------------------------------------------------------------------------------
    def check_now(
        self, principal: Principal, app: str, alert_id: int, dry_run: bool = False
    ) -> dict[str, Any]:
        """Check now (the schedule stays): the check as logged, with its actions. A dry run
        logs nothing and says what a crossing now would do."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._row(uow, app, alert_id)
        if dry_run:
            return self._dry(alert_id)
        return self._check(alert_id, "manual")

    def _measure(self, row: Any) -> tuple[dict[str, Any] | None, str | None]:
        """(value, unit, period) as the owner sees them now, or the reason there is none."""
        try:
            with unit_of_work(self.s, write=False) as uow:
                app = uow.catalog.apps[row["app_id"]].key
                owner = self._owner(uow, row["owner_id"])
            spec = AlertSpec.model_validate(row["spec"])
            with unit_of_work(self.s, write=False, principal=owner) as ouw:
                return self.compute(ouw, app, spec), None
        except Exception as e:  # recorded in the check log; other alerts go on
            return None, _text(e)

    def _dry(self, alert_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False) as uow:
            row = store.get(uow.conn, None, alert_id)
        assert row is not None
        m, error = self._measure(row)
        spec = AlertSpec.model_validate(row["spec"])
        out: dict[str, Any] = {"dry_run": True, "state_before": row["state"], "error": error}
        if m is None:
            return out | {"value": None, "state": row["state"], "change": None, "would": []}
        e = evaluate(spec, m["value"], row["state"])
        change = "crossed" if e.crossed else "recovered" if e.recovered else None
        ctx = self._context(row, m["value"], m, e.state)
        would = []
        ports = ServicePorts(self.s, SYSTEM, {})
        for i, a in enumerate(self._actions(row)):
            try:
                effect = ACTIONS.of(a).resolve(a, RunContext(ctx[0], None, ctx[1], {}, i), ports)
                would.append({"index": i, "type": a.type, "would": effect})
            except CairnError as err:
                would.append({"index": i, "type": a.type, "error": _text(err)})
        return out | {
            "value": m["value"],
            "unit": m["unit"],
            "period": m["period"],
            "state": e.state,
            "change": change,
            "would_act": e.crossed,
            "would": would,
        }

    def _check(self, alert_id: int, trigger: str) -> dict[str, Any]:
        """One check: the value, the state change, the check log row; a crossing's actions."""
        with unit_of_work(self.s, write=False) as uow:
            row = store.get(uow.conn, None, alert_id)
        if row is None:
            raise NotFound("alert.not_found", id=alert_id)
        m, error = self._measure(row)
        crossing = None
        with unit_of_work(self.s) as uow:
            row = store.get(uow.conn, None, alert_id)
            if row is None:
                raise NotFound("alert.not_found", id=alert_id)
            before = row["state"]
            base = {"alert_id": alert_id, "trigger": trigger, "checked_at": uow.now, "actions": []}
            if m is None:
                store.set_state(uow.conn, alert_id, last_checked_at=uow.now)
                check_id = store.add_check(
                    uow.conn,
                    **base,
                    state_before=before,
                    state=before,
                    status="error",
                    error=error,
                    finished_at=uow.now,
                )
            else:
                e = evaluate(AlertSpec.model_validate(row["spec"]), m["value"], before)
                change = None
                if e.crossed:
                    crossing = store.cross(uow.conn, alert_id, uow.now)
                    change = "crossed" if crossing is not None else None
                elif e.recovered:
                    store.set_state(uow.conn, alert_id, state="ok")
                    change = "recovered"
                store.set_state(uow.conn, alert_id, last_value=m["value"], last_checked_at=uow.now)
                acting = crossing is not None and bool(row["actions"])
                check_id = store.add_check(
                    uow.conn,
                    **base,
                    fire_key=f"crossing:{crossing}" if crossing is not None else None,
                    value=m["value"],
                    state_before=before,
                    state=e.state,
                    change=change,
                    status="running" if acting else "ok",
                    finished_at=None if acting else uow.now,
                )
        if crossing is not None:
            self.act(check_id, m)
        with unit_of_work(self.s, write=False) as uow:
            return check_public(store.get_check(uow.conn, check_id))

    def _actions(self, row: Any) -> list[Any]:
        return parse_model(_Actions, {"actions": row["actions"] or []}).actions

    def _context(
        self, row: Any, value: Any, m: dict[str, Any] | None, state: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(what the rule engine's actions read as the rule, as the record) for an alert."""
        spec = AlertSpec.model_validate(row["spec"])
        with unit_of_work(self.s, write=False) as uow:
            app = uow.catalog.apps[row["app_id"]]
            try:
                schema = uow.catalog.table(app.key, spec.table or "")
                table_key, table_id = schema.table.key, schema.id
            except NotFound:
                table_key, table_id = spec.table or "", None
        period = (m or {}).get("period") or {}
        alert = {
            "id": row["id"],
            "key": row["key"],
            "name": row["name"],
            "value": value,
            "threshold": spec.threshold,
            "op": spec.op,
            "unit": (m or {}).get("unit") or "",
            "period": f"{period['start']} – {period['end']}" if period else "",
            "state": state,
        }
        info = {
            "id": row["id"],
            "key": row["key"],
            "name": row["name"],
            "app": app.key,
            "table": table_key,
            "app_id": app.id,
            "table_id": table_id,
            "owner_id": row["owner_id"],
            "secret": None,
            "targets": {},
            "field_kinds": {},
            "field_names": {},
            "link": f"/apps/{app.key}/alerts/{row['id']}",
        }
        record = {**alert, "owner_id": row["owner_id"], "alert": alert}
        record.pop("id")
        return info, record

    def act(self, check_id: int, m: dict[str, Any] | None = None) -> None:
        """Run (or resume) the actions of a crossing: each at most once in effect (the key
        ``alert:<id>:crossing:<n>:<action>``, marked done with its effect). A failure is kept
        in the log; one a retry may cure leaves the check running for the next scan."""
        with unit_of_work(self.s) as uow:
            ck = store.get_check(uow.conn, check_id)
            if ck is None or ck["status"] != "running":
                return
            row = store.get(uow.conn, None, ck["alert_id"])
            attempts = ck["attempts"] + 1
            store.set_check(uow.conn, check_id, attempts=attempts)
            if row is None:
                store.set_check(
                    uow.conn,
                    check_id,
                    status="failed",
                    error="the alert is gone",
                    finished_at=uow.now,
                )
                return
            try:
                owner = self._owner(uow, row["owner_id"])
            except CairnError as e:
                store.set_check(
                    uow.conn, check_id, status="failed", error=_text(e), finished_at=uow.now
                )
                return
        if m is None:
            m = {"unit": None, "period": None}
        info, record = self._context(row, ck["value"], m, "firing")
        actions = self._actions(row)
        log_entries: list[dict[str, Any]] = list(ck["actions"] or [])
        done = {e["index"] for e in log_entries if e.get("status") == "ok"}
        todo = [i for i in range(len(actions)) if i not in done]
        if not todo:
            with unit_of_work(self.s) as uow:
                store.set_check(uow.conn, check_id, status="ok", error=None, finished_at=uow.now)
            return
        ports = ServicePorts(self.s, owner, {"alert_id": row["id"]})
        last = todo[-1]
        run_key = ck["fire_key"]
        for i in todo:
            a = actions[i]
            at = ACTIONS.of(a)
            t0 = time.perf_counter()
            created = _created(log_entries)

            def mark(
                uow: UnitOfWork, result: Any = None, i: int = i, t0: float = t0, a: Any = a
            ) -> None:
                if result is None:
                    result = {"records": [e.record_id for e in uow.events][:1]}
                ms = (time.perf_counter() - t0) * 1000
                entries = runlog.merge(log_entries, runlog.entry(i, a.type, "ok", ms, result))
                settled = (
                    {"status": "ok", "error": None, "finished_at": uow.now} if i == last else {}
                )
                store.set_check(uow.conn, check_id, actions=entries, **settled)
                log_entries[:] = entries

            try:
                ctx = RunContext(info, created, record, {}, i)
                effect = at.resolve(a, ctx, ports)
                at.apply(a, effect, ports, f"alert:{row['id']}:{run_key}:{i}", mark)
            except Exception as e:
                ms = (time.perf_counter() - t0) * 1000
                msg = _text(e)
                retryable = getattr(e, "retryable", not isinstance(e, CairnError))
                give_up = not retryable or attempts >= MAX_ATTEMPTS
                log.warning("alert %s: action %s failed: %s", row["id"], i, msg)
                with unit_of_work(self.s) as uow:
                    store.set_check(
                        uow.conn,
                        check_id,
                        actions=runlog.merge(
                            log_entries, runlog.entry(i, a.type, "failed", ms, error=msg)
                        ),
                        error=msg,
                        **({"status": "failed", "finished_at": uow.now} if give_up else {}),
                    )
                return

    # -- the worker ------------------------------------------------------------------------------
    def scan(self) -> dict[str, int]:
        """Check every alert that is due (one indexed query), each claimed by moving its next
        check on, so two workers never check the same occurrence; then resume the crossings
        whose actions did not finish. One failing alert never stops the others."""
        checked = fired = recovered = errors = resumed = 0
        with unit_of_work(self.s, write=False) as uow:
            due = store.due(uow.conn, uow.now)
        acted: set[int] = set()
        for d in due:
            try:
                with unit_of_work(self.s) as uow:
                    row = store.get(uow.conn, None, d["id"])
                    if row is None or not row["enabled"]:
                        continue
                    schedule = AlertSchedule.model_validate(row["schedule"])
                    if not store.claim(
                        uow.conn, d["id"], d["next_check_at"], self._next(uow, schedule)
                    ):
                        continue
                out = self._check(d["id"], "schedule")
            except Exception as e:
                errors += 1
                log.exception("alert %s: check failed", d["id"])
                self._record_failure(d["id"], e)
                continue
            checked += 1
            acted.add(out["id"])
            fired += out["change"] == "crossed"
            recovered += out["change"] == "recovered"
            errors += out["status"] in ("error", "failed")
        with unit_of_work(self.s, write=False) as uow:
            pending = [p for p in store.unfinished(uow.conn) if p["id"] not in acted]
        for p in pending:
            try:
                self.act(p["id"])
                resumed += 1
            except Exception:
                log.exception("alert check %s: resuming the actions failed", p["id"])
        return {
            "checked": checked,
            "fired": fired,
            "recovered": recovered,
            "errors": errors,
            "resumed": resumed,
        }

    def purge(self, days: int = 90) -> int:
        """Forget quiet checks (no change, no error) older than ``days``; how many."""
        with unit_of_work(self.s) as uow:
            return store.purge_checks(uow.conn, uow.now - timedelta(days=days))

    def _record_failure(self, alert_id: int, e: BaseException) -> None:
        """An unexpected failure of a whole check, in the check log (best effort)."""
        try:
            with unit_of_work(self.s) as uow:
                row = store.get(uow.conn, None, alert_id)
                if row is None:
                    return
                store.add_check(
                    uow.conn,
                    alert_id=alert_id,
                    trigger="schedule",
                    state_before=row["state"],
                    state=row["state"],
                    status="error",
                    actions=[],
                    error=_text(e),
                    checked_at=uow.now,
                    finished_at=uow.now,
                )
        except Exception:
            log.exception("alert %s: the failure could not be recorded", alert_id)

    # -- app packages ------------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        """The app's alerts as they travel (no ids, owners or state)."""
        a = uow.catalog.app(app)
        out = []
        for r in store.list_for(uow.conn, a.id):
            pub = alert_public(r)
            item = {k: pub[k] for k in ("key", "name", "description", "enabled")}
            item.update({k: pub[k] for k in SPEC_KEYS if k in pub})
            item["schedule"] = pub["schedule"]
            item["actions"] = pub["actions"]
            out.append(item)
        return out

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        if not isinstance(items, list):
            raise Invalid.on("alerts", "package.shape", detail="alerts must be a list")
        for i, item in enumerate(items):
            try:
                d = parse_model(AlertIn, item)
                self.create_in(uow, app, d)
            except Invalid as e:
                raise e.under(f"alerts.{i}") from None


def _created(entries: list[dict[str, Any]]) -> int | None:
    """The record the last ``create_record`` action of this crossing made (a ``start_process``
    after it starts on that record)."""
    rid = None
    for e in entries:
        if e.get("type") == "create_record" and e.get("status") == "ok":
            records = (e.get("result") or {}).get("records") or []
            if records:
                rid = records[0]
    return rid
