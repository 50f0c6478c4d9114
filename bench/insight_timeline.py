"""The customer timeline (issue 22): ``--records`` records over six tables (customers,
vehicles, repairs, parts, contracts, payments) where one customer holds a tenth of them as
timeline events (at 1,000,000 records: 100,000 events) through three sources: repairs
(customer → vehicles → repairs), parts (customer → vehicles → repairs → parts: three hops)
and payments (customer → contracts → payments); the other customers share the rest.

Figures, through HTTP against a real server: the 360° page (GET the record, then GET the first
50 timeline entries; target p50 ≤ 30 ms), the timeline's first page alone, the next page (its
cursor) and one kind alone; against a raw-SQL baseline of the same page (the record, and per
source one hand-written join ordered by date with LIMIT 51, merged). The data is written with
plain INSERTs (the bench is about reads); the indexes the pages use are the ones Cairn builds
when the timeline is saved: each source's (date, id) and the live ids of the tables on its
path (``insight.timeline.source_indexes``). The raw-SQL baseline uses the relations' own
indexes only, as a hand-written query would.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, log, percentile, row, scenario

APP = "tlbench"
PAGE_P50 = Target("value", "<=", 30, "ms")
T0 = datetime(2021, 1, 1)
SPAN = 5 * 365 * 86400  # five years of seconds
#: Shares of the big customer's events per source (repairs, parts, payments).
SHARES = (0.4, 0.3, 0.3)


def rel(key: str, target: str, reverse: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "type": "relation",
        "options": {
            "target_table": target,
            "multiple": False,
            "reverse": {"key": reverse, "name": reverse, "multiple": True},
        },
    }


def setup(env: Env) -> None:
    sc = env.services.schema
    env.services.apps.create({"key": APP, "name": "Timeline bench"})
    tables = {
        "customers": [{"key": "name", "type": "text"}],
        "vehicles": [{"key": "vin", "type": "text"}],
        "repairs": [
            {"key": "order_no", "type": "text"},
            {"key": "status", "type": "text"},
            {"key": "opened_on", "type": "date"},
        ],
        "parts": [{"key": "part", "type": "text"}, {"key": "fitted_at", "type": "datetime"}],
        "contracts": [{"key": "no", "type": "text"}],
        "payments": [
            {"key": "ref", "type": "text"},
            {"key": "amount", "type": "number"},
            {"key": "paid_at", "type": "datetime"},
        ],
    }
    for key, fields in tables.items():
        sc.create_table(APP, {"key": key, "name": key, "fields": fields})
    sc.create_field(APP, "vehicles", rel("owner", "customers", "vehicles"))
    sc.create_field(APP, "repairs", rel("vehicle", "vehicles", "repairs"))
    sc.create_field(APP, "parts", rel("repair", "repairs", "parts"))
    sc.create_field(APP, "contracts", rel("customer", "customers", "contracts"))
    sc.create_field(APP, "payments", rel("contract", "contracts", "payments"))


TIMELINE = {
    "sources": [
        {
            "path": ["vehicles", "repairs"],
            "date_field": "opened_on",
            "title": "{order_no} · {status}",
            "label": "Repairs",
        },
        {
            "path": ["vehicles", "repairs", "parts"],
            "date_field": "fitted_at",
            "title": "{part}",
            "label": "Parts",
        },
        {
            "path": ["contracts", "payments"],
            "date_field": "paid_at",
            "title": "{ref} ¥{amount}",
            "label": "Payments",
        },
    ],
    "notable_fields": {"customers": ["name"]},
    "system": ["comments", "changes", "process", "messages", "interactions"],
}


class Loader:
    """Plain INSERTs of records and links, in batches."""

    def __init__(self, env: Env, batch: int = 5000) -> None:
        self.s = env.services
        self.batch = batch
        with self.s.engine.connect() as conn:
            self.cat = self.s.catalogs.get(conn)
        self.rng = random.Random(22)

    def col(self, table: str, key: str) -> str:
        schema = self.cat.table(APP, table)
        return schema.by_key[key].column_name

    def records(
        self, table: str, rows: list[dict[str, Any]], link: str | None, to: list[int]
    ) -> list[int]:
        """Insert ``rows`` (field key → value) into ``table``; ``link``: the relation field
        whose target each row's position in ``to`` names. The new ids, in order."""
        schema = self.cat.table(APP, table)
        t = schema.sa_table
        now = datetime(2026, 1, 1)
        with self.s.engine.begin() as conn:
            start = int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()
            )
            ids = list(range(start + 1, start + 1 + len(rows)))
            for i in range(0, len(rows), self.batch):
                part = []
                for rid, r in zip(ids[i : i + self.batch], rows[i : i + self.batch], strict=True):
                    values = {
                        schema.by_key[k].column_name: v
                        for k, v in r.items()
                        if not k.startswith("_")
                    }
                    part.append(
                        {
                            "id": rid,
                            "created_at": r.get("_created", now),
                            "updated_at": now,
                            "version": 1,
                            **values,
                        }
                    )
                conn.execute(t.insert(), part)
            if link is not None:
                f = schema.by_key[link]
                j = self.cat.junction(f)
                pairs = [
                    {"src_id": rid, "dst_id": to[r["_to"]]}
                    for rid, r in zip(ids, rows, strict=True)
                ]
                for i in range(0, len(pairs), self.batch):
                    conn.execute(j.insert(), pairs[i : i + self.batch])
        return ids

    def when(self) -> datetime:
        return T0 + timedelta(seconds=self.rng.randrange(SPAN))


