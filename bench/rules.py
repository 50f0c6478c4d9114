"""The rule engine: record updates → in-app notifications through one worker (events/s), the
latency from a change's commit to its notification (p50/p99), with ``RULES`` enabled rules on
the table; a date rule's scan over N records, and its 30-day forecast, each against the same
search written by hand in SQL.

The worker is the real outbox poller on a thread of this process (what ``cairn worker`` runs),
consuming events committed by the service layer. The latency figure runs single updates at a
steady pace while the poller is idle in between, so it includes the poller's idle naps.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

APP = "rbench"
TABLE = "tickets"
EVENTS = 2000
PACED = 200
REPEAT = 7
THROUGHPUT = Target("value", ">=", 300, "events/s", dbs=("sqlite",))
LATENCY_P99 = Target("value", "<=", 1000, "ms")
SCAN_RATIO = Target("ratio", "<=", 1.5)
FORECAST_RATIO = Target("ratio", "<=", 1.5)
#: Enabled rules on the benchmarked table (the notifying one among them).
RULES = 50
FORECAST_DAYS = 30


def _other_rules(n: int) -> list[dict[str, Any]]:
    """The table's other enabled rules, as a busy table has them: most react to other changes
    (another field updated, a record created), some are date rules (scanned, not run on
    events), a few react to the same change but their condition is false (a skipped run; so
    are the creation rules, whose creations are not timed)."""
    out = []
    for i in range(n):
        kind = i % 10
        if kind < 5:
            trigger: dict[str, Any] = {"type": "record.updated", "fields": ["due"]}
        elif kind < 7:
            trigger = {"type": "record.created"}
        elif kind < 9:
            trigger = {"type": "date", "field": "due", "offset": -i, "at": "08:00"}
        else:
            trigger = {"type": "record.updated", "fields": ["title"]}
        out.append(
            {
                "key": f"other_{i}",
                "name": f"其他规则 {i}",
                "table": TABLE,
                "trigger": trigger,
                "condition": None if kind < 5 or kind in (7, 8) else '{title} = "never"',
                "actions": [{"type": "update_record", "values": {"title": '"x"'}}],
            }
        )
    return out


def _setup(env: Env) -> tuple[Any, int]:
    from cairn.auth import SYSTEM, cli

    s = env.services
    s.apps.create({"key": APP, "name": "Rule bench"})
    s.schema.create_table(
        APP,
        {
            "key": TABLE,
            "name": "工单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "due", "name": "到期日", "type": "date"},
            ],
        },
    )
    user = s.directory.create_user(cli(), {"username": "bench-agent"})
    s.rules.create(
        SYSTEM,
        APP,
        {
            "key": "notify_update",
            "name": "更新通知",
            "table": TABLE,
            "trigger": {"type": "record.updated", "fields": ["title"]},
            "actions": [
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": [f"user:{user['id']}"],
                    "subject": "工单更新：{{ title }}",
                }
            ],
        },
    )
    for body in _other_rules(RULES - 1):
        s.rules.create(SYSTEM, APP, body)
    return s, int(user["id"])


def _notified(s: Any, user_id: int) -> int:
    from cairn.store import system

    n = system.notifications
    with s.engine.connect() as conn:
        conn.info["write"] = False
        return conn.execute(
            sa.select(sa.func.count()).select_from(n).where(n.c.user_id == user_id)
        ).scalar_one()


def _wait(predicate: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.005)


def _throughput(env: Env) -> list[dict[str, Any]]:
    from cairn.store import system
    from cairn.worker.dispatch import Dispatcher
    from cairn.worker.poller import OutboxPoller

    s, user_id = _setup(env)
    ids = []
    for part in chunks(range(EVENTS), 1000):
        ids += s.records.bulk(APP, TABLE, [{"title": f"t{i}"} for i in part], return_items=False)[
            "ids"
        ]
    dispatcher = Dispatcher(s, s.event_handlers)
    dispatcher.drain()  # the creations (no rule wants them)
    for part in chunks(ids, 1000):
        s.records.bulk(
            APP,
            TABLE,
            [{"id": i, "version": 1, "title": f"u{i}"} for i in part],
            return_items=False,
        )
    poller = OutboxPoller(dispatcher)
    t0 = time.perf_counter()
    poller.start()
    try:
        _wait(lambda: _notified(s, user_id) >= EVENTS)
        elapsed = time.perf_counter() - t0
        log(f"rules: {EVENTS} updates → notifications in {elapsed:.1f} s")
        # Paced single updates: commit → notification written.
        committed: dict[int, datetime] = {}
        for i in ids[:PACED]:
            s.records.update(APP, TABLE, i, {"version": 2, "title": f"v{i}"})
            committed[i] = datetime.now(UTC).replace(tzinfo=None)
            time.sleep(0.02)
        _wait(lambda: _notified(s, user_id) >= EVENTS + PACED)
    finally:
        poller.stop()
    n = system.notifications
    with s.engine.connect() as conn:
        conn.info["write"] = False
        rows = conn.execute(
            sa.select(n.c.record_id, sa.func.max(n.c.created_at))
            .where(n.c.record_id.in_(list(committed)))
            .group_by(n.c.record_id)
        ).all()
    lat = [max((at - committed[rid]).total_seconds() * 1000, 0.0) for rid, at in rows]
    return [
        row(
            "rules",
            env.db,
            f"record update → in-app notification, one worker, {RULES} rules on the table",
            "events/s",
            EVENTS / elapsed,
            target=THROUGHPUT,
        ),
        row(
            "rules",
            env.db,
            f"commit → notification p50 ({PACED} paced updates)",
            "ms",
            statistics.median(lat),
        ),
        row(
            "rules",
            env.db,
            f"commit → notification p99 ({PACED} paced updates)",
            "ms",
            percentile(lat, 99),
            target=LATENCY_P99,
        ),
    ]


def _load_dates(env: Env, n: int) -> Any:
    s = env.services
    with s.engine.connect() as conn:
        conn.info["write"] = False
        schema = s.catalogs.get(conn).table(APP, TABLE)
    t = schema.sa_table
    rnd = random.Random(11)
    today = date.today()
    now = datetime.now(UTC).replace(tzinfo=None)
    title, due = (schema.by_key[k].column_name for k in ("title", "due"))
    for part in chunks(range(n), 5000):
        with s.engine.begin() as conn:
            conn.execute(
                t.insert(),
                [
                    {
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                        title: f"r{i}",
                        due: None
                        if i % 19 == 0
                        else today + timedelta(days=rnd.randint(-365, 365)),
                    }
                    for i in part
                ],
            )
    return schema


def _against_sql(
    env: Env, engine: Callable[[], int], raw: sa.TextClause, what: str, found: str
) -> tuple[float, float, int]:
    """Cairn's ``engine`` (which returns how many it found) timed against reading the rows of
    the hand-written ``raw`` SQL: one warm-up of each, then ``REPEAT`` runs taken in turn. The
    medians in ms (Cairn's, the SQL's) and the count, on which both must agree (else the error
    says "<what> found N <found>, the hand-written SQL M")."""

    def by_hand() -> int:
        with env.services.engine.connect() as conn:
            conn.info["write"] = False
            return len(conn.execute(raw).all())

    engine()
    by_hand()  # warm-up
    e_times, r_times = [], []
    e_n = r_n = 0
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        e_n = engine()
        e_times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        r_n = by_hand()
        r_times.append((time.perf_counter() - t0) * 1000)
    if e_n != r_n:
        raise AssertionError(f"{what} found {e_n} {found}, the hand-written SQL {r_n}")
    return statistics.median(e_times), statistics.median(r_times), e_n


def _scan(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.auth import SYSTEM
    from cairn.rules.date_trigger import DateRelative
    from cairn.rules.spec import DateTrigger
    from cairn.rules.trigger_base import SCAN_LIMIT, ScanContext
    from cairn.services.uow import unit_of_work
    from cairn.store import system

    s = env.services
    log(f"rules: loading {opts.records} records for the date scan ({env.db})")
    schema = _load_dates(env, opts.records)
    rule = s.rules.create(
        SYSTEM,
        APP,
        {
            "key": "due_soon",
            "name": "即将到期",
            "table": TABLE,
            "trigger": {"type": "date", "field": "due", "offset": -30, "at": "09:00"},
            "actions": [{"type": "update_record", "values": {"title": '"到期提醒"'}}],
        },
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    armed = now - timedelta(days=3)
    spec = DateTrigger(type="date", field="due", offset=-30, at="09:00")
    trigger = DateRelative()
    tz = s.field_ctx.timezone

    def engine_scan() -> int:
        with unit_of_work(s, write=False) as uow:
            ctx = ScanContext(
                uow.conn,
                uow.catalog,
                uow.catalog.table(APP, TABLE),
                rule["id"],
                armed,
                now,
                s.clock,
            )
            return len(trigger.due(spec, ctx))

    # The same search by hand: dates whose reminder (30 days before, 09:00 local) is due now
    # and whose date lies after the rule was armed; not fired yet for that date; the first
    # SCAN_LIMIT of them (one scan takes at most that many per rule).
    lo, hi = trigger._date_bounds(spec, tz, armed, now)
    t = schema.sa_table
    col = schema.by_key["due"].column_name
    raw = sa.text(
        f"SELECT t.id, t.{col}, t.updated_at FROM {t.name} t "
        f"WHERE t.deleted_at IS NULL AND t.{col} >= :lo AND t.{col} <= :hi "
        f"AND NOT EXISTS (SELECT 1 FROM rule_firings f WHERE f.rule_id = :rule "
        f"AND f.record_id = t.id AND f.fire_key = CAST(t.{col} AS VARCHAR(64))) "
        f"ORDER BY t.{col}, t.id LIMIT {SCAN_LIMIT}"
    ).bindparams(lo=lo, hi=hi, rule=rule["id"])

    assert system.rule_firings is not None
    e_ms, r_ms, e_n = _against_sql(env, engine_scan, raw, "the rule scan", "records")
    return [
        *_forecast(env, opts, rule["id"]),
        row(
            "rules",
            env.db,
            f"date-rule scan over {opts.records} rows ({e_n} due, median of {REPEAT})",
            "ms",
            e_ms,
            baseline=r_ms,
            ratio=e_ms / r_ms,
            target=SCAN_RATIO,
        ),
    ]


def _forecast(env: Env, opts: Options, rule_id: int) -> list[dict[str, Any]]:
    """The date rule's forecast for ``FORECAST_DAYS`` through the service (the rule loaded and
    checked, every firing counted per day, the first 1000 listed) against the raw SQL of the
    same scan: every not yet fired record of the window, soonest first (no limit: the
    forecast's total is exact), with what a forecast reads of each, its id and date (not its
    last change, which only a scan's lateness needs)."""
    from cairn.auth import SYSTEM
    from cairn.rules.date_trigger import DateRelative
    from cairn.rules.spec import DateTrigger
    from cairn.services.uow import unit_of_work
    from cairn.store import rules as rule_store

    s = env.services
    spec = DateTrigger(type="date", field="due", offset=-30, at="09:00")
    with unit_of_work(s, write=False) as uow:
        armed = rule_store.get(uow.conn, None, rule_id)["armed_at"]
        now = uow.now
        schema = uow.catalog.table(APP, TABLE)
    until = now + timedelta(days=FORECAST_DAYS)
    lo, hi = DateRelative()._date_bounds(spec, s.field_ctx.timezone, armed, until)
    t = schema.sa_table
    col = schema.by_key["due"].column_name
    raw = sa.text(
        f"SELECT t.id, t.{col} FROM {t.name} t "
        f"WHERE t.deleted_at IS NULL AND t.{col} >= :lo AND t.{col} <= :hi "
        f"AND NOT EXISTS (SELECT 1 FROM rule_firings f WHERE f.rule_id = :rule "
        f"AND f.record_id = t.id AND f.fire_key = CAST(t.{col} AS VARCHAR(64))) "
        f"ORDER BY t.{col}, t.id"
    ).bindparams(lo=lo, hi=hi, rule=rule_id)

    def forecast() -> int:
        return int(s.rules.forecast(SYSTEM, APP, rule_id, FORECAST_DAYS)["total"])

    f_ms, r_ms, f_n = _against_sql(env, forecast, raw, "the forecast", "firings")
    return [
        row(
            "rules",
            env.db,
            f"date-rule forecast, {FORECAST_DAYS} days over {opts.records} rows "
            f"({f_n} firings, median of {REPEAT})",
            "ms",
            f_ms,
            baseline=r_ms,
            ratio=f_ms / r_ms,
            target=FORECAST_RATIO,
        )
    ]


@scenario("rules", description="rule engine: events/s and latency to a notification; date scan")
def rules_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    return _throughput(env) + _scan(env, opts)
