"""Count and sum by a choice field through HTTP: unchanged data, after a write, computed in
full, and the raw SQL, at ``--sizes`` rows on both databases (issue 20, shapes d and e).

A customers table (tier: a single select of 4 options, spend: a number with 2 decimals) is
loaded through the service layer's bulk path; a real uvicorn server answers
``POST …/reports/datasets/query``:

- unchanged: the same query again (the result cache);
- after a write: one record's tier and spend changed through the API, then the query
  (only the query is timed: the figures brought forward from the write's events);
- full: after a write, a spec the cache does not bring forward (the same groups with an
  always-true filter): computed by the database;
- raw SQL: ``SELECT tier, count(*), sum(spend) … WHERE deleted_at IS NULL GROUP BY tier``.

Run: ``PYTHONPATH=src python -m bench.agg_cache --sizes 200000 --queries 50``.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from bench.harness import Options, environment, log, percentile

APP, TABLE = "agg", "customers"
TIERS = ("vip", "gold", "silver", "std")
URL = f"/api/v1/apps/{APP}/reports/datasets/query"
COUNT_BY = {"table": TABLE, "dimensions": [{"field": "tier"}]}
SUM_BY = {**COUNT_BY, "measures": [{"agg": "sum", "field": "spend"}]}
#: Not brought forward (a filter): the database computes it every time.
FULL = {**SUM_BY, "filter": {"field": "spend", "op": "gt", "value": -1}}


def load(services: Any, n: int) -> None:
    services.apps.create({"key": APP, "name": "agg"})
    choices = {"choices": [{"id": t, "value": t.upper()} for t in TIERS]}
    fields = [
        {"key": "name", "name": "Name", "type": "text"},
        {"key": "tier", "name": "Tier", "type": "single_select", "options": choices},
        {"key": "spend", "name": "Spend", "type": "number", "options": {"decimals": 2}},
    ]
    services.schema.create_table(APP, {"key": TABLE, "name": "Customers", "fields": fields})
    rnd = random.Random(20)
    for start in range(0, n, 1000):
        rows = [
            {"name": f"c{i}", "tier": rnd.choice(TIERS), "spend": f"{rnd.uniform(0, 9999):.2f}"}
            for i in range(start, min(n, start + 1000))
        ]
        services.records.bulk(APP, TABLE, rows, return_items=False)
    # Statistics as autovacuum would have them a minute later: the outbox's included (the
    # events after a mark are found through its primary key only once it is analyzed).
    with services.engine.connect() as conn:
        conn.info["write"] = True
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def timed(client: Any, method: str, url: str, body: Any = None) -> tuple[float, Any]:
    t0 = time.perf_counter()
    r = client.request(method, url, json=body)
    ms = (time.perf_counter() - t0) * 1000
    assert r.status_code in (200, 201), r.text[:300]
    return ms, r.json()


def run(db: str, n: int, queries: int, opts: Options) -> None:
    with environment(db, opts) as env:
        load(env.services, n)
        server = env.start_server()
        rec = f"/api/v1/apps/{APP}/tables/{TABLE}/records"
        with env.api_client(server) as c:
            floor = [timed(c, "GET", "/api/v1/health")[0] for _ in range(queries)]
            log(f"{db} {n:>9,} floor: GET /api/v1/health p50 {percentile(floor, 50):.2f} ms")
            ids = [r["id"] for r in c.post(f"{rec}/query", json={"limit": 200}).json()["items"]]
            for name, spec in (("d count by tier", COUNT_BY), ("e sum by tier", SUM_BY)):
                for _ in range(5):
                    timed(c, "POST", URL, spec)
                same = [timed(c, "POST", URL, spec)[0] for _ in range(queries)]
                after, full = [], []
                rnd = random.Random(name)  # each shape its own writes (no repeats)
                for i in range(queries):
                    rid = ids[i % len(ids)]
                    row = c.get(f"{rec}/{rid}").json()
                    tier = rnd.choice([t for t in TIERS if t != row["tier"]])  # a real change
                    body = {"tier": tier, "spend": rnd.randint(0, 999), "version": row["version"]}
                    assert c.patch(f"{rec}/{rid}", json=body).status_code == 200
                    after.append(timed(c, "POST", URL, spec)[0])
                    if i % 4 == 0:  # the same write, computed by the database
                        full.append(timed(c, "POST", URL, FULL)[0])
                raw = raw_sql(env, max(10, queries // 4))
                log(
                    f"{db} {n:>9,} {name}: unchanged p50 {percentile(same, 50):.2f} ms "
                    f"(p99 {percentile(same, 99):.2f}); after a write p50 "
                    f"{percentile(after, 50):.2f} ms (p99 {percentile(after, 99):.2f}); "
                    f"full p50 {percentile(full, 50):.1f} ms; raw SQL p50 "
                    f"{percentile(raw, 50):.1f} ms; after a write / raw "
                    f"{percentile(after, 50) / percentile(raw, 50):.3f}"
                )


def raw_sql(env: Any, times: int) -> list[float]:
    s = env.services
    with s.engine.connect() as conn:
        conn.info["write"] = False
        schema = s.catalogs.get(conn).table(APP, TABLE)
        q = env.services.engine.dialect.identifier_preparer.quote
        t = q(schema.sa_table.name)
        tier = q(schema.by_key["tier"].column_name)
        spend = q(schema.by_key["spend"].column_name)
        sql = f"SELECT {tier}, count(*), sum({spend}) FROM {t} WHERE deleted_at IS NULL GROUP BY {tier}"
        out = []
        for _ in range(times + 3):
            t0 = time.perf_counter()
            conn.exec_driver_sql(sql).all()
            out.append((time.perf_counter() - t0) * 1000)
        conn.rollback()
    return out[3:]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="200000")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--dbs", default="sqlite,postgresql")
    a = p.parse_args()
    opts = Options()
    for db in a.dbs.split(","):
        for n in (int(x) for x in a.sizes.split(",")):
            run(db, n, a.queries, opts)


if __name__ == "__main__":
    main()