def load(env: Env, n: int) -> int:
    """``n`` records in all; the first customer's events: a tenth of them. Its id."""
    ld = Loader(env)
    rng = ld.rng
    big = n // 10
    b_rep, b_par = int(big * SHARES[0]), int(big * SHARES[1])
    b_pay = big - b_rep - b_par
    n_cust = max(10, n // 100)
    n_veh = n_cust + max(10, big // 40)
    n_con = n_cust + max(10, big // 300)
    rest = n - n_cust - n_veh - n_con
    n_rep, n_par = int(rest * 0.4), int(rest * 0.3)
    n_pay = rest - n_rep - n_par
    cust = ld.records("customers", [{"name": f"C{i}"} for i in range(n_cust)], None, [])
    # vehicles: the big customer's first, then one per other customer
    big_veh = n_veh - n_cust
    veh = ld.records(
        "vehicles",
        [
            {"vin": f"V{i}", "_to": 0 if i < big_veh else 1 + (i - big_veh) % (n_cust - 1)}
            for i in range(n_veh)
        ],
        "owner",
        cust,
    )
    big_con = n_con - n_cust
    con = ld.records(
        "contracts",
        [
            {"no": f"K{i}", "_to": 0 if i < big_con else 1 + (i - big_con) % (n_cust - 1)}
            for i in range(n_con)
        ],
        "customer",
        cust,
    )
    log(f"timeline: {n_cust:,} customers, {n_veh:,} vehicles, {n_con:,} contracts")

    def repair(i: int, vehicle: int) -> dict[str, Any]:
        return {
            "order_no": f"RO-{i}",
            "status": rng.choice(("open", "done", "waiting")),
            "opened_on": ld.when().date(),
            "_to": vehicle,
        }

    # repairs: the big customer's (on its vehicles) then the others'
    rows = [repair(i, rng.randrange(big_veh)) for i in range(b_rep)]
    rows += [
        repair(b_rep + i, big_veh + rng.randrange(n_veh - big_veh)) for i in range(n_rep - b_rep)
    ]
    rep = ld.records("repairs", rows, "vehicle", veh)
    rows = [
        {"part": f"P{i}", "fitted_at": ld.when(), "_to": rng.randrange(b_rep)} for i in range(b_par)
    ]
    rows += [
        {
            "part": f"P{b_par + i}",
            "fitted_at": ld.when(),
            "_to": b_rep + rng.randrange(n_rep - b_rep),
        }
        for i in range(n_par - b_par)
    ]
    ld.records("parts", rows, "repair", rep)
    rows = [
        {
            "ref": f"PAY-{i}",
            "amount": rng.randrange(100, 99999),
            "paid_at": ld.when(),
            "_to": rng.randrange(big_con),
        }
        for i in range(b_pay)
    ]
    rows += [
        {
            "ref": f"PAY-{b_pay + i}",
            "amount": rng.randrange(100, 99999),
            "paid_at": ld.when(),
            "_to": big_con + rng.randrange(n_con - big_con),
        }
        for i in range(n_pay - b_pay)
    ]
    ld.records("payments", rows, "contract", con)
    log(
        f"timeline: {n_rep:,} repairs, {n_par:,} parts, {n_pay:,} payments; the big customer: "
        f"{b_rep:,} + {b_par:,} + {b_pay:,} events"
    )
    return cust[0]


def raw_page(env: Env, cid: int) -> Any:
    """The same first page by hand: the record, and per source one join ordered by date."""
    s = env.services
    with s.engine.connect() as conn:
        cat = s.catalogs.get(conn)

    def t(key: str) -> str:
        return f"t_{cat.table(APP, key).id}"

    def c(table: str, key: str) -> str:
        return cat.table(APP, table).by_key[key].column_name

    def j(table: str, key: str) -> str:
        return f"j_{cat.table(APP, table).by_key[key].id}"

    sqls = [
        f"SELECT r.id, r.{c('repairs', 'opened_on')} AS at, r.{c('repairs', 'order_no')}, r.{c('repairs', 'status')}"
        f" FROM {t('repairs')} r JOIN {j('repairs', 'vehicle')} jv ON jv.src_id = r.id"
        f" JOIN {t('vehicles')} v ON v.id = jv.dst_id"
        f" JOIN {j('vehicles', 'owner')} jo ON jo.src_id = v.id"
        f" WHERE jo.dst_id = :c AND r.deleted_at IS NULL AND v.deleted_at IS NULL"
        f" ORDER BY at DESC, r.id DESC LIMIT 51",
        f"SELECT p.id, p.{c('parts', 'fitted_at')} AS at, p.{c('parts', 'part')}"
        f" FROM {t('parts')} p JOIN {j('parts', 'repair')} jr ON jr.src_id = p.id"
        f" JOIN {t('repairs')} r ON r.id = jr.dst_id"
        f" JOIN {j('repairs', 'vehicle')} jv ON jv.src_id = r.id"
        f" JOIN {t('vehicles')} v ON v.id = jv.dst_id"
        f" JOIN {j('vehicles', 'owner')} jo ON jo.src_id = v.id"
        f" WHERE jo.dst_id = :c AND p.deleted_at IS NULL AND r.deleted_at IS NULL"
        f" AND v.deleted_at IS NULL ORDER BY at DESC, p.id DESC LIMIT 51",
        f"SELECT y.id, y.{c('payments', 'paid_at')} AS at, y.{c('payments', 'ref')}, y.{c('payments', 'amount')}"
        f" FROM {t('payments')} y JOIN {j('payments', 'contract')} jc ON jc.src_id = y.id"
        f" JOIN {t('contracts')} k ON k.id = jc.dst_id"
        f" JOIN {j('contracts', 'customer')} jk ON jk.src_id = k.id"
        f" WHERE jk.dst_id = :c AND y.deleted_at IS NULL AND k.deleted_at IS NULL"
        f" ORDER BY at DESC, y.id DESC LIMIT 51",
    ]
    record = f"SELECT * FROM {t('customers')} WHERE id = :c AND deleted_at IS NULL"

    def run(conn: sa.Connection) -> list[Any]:
        conn.execute(sa.text(record), {"c": cid}).all()
        found: list[Any] = []
        for sql in sqls:
            found += [(stamp(r.at), r.id) for r in conn.execute(sa.text(sql), {"c": cid})]
        found.sort(reverse=True)
        return found[:50]

    return run


def stamp(value: Any) -> datetime:
    """A fetched date or timestamp (SQLite gives text) as a naive timestamp."""
    if isinstance(value, str):
        return datetime.fromisoformat(value[:19])
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time())


def timed(fn: Any, queries: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(queries):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


@scenario(
    "customer_360",
    description="customer timeline: the 360° page (record + first 50 entries) of a customer with "
    "a tenth of --records as events over 3 sources (one 3-hop), via HTTP vs raw SQL",
)
def customer_360(env: Env, opts: Options) -> list[dict[str, Any]]:
    db, n = env.db, opts.records
    setup(env)
    t0 = time.perf_counter()
    cid = load(env, n)
    log(f"timeline: {n:,} records loaded in {time.perf_counter() - t0:.1f} s on {db}")
    with env.services.engine.connect() as conn:
        if db == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    server = env.start_server()
    base = f"/api/v1/apps/{APP}"
    rec = f"{base}/tables/customers/records/{cid}"
    with env.api_client(server, timeout=600) as client:
        t0 = time.perf_counter()
        r = client.put(
            f"{base}/customer-view",
            json={"table": "customers", "metrics": [], "sections": [], "timeline": TIMELINE},
        )
        r.raise_for_status()
        log(f"timeline: config saved, source indexes built in {time.perf_counter() - t0:.1f} s")

        def get(url: str, params: Any = None) -> Any:
            r = client.get(url, params=params)
            if r.status_code != 200:
                raise RuntimeError(f"GET {url}: {r.status_code} {r.text[:300]}")
            return r.json()

        first = get(f"{rec}/timeline")
        if len(first["entries"]) != 50 or not first["next"]:
            raise RuntimeError(f"unexpected first page: {first['kinds']}")
        cursor = first["next"]

        page360 = timed(lambda: (get(rec), get(f"{rec}/timeline")), opts.queries)
        alone = timed(lambda: get(f"{rec}/timeline"), opts.queries)
        second = timed(lambda: get(f"{rec}/timeline", {"before": cursor}), opts.queries)
        one_kind = timed(lambda: get(f"{rec}/timeline", {"kinds": "source:1"}), opts.queries)
    raw = raw_page(env, cid)
    with env.services.engine.connect() as conn:
        got = raw(conn)
        mine = [(e["at"], e["id"]) for e in first["entries"]]
        if [i for _, i in got] != [i for _, i in mine]:
            log(f"timeline: raw page differs from Cairn's (first ids {got[:3]} vs {mine[:3]})")
        raw_ms = timed(lambda: raw(conn), opts.queries)
    p50, p99 = percentile(page360, 50), percentile(page360, 99)
    r50, r99 = percentile(raw_ms, 50), percentile(raw_ms, 99)
    events = n // 10
    return [
        row(
            "customer_360",
            db,
            f"360° page (record + 50 entries), {events:,} events in {n:,}: p50",
            "ms",
            p50,
            baseline=r50,
            ratio=p50 / r50,
            target=PAGE_P50,
        ),
        row("customer_360", db, "360° page: p99", "ms", p99, baseline=r99, ratio=p99 / r99),
        row("customer_360", db, "timeline first page alone: p50", "ms", percentile(alone, 50)),
        row("customer_360", db, "timeline first page alone: p99", "ms", percentile(alone, 99)),
        row("customer_360", db, "timeline next page (cursor): p50", "ms", percentile(second, 50)),
        row(
            "customer_360",
            db,
            "timeline one kind (3-hop parts): p50",
            "ms",
            percentile(one_kind, 50),
        ),
    ]
