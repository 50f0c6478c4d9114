"""Segments (issue 22): ``--records`` customers (spend, visits, last visit; a few with orders)
and dynamic segments on them.

Figures: the incremental re-check after one record update, through the outbox handler
(``SegmentEvents``) for one event, per segment (p50, p99; target ≤ 5 ms p99), for an update of
a customer and of an order (mapped to its customer through the relation); and a full
evaluation of a segment over every customer (``services.segments.evaluate``: who enters, who
leaves, written with history) against the raw SQL of the same condition (the matching ids
fetched), target ≤ 1.5×.
"""

from __future__ import annotations

import gc
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.harness import Env, Options, Target, log, percentile, row, scenario

APP = "segbench"
FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "客户", "type": "text"},
    {"key": "spend", "name": "消费", "type": "number"},
    {"key": "visits", "name": "到店", "type": "number"},
    {"key": "last_visit", "name": "最近到店", "type": "date"},
]
#: Big spenders who have not come since 2025-10-01 ("sleeping VIPs"), about 6% of customers.
SLEEPING = {
    "and": [
        {"field": "spend", "op": "gt", "value": 10000},
        {"field": "last_visit", "op": "lt", "value": "2025-10-01"},
    ]
}
OTHERS = [
    {"field": "visits", "op": "gte", "value": 40},
    {
        "or": [
            {"field": "spend", "op": "lt", "value": 100},
            {"field": "visits", "op": "eq", "value": 0},
        ]
    },
    {"formula": "SUM({orders.amount}) > 5000"},
]
ORDERS = 2000
INCREMENTAL_P99 = Target("value", "<=", 5, "ms")
FULL_RATIO = Target("ratio", "<=", 1.5)


@dataclass
class Ev:
    """An outbox event as the dispatcher hands it over."""

    id: int
    type: str
    table_id: int
    record_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    actor_id: int | None = None


