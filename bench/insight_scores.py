"""Health scores (issue 22): ``--records`` customers (last contact, flight hours) with about as
many orders linked to them, scored by a model of five inputs, three of them aggregates over the
orders (``SUM``, ``COUNT``, ``MAX``) and one ``DAYS(TODAY(), {last_contact})``.

Figures: the whole table scored (the nightly run: every input computed in one SELECT per page,
normalised on the streamed rows, scores, history and their writes; target ≤ 120 s at 1,000,000
on PostgreSQL) against the raw SQL of the same inputs over the same pages (the floor: reading
what is scored); and the next night's run with the clock one day on (every explanation of the
days input changes, scores mostly not).

The data is loaded with bulk INSERTs straight into the record tables (the service layer's load
is what ``core_records`` measures), so a million customers load in seconds.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import Env, Options, Target, log, row, scenario

APP = "scorebench"
NIGHT = Target("value", "<=", 120, "s", dbs=("postgresql",))
MODEL = {
    "name": "Health",
    "table": "customers",
    "inputs": [
        {
            "key": "contact",
            "label": "Last contact",
            "formula": "DAYS(TODAY(), {last_contact})",
            "explain": "no contact for {value} days",
            "normalise": {"thresholds": [[30, 100], [90, 60], [180, 20], [None, 0]]},
            "weight": 3,
        },
        {
            "key": "hours",
            "label": "Flight hours",
            "formula": "{flight_hours}",
            "normalise": {"linear": {"min": 0, "max": 400}},
            "weight": 1,
        },
        {
            "key": "spend",
            "label": "Spend",
            "formula": "SUM({orders.amount})",
            "normalise": {"linear": {"min": 0, "max": 20000}},
            "weight": 2,
        },
        {
            "key": "orders",
            "label": "Orders",
            "formula": "COUNT({orders})",
            "normalise": {"thresholds": [[0, 0], [1, 50], [None, 100]]},
            "weight": 1,
        },
        {
            "key": "biggest",
            "label": "Biggest order",
            "formula": "MAX({orders.amount})",
            "normalise": {"linear": {"min": 0, "max": 10000}},
            "weight": 1,
        },
    ],
    "bands": {"green": 70, "amber": 40},
}


def _load(s: Any, n: int, batch: int, now: datetime) -> None:
    """``n`` customers and about ``n`` orders (0 to 2 each), linked, by bulk INSERTs."""
    from cairn.meta import junction_sides
    from cairn.store.bulk import insert_columns

    rng = random.Random(22)
    with s.engine.begin() as conn:
        cat = s.catalogs.get(conn)
        cust, orders = cat.table(APP, "customers"), cat.table(APP, "orders")
        rel = orders.by_key["customer"]
        j = cat.junction(rel)
        this, other = junction_sides(rel)
        c_contact = cust.by_key["last_contact"].column_name
        c_hours = cust.by_key["flight_hours"].column_name
        c_name = cust.by_key["name"].column_name
        o_amount = orders.by_key["amount"].column_name
        next_order = 1
        for start in range(1, n + 1, batch):
            ids = list(range(start, min(start + batch, n + 1)))
            k = len(ids)
            insert_columns(
                conn,
                cust.sa_table,
                {
                    "id": ids,
                    "created_at": [now] * k,
                    "updated_at": [now] * k,
                    "version": [1] * k,
                    c_name: [f"C{i}" for i in ids],
                    c_contact: [now - timedelta(days=rng.randint(0, 400)) for _ in ids],
                    c_hours: [rng.randint(0, 500) for _ in ids],
                },
            )
            o_ids: list[int] = []
            owners: list[int] = []
            for cid in ids:
                for _ in range(rng.choice((0, 1, 1, 2))):
                    o_ids.append(next_order)
                    owners.append(cid)
                    next_order += 1
            if o_ids:
                m = len(o_ids)
                insert_columns(
                    conn,
                    orders.sa_table,
                    {
                        "id": o_ids,
                        "created_at": [now] * m,
                        "updated_at": [now] * m,
                        "version": [1] * m,
                        o_amount: [float(rng.randint(10, 10000)) for _ in o_ids],
                    },
                )
                insert_columns(conn, j, {this: o_ids, other: owners})
        if conn.dialect.name == "postgresql":
            for t in (cust.sa_table, orders.sa_table):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                    f"(SELECT max(id) FROM {t.name}))"
                )
            conn.exec_driver_sql(f"ANALYZE {cust.sa_table.name}")
            conn.exec_driver_sql(f"ANALYZE {orders.sa_table.name}")
            conn.exec_driver_sql(f"ANALYZE {j.name}")
    log(f"scores: {n:,} customers and {next_order - 1:,} orders loaded")


@scenario("scores", description="Health scores: score every customer (nightly run, s)")
def scores_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.core import FrozenClock
    from cairn.insight.score_run import Model, raw_rows
    from cairn.services.context import build_services
    from cairn.store import scores as store

    n, db = opts.records, env.db
    clock = FrozenClock(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    s = build_services(env.settings(), clock=clock)
    s.apps.create({"key": APP, "name": "Score bench"})
    s.schema.create_table(
        APP,
        {
            "key": "customers",
            "name": "Customers",
            "fields": [
                {"key": "name", "name": "Name", "type": "text"},
                {"key": "last_contact", "name": "Last contact", "type": "datetime"},
                {"key": "flight_hours", "name": "Flight hours", "type": "number"},
            ],
        },
    )
    s.schema.create_table(
        APP,
        {
            "key": "orders",
            "name": "Orders",
            "fields": [{"key": "amount", "name": "Amount", "type": "currency"}],
        },
    )
    s.schema.create_field(
        APP,
        "orders",
        {
            "key": "customer",
            "name": "Customer",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "orders", "name": "Orders", "multiple": True},
            },
        },
    )
    now = clock.now().replace(tzinfo=None)
    t0 = time.perf_counter()
    _load(s, n, max(opts.batch, 20_000), now)
    log(f"scores: loaded in {time.perf_counter() - t0:.1f} s on {db}")
    model = s.scores.create(APP, MODEL)

    # The floor: the same inputs' SQL over the same pages, read and nothing else.
    with s.engine.connect() as conn:
        cat = s.catalogs.get(conn)
        m = Model.of(store.model(conn, model["id"]))
        sch = cat.schemas[m.table_id]
        t0 = time.perf_counter()
        after, read = 0, 0
        while rows := raw_rows(conn, cat, sch, m.inputs, clock, after=after):
            after, read = rows[-1][0], read + len(rows)
        raw = time.perf_counter() - t0
    log(f"scores: raw SQL of the inputs over {read:,} customers in {raw:.1f} s")

    t0 = time.perf_counter()
    first = s.scores.nightly()
    night = time.perf_counter() - t0
    log(f"scores: first night {first} in {night:.1f} s")
    clock.advance(timedelta(days=1))
    t0 = time.perf_counter()
    second = s.scores.nightly()
    night2 = time.perf_counter() - t0
    log(f"scores: next night {second} in {night2:.1f} s")
    with s.engine.connect() as conn:
        bands = store.distribution(conn, model["id"])
    log(f"scores: bands {bands}")
    s.close()
    return [
        row(
            "scores",
            db,
            f"score {n:,} customers, 5 inputs (3 over orders), first night",
            "s",
            night,
            baseline=raw,
            ratio=night / raw if raw else None,
            target=NIGHT,
        ),
        row(
            "scores",
            db,
            f"score {n:,} customers, next night (clock +1 day, {second['changed']:,} moved)",
            "s",
            night2,
            baseline=raw,
            ratio=night2 / raw if raw else None,
            target=NIGHT,
        ),
    ]
