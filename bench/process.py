"""Processes: the six-step complaint process started and driven to its end through the service
layer (what the API and the worker do: every step a transaction that loads the state, runs the
engine, mirrors the tasks, writes the timeline and saves), against the engine alone with a
JSON save and load around each step; and the inbox query (my open tasks, by due date) with
100,000 open tasks spread over 500 users, against the same SQL written by hand."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

APP = "bench_proc"
TABLE = "complaints"
BPMN = Path(__file__).resolve().parent.parent / "tests" / "process" / "bpmn" / "complaint.bpmn"
INSTANCES = 100
OPEN_TASKS = 100_000
USERS = 500
INBOX_QUERIES = 200
INBOX_P50 = Target("value", "<=", 20.0, "ms")


def six_steps() -> str:
    """The complaint process with every step done by the initiator and no required fields
    (the figure is the engine and the bookkeeping, not the record form)."""
    xml = BPMN.read_text(encoding="utf-8")
    for rule in (
        '<cairn:assignee type="initiator_manager"/>',
        '<cairn:assignee type="field" value="engineer"/>',
        '<cairn:assignee type="same_as" value="register"/>',
        '<cairn:assignee type="same_as" value="assign"/>',
    ):
        xml = xml.replace(rule, '<cairn:assignee type="initiator"/>')
    return xml.replace('required="true"', 'required="false"')


def drive_services(env: Env, n: int) -> float:
    """Instances per second, start to end, through the service layer."""
    from cairn.auth import Principal, cli

    s = env.services
    s.apps.create({"key": APP, "name": "Bench processes"})
    s.schema.create_table(
        APP,
        {
            "key": TABLE,
            "name": TABLE,
            "fields": [
                {"key": "title", "name": "title", "type": "text"},
                {"key": "customer", "name": "customer", "type": "text"},
                {"key": "engineer", "name": "engineer", "type": "user"},
                {"key": "solution", "name": "solution", "type": "long_text"},
            ],
        },
    )
    agent = s.directory.create_user(cli(), {"username": "agent", "is_admin": True})
    who = Principal(agent["id"], "agent", True, "token")
    s.processes.deploy(APP, {"bpmn": six_steps()}, cli())
    ids = [
        r
        for part in chunks([{"title": f"c{i}"} for i in range(n)], 500)
        for r in s.records.bulk(APP, TABLE, list(part), return_items=False)["ids"]
    ]
    t0 = time.perf_counter()
    for rid in ids:
        inst = s.processes.start(APP, "complaint", {"record_id": rid}, who)
        for _ in range(6):
            [cur] = inst["current"]
            inst = s.processes.act(cur["task_id"], "complete", {}, who)["instance"]
        if inst["status"] != "completed":
            raise AssertionError(f"instance {inst['id']} did not complete")
    return n / (time.perf_counter() - t0)


def drive_engine(n: int) -> float:
    """Instances per second with the engine alone (a JSON save and load around each step)."""
    import json

    from cairn.process import Definition, ScriptContext

    d = Definition(six_steps())
    ctx = ScriptContext()
    t0 = time.perf_counter()
    for _ in range(n):
        run = d.new(ctx, {})
        run.advance()
        for _ in range(6):
            run = d.load(json.loads(json.dumps(run.dump())), ctx)
            [t] = run.ready()
            run.complete(t.id, {})
        if not run.completed:
            raise AssertionError("the engine-only run did not complete")
    return n / (time.perf_counter() - t0)


def fill_inbox(env: Env) -> list[int]:
    """100,000 open tasks over 500 users (plus as many done ones), one definition, 1,000
    instances; returns the user ids."""
    from cairn.store import system

    s = env.services
    now = datetime(2026, 1, 5, 9)
    rnd = random.Random(7)
    with s.engine.begin() as conn:
        app_id = conn.execute(
            sa.select(system.apps.c.id).where(system.apps.c.key == APP)
        ).scalar_one()
        def_id = conn.execute(sa.select(sa.func.min(system.process_definitions.c.id))).scalar()
        first = conn.execute(sa.select(sa.func.max(system.process_instances.c.id))).scalar() or 0
        conn.execute(
            system.process_instances.insert(),
            [
                {
                    "definition_id": def_id,
                    "app_id": app_id,
                    "status": "running",
                    "state": {},
                    "state_version": 1,
                    "meta": {},
                    "started_at": now,
                    "updated_at": now,
                }
                for _ in range(1000)
            ],
        )
        users = list(range(10_000, 10_000 + USERS))
        for status, count in (("open", OPEN_TASKS), ("done", OPEN_TASKS)):
            rows = [
                {
                    "instance_id": first + 1 + i % 1000,
                    "app_id": app_id,
                    "step_id": "plan",
                    "step_name": "方案制定",
                    "engine_task_id": "00000000-0000-0000-0000-000000000000",
                    "assignee_id": rnd.choice(users),
                    "status": status,
                    "due_at": now + timedelta(minutes=rnd.randint(-600, 6000)),
                    "created_at": now,
                    "completed_by": None if status == "open" else rnd.choice(users),
                    "completed_at": None if status == "open" else now,
                }
                for i in range(count)
            ]
            for part in chunks(rows, 5000):
                conn.execute(system.tasks.insert(), list(part))
    if env.db == "postgresql":
        with s.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE tasks")
    return users


@scenario(
    "process",
    description="six-step process driven end to end (instances/s); inbox p50 over 100k open tasks",
)
def process(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.auth import Principal
    from cairn.store import system

    db = env.db
    rate = drive_services(env, INSTANCES)
    engine_rate = drive_engine(INSTANCES)
    log(f"{db}: {rate:.1f} instances/s through services, {engine_rate:.1f}/s engine only")
    users = fill_inbox(env)
    s = env.services
    rnd = random.Random(11)
    picks = [rnd.choice(users) for _ in range(INBOX_QUERIES)]
    t = system.tasks
    raw = (
        sa.select(t.c.id, t.c.step_name, t.c.due_at)
        .where(t.c.assignee_id == sa.bindparam("u"), t.c.status == "open")
        .order_by(t.c.due_at.is_(None), t.c.due_at, t.c.id)
        .limit(50)
    )
    for u in picks[:10]:
        s.processes.inbox(Principal(u, "u", False, "token"), "mine", {}, 50, 0)
    svc_ms: list[float] = []
    raw_ms: list[float] = []
    count_ms: list[float] = []
    for u in picks:
        p = Principal(u, "u", False, "token")
        t0 = time.perf_counter()
        items = s.processes.inbox(p, "mine", {}, 50, 0)["items"]
        svc_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        with s.engine.connect() as conn:
            conn.execute(raw, {"u": u}).all()
        raw_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        s.processes.counts(p)
        count_ms.append((time.perf_counter() - t0) * 1000)
        if not items:
            raise AssertionError("an inbox came back empty")
    figure = f"{OPEN_TASKS:,} open tasks over {USERS} users, page of 50"
    svc50, raw50 = percentile(svc_ms, 50), percentile(raw_ms, 50)
    return [
        row(
            "process · six-step instances driven end to end (services)",
            db,
            f"{INSTANCES} instances, 6 user tasks each, one worker",
            "inst/s",
            rate,
            baseline=engine_rate,
            ratio=rate / engine_rate,
        ),
        row(
            "process · inbox: my open tasks",
            db,
            f"p50 {figure}",
            "ms",
            svc50,
            baseline=raw50,
            ratio=svc50 / raw50,
            target=INBOX_P50,
        ),
        row(
            "process · inbox: my open tasks",
            db,
            f"p99 {figure}",
            "ms",
            percentile(svc_ms, 99),
            baseline=percentile(raw_ms, 99),
        ),
        row(
            "process · inbox counts (4 counts)",
            db,
            f"p50 {figure}",
            "ms",
            percentile(count_ms, 50),
        ),
    ]