@scenario(
    "segments",
    description="Segments: incremental re-check p99 per segment, full evaluation vs raw SQL",
)
def segments_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from cairn.insight import segments as engine
    from cairn.services.segment_events import SegmentEvents
    from cairn.services.uow import unit_of_work
    from cairn.store import records

    s, db, n = env.services, env.db, opts.records
    s.apps.create({"key": APP, "name": "Segments bench"})
    s.schema.create_table(APP, {"key": "customers", "name": "客户", "fields": FIELDS})
    s.schema.create_table(
        APP,
        {
            "key": "orders",
            "name": "订单",
            "fields": [{"key": "amount", "name": "金额", "type": "number"}],
        },
    )
    s.schema.create_field(
        APP,
        "orders",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "orders", "name": "订单", "multiple": True},
            },
        },
    )
    rng = random.Random(22)
    log(f"segments: loading {n:,} customers on {db}")
    t0 = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    day0 = date(2025, 1, 1)
    with unit_of_work(s) as uow:
        sc = uow.catalog.table(APP, "customers")
        col = {f["key"]: sc.by_key[f["key"]].column_name for f in FIELDS}
        for i in range(0, n, 50_000):
            k = min(50_000, n - i)
            records.insert_rows(
                uow.conn,
                sc,
                k,
                {
                    col["name"]: [f"c{i + j}" for j in range(k)],
                    col["spend"]: [
                        int(rng.choice((0, 50, 500, 5000, 20000)) * rng.random() * 2)
                        for _ in range(k)
                    ],
                    col["visits"]: [rng.randrange(0, 50) for _ in range(k)],
                    col["last_visit"]: [
                        day0 + timedelta(days=rng.randrange(0, 600)) for _ in range(k)
                    ],
                },
                now,
                None,
            )
    with s.engine.connect() as conn:
        t = sc.sa_table
        first = conn.execute(sa.select(sa.func.min(t.c.id))).scalar_one()
        if db == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {t.name}")
            conn.commit()
    customers = list(range(first, first + n))
    orders: list[int] = []
    for _ in range(0, ORDERS, 1000):
        batch = [
            {"amount": rng.choice((100, 1000, 3000)), "customer": rng.choice(customers)}
            for _ in range(1000)
        ]
        orders += s.records.bulk(APP, "orders", batch, return_items=False)["ids"]
    log(f"segments: loaded in {time.perf_counter() - t0:.1f} s; creating the segments")
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    main = s.segments.create(APP, {"name": "sleeping", "table": "customers", "filter": SLEEPING})
    first_eval = time.perf_counter() - t0
    for i, cond in enumerate(OTHERS):
        s.segments.create(APP, {"name": f"other {i}", "table": "customers", "filter": cond})
    segments = 1 + len(OTHERS)
    log(f"segments: first evaluation {first_eval:.1f} s, {main['member_count']:,} members")

    # -- full evaluation vs the raw SQL of the condition ------------------------------------------
    # Some churn first: 1% of customers change their spend.
    with unit_of_work(s) as uow:
        sc = uow.catalog.table(APP, "customers")
        t = sc.sa_table
        churn = rng.sample(customers, n // 100)
        for i in range(0, len(churn), 5000):
            uow.conn.execute(
                sa.update(t)
                .where(t.c.id.in_(churn[i : i + 5000]))
                .values({col["spend"]: t.c[col["spend"]] * 3 + 30000})
            )
    full: list[float] = []
    raw: list[float] = []
    for _ in range(5):  # alternated, so a busy moment of the machine weighs on both
        t0 = time.perf_counter()
        done = s.segments.evaluate(APP, main["id"])
        full.append(time.perf_counter() - t0)
        with unit_of_work(s, write=False) as uow:
            sc = uow.catalog.table(APP, "customers")
            cond = engine.condition(uow.catalog, sc, SLEEPING, s.clock)
            t = sc.sa_table
            t0 = time.perf_counter()
            got = (
                uow.conn.execute(sa.select(t.c.id).where(t.c.deleted_at.is_(None), cond.where))
                .scalars()
                .all()
            )
            raw.append(time.perf_counter() - t0)
        log(
            f"segments: full {full[-1]:.2f} s (+{done['entered']} -{done['left']}), "
            f"raw {raw[-1]:.2f} s ({len(got):,})"
        )
    best_full, best_raw = min(full), min(raw)

    # -- incremental: one update, its event through the handler ------------------------------------
    handler = SegmentEvents(s)
    with unit_of_work(s, write=False) as uow:
        c_id = uow.catalog.table(APP, "customers").id
        o_id = uow.catalog.table(APP, "orders").id
    per_customer: list[float] = []
    per_move: list[float] = []
    per_order: list[float] = []
    for q in range(opts.queries):
        # an everyday edit: one more visit (it rarely changes a membership)
        cid = rng.choice(customers)
        with s.engine.begin() as conn:
            conn.execute(
                sa.update(t).where(t.c.id == cid).values({col["visits"]: t.c[col["visits"]] + 1})
            )
        ev = Ev(q, "record.updated", c_id, cid, {"changes": {"visits": [0, 1]}})
        t0 = time.perf_counter()
        handler.handle_batch([ev])
        per_customer.append((time.perf_counter() - t0) * 1000 / segments)
        # an edit that moves the customer into or out of "sleeping" (written, with its event)
        cid = rng.choice(customers)
        moved = {col["spend"]: 20000 if q % 2 else 50, col["last_visit"]: date(2025, 5, 1)}
        with s.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == cid).values(moved))
        ev = Ev(q, "record.updated", c_id, cid, {"changes": {"spend": [0, 1]}})
        t0 = time.perf_counter()
        handler.handle_batch([ev])
        per_move.append((time.perf_counter() - t0) * 1000 / segments)
        oid = rng.choice(orders)
        ev = Ev(q, "record.updated", o_id, oid, {"changes": {"amount": [0, 1]}})
        t0 = time.perf_counter()
        handler.handle_batch([ev])
        per_order.append((time.perf_counter() - t0) * 1000 / segments)
    log(
        f"segments: incremental p50/p99 per segment: edit {percentile(per_customer, 50):.2f}/"
        f"{percentile(per_customer, 99):.2f} ms, move {percentile(per_move, 50):.2f}/"
        f"{percentile(per_move, 99):.2f} ms, order {percentile(per_order, 50):.2f}/"
        f"{percentile(per_order, 99):.2f} ms"
    )
    return [
        row("segments", db, f"first evaluation of a segment over {n:,}", "s", first_eval),
        row(
            "segments",
            db,
            f"full evaluation over {n:,} ({main['member_count']:,} members, 1% churn)",
            "s",
            best_full,
            baseline=best_raw,
            ratio=best_full / best_raw if best_raw else None,
            target=FULL_RATIO,
        ),
        row(
            "segments",
            db,
            "incremental after a customer update, per segment: p50",
            "ms",
            percentile(per_customer, 50),
        ),
        row(
            "segments",
            db,
            f"incremental after a customer update, per segment: p99 ({segments} segments)",
            "ms",
            percentile(per_customer, 99),
            target=INCREMENTAL_P99,
        ),
        row(
            "segments",
            db,
            "incremental, the update moves the customer in or out (written): p50",
            "ms",
            percentile(per_move, 50),
        ),
        row(
            "segments",
            db,
            "incremental, the update moves the customer in or out (written): p99",
            "ms",
            percentile(per_move, 99),
            target=INCREMENTAL_P99,
        ),
        row(
            "segments",
            db,
            "incremental after an order update (via the relation), per segment: p99",
            "ms",
            percentile(per_order, 99),
            target=INCREMENTAL_P99,
        ),
    ]
