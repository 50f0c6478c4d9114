"""Reports: an 8-widget service dashboard through the HTTP API vs the same aggregates in
hand-written SQL on the same database, computed (a cache miss) and from the result cache (a
hit); one group-by widget through HTTP on 20,000 records; how many widgets of a dashboard over
two tables a write to one of them recomputes; and the server's memory as the number of records
grows (aggregates stay in SQL).

The dashboard: 4 KPIs as number cards (NPS, CSAT, resolution rate, complaint rate, each with
the previous period), a monthly trend, a channel × kind pivot, a stage funnel (with the
previous period) and a province map. The baseline runs the same 13 aggregate queries, written
by hand, on one connection. A miss is measured after a record written to the dashboard's table
by this process (the server, another process, sees the table's new data version); a hit with
nothing written. The server's reply says which (``cache: {hits, misses}``).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

APP = "svc"
BIG = "tickets"
SMALL = "tickets_small"
SMALL_N = 20_000
ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)

PROVINCES = ("广东", "浙江", "江苏", "北京", "上海", "四川", "湖北", "山东", "河南", "福建", "湖南", "陕西")  # fmt: skip
CHANNELS = ("phone", "web", "wechat", "app")
KINDS = ("service", "complaint")
STAGES = ("lead", "contacted", "quoted", "won")


def _select(values: Sequence[str]) -> dict[str, Any]:
    return {"choices": [{"id": v, "value": v.upper()} for v in values]}


FIELDS: list[dict[str, Any]] = [
    {"key": "title", "name": "标题", "type": "text"},
    {"key": "channel", "name": "渠道", "type": "single_select", "options": _select(CHANNELS)},
    {"key": "kind", "name": "类型", "type": "single_select", "options": _select(KINDS)},
    {"key": "stage", "name": "阶段", "type": "single_select", "options": _select(STAGES)},
    {"key": "province", "name": "省份", "type": "text"},
    {"key": "opened_at", "name": "受理时间", "type": "datetime"},
    {"key": "resolved", "name": "已解决", "type": "boolean"},
    {"key": "nps", "name": "推荐值", "type": "number"},
    {"key": "csat", "name": "满意度", "type": "number"},
    {"key": "amount", "name": "金额", "type": "currency"},
]

#: The period the KPIs look at (and, before it, the previous one): a calendar month.
PERIOD = {"start": "2026-06-01", "end": "2026-06-30"}
DASHBOARD_RATIO = Target("ratio", "<=", 1.3)
#: An unchanged dashboard of 8 widgets answers from the cache within this.
DASHBOARD_HIT = Target("value", "<=", 50, "ms")
#: ``CAIRN_REPORT_CACHE=0`` (the server inherits it): every request computes, nothing to check.
CACHE_ON = os.environ.get("CAIRN_REPORT_CACHE", "1").lower() not in ("0", "false", "no")
GROUP_BY_P50 = Target("value", "<=", 3, "ms", dbs=("sqlite",))
MEMORY_FLAT = Target("ratio", "<=", 1.2)


def make_tickets(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2025, 7, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        out.append(
            {
                "title": f"T{i}",
                "channel": rng.choice(CHANNELS),
                "kind": "complaint" if rng.random() < 0.08 else "service",
                "stage": rng.choices(STAGES, weights=(3, 3, 2, 2))[0],
                "province": rng.choice(PROVINCES),
                "opened_at": (start + timedelta(seconds=rng.randrange(365 * 86400))).isoformat(),
                "resolved": rng.random() < 0.85,
                "nps": rng.randrange(11) if rng.random() < 0.6 else None,
                "csat": rng.randrange(1, 6) if rng.random() < 0.7 else None,
                "amount": rng.randrange(100_000) / 100,
            }
        )
    return out


def dashboard() -> dict[str, Any]:
    base = {"table": BIG, "date_field": "opened_at", "period": PERIOD}
    flt = {"field": "resolved", "op": "eq", "value": True}
    complaints = {"field": "kind", "op": "eq", "value": "complaint"}
    return {
        "key": "service",
        "name": "服务总览",
        "widgets": [
            {"id": "nps", "type": "number", "kpi": {"key": "nps", "params": {**base, "score_field": "nps"}}},
            {"id": "csat", "type": "number", "kpi": {"key": "csat", "params": {**base, "score_field": "csat"}}},
            {"id": "resolved", "type": "number", "kpi": {"key": "resolution_rate", "params": {**base, "match_filter": flt}}},
            {"id": "complaints", "type": "number", "kpi": {"key": "complaint_rate", "params": {**base, "complaints_filter": complaints}}},
            {"id": "trend", "type": "line", "dataset": {"table": BIG, "dimensions": [{"field": "opened_at", "bucket": "month"}]}},
            {"id": "pivot", "type": "pivot", "dataset": {"table": BIG, "dimensions": [{"field": "channel"}], "columns": [{"field": "kind"}]}},
            {"id": "funnel", "type": "funnel", "kpi": {"key": "funnel_conversion", "params": {**base, "stage_field": "stage"}}},
            {"id": "map", "type": "china_map", "dataset": {"table": BIG, "dimensions": [{"field": "province"}]}},
        ],
    }  # fmt: skip


def mixed_dashboard() -> dict[str, Any]:
    """The same 8 widgets, every other one over the small table: a write to it should
    recompute those 4 and keep the 4 over the big one."""
    board = dashboard()
    for i, w in enumerate(board["widgets"]):
        if i % 2:
            source = w.get("dataset") or w["kpi"]["params"]
            source["table"] = SMALL
    return {**board, "key": "mixed", "name": "两张表"}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    def utc(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)

    return utc(start), utc(end)


def raw_queries(env: Env) -> list[tuple[str, dict[str, Any]]]:
    """The dashboard's aggregates, hand-written (13 statements)."""
    s = env.services
    with s.engine.connect() as conn:
        schema = s.catalogs.get(conn).table(APP, BIG)
    dialect = s.engine.dialect
    q = dialect.identifier_preparer.quote
    c = {f.key: q(f.column_name) for f in schema.fields}
    t = q(schema.sa_table.name)
    pg = dialect.name == "postgresql"
    p = (lambda n: f"%({n})s") if pg else (lambda n: f":{n}")
    cur = _bounds(date(2026, 6, 1), date(2026, 7, 1))
    prev = _bounds(date(2026, 5, 1), date(2026, 6, 1))
    where = f"deleted_at IS NULL AND {c['opened_at']} >= {p('a')} AND {c['opened_at']} < {p('b')}"
    kpis = [
        f"SELECT count({c['nps']}), count(CASE WHEN {c['nps']} >= 9 THEN 1 END), count(CASE WHEN {c['nps']} <= 6 THEN 1 END) FROM {t} WHERE {where}",
        f"SELECT count({c['csat']}), count(CASE WHEN {c['csat']} >= 4 THEN 1 END), avg({c['csat']}) FROM {t} WHERE {where}",
        f"SELECT count(*), count(CASE WHEN {c['resolved']} THEN 1 END) FROM {t} WHERE {where}",
        f"SELECT count(*), count(CASE WHEN {c['kind']} = 'complaint' THEN 1 END) FROM {t} WHERE {where}",
        f"SELECT count(CASE WHEN {c['stage']} IN ('lead','contacted','quoted','won') THEN 1 END), count(CASE WHEN {c['stage']} IN ('contacted','quoted','won') THEN 1 END), count(CASE WHEN {c['stage']} IN ('quoted','won') THEN 1 END), count(CASE WHEN {c['stage']} = 'won' THEN 1 END) FROM {t} WHERE {where}",
    ]  # fmt: skip
    out: list[tuple[str, dict[str, Any]]] = []
    for sql in kpis:
        out.append((sql, {"a": cur[0], "b": cur[1]}))
        out.append((sql, {"a": prev[0], "b": prev[1]}))
    if pg:
        month = f"to_char(timezone('{ZONE}', timezone('UTC', {c['opened_at']})), 'YYYY-MM')"
    else:
        month = f"strftime('%Y-%m', datetime({c['opened_at']}, '480 minutes'))"
    out.append((f"SELECT {month} AS m, count(*) FROM {t} WHERE deleted_at IS NULL GROUP BY m ORDER BY m", {}))  # fmt: skip
    out.append((f"SELECT {c['channel']}, {c['kind']}, count(*) FROM {t} WHERE deleted_at IS NULL GROUP BY {c['channel']}, {c['kind']}", {}))  # fmt: skip
    out.append((f"SELECT {c['province']}, count(*) FROM {t} WHERE deleted_at IS NULL GROUP BY {c['province']}", {}))  # fmt: skip
    return out


def group_by_sql(env: Env) -> str:
    """The group-by widget's query, hand-written (baseline: the same SQL without HTTP)."""
    s = env.services
    with s.engine.connect() as conn:
        schema = s.catalogs.get(conn).table(APP, SMALL)
    q = s.engine.dialect.identifier_preparer.quote
    ch = q(schema.by_key["channel"].column_name)
    t = q(schema.sa_table.name)
    return f"SELECT {ch}, count(*) FROM {t} WHERE deleted_at IS NULL GROUP BY {ch}"


def time_raw(env: Env, queries: list[tuple[str, dict[str, Any]]]) -> float:
    start = time.perf_counter()
    with env.services.engine.connect() as conn:
        conn.info["write"] = False
        for sql, params in queries:
            conn.exec_driver_sql(sql, params).all()
    return (time.perf_counter() - start) * 1000


def load(env: Env, table: str, records: list[dict[str, Any]], batch: int) -> None:
    bulk = env.services.records.bulk
    for part in chunks(records, batch):
        bulk(APP, table, list(part), return_items=False)


def touch(env: Env, table: str) -> None:
    """One record written to ``table`` (opened before every period the widgets look at)."""
    record = {"title": "touch", "channel": "web", "kind": "service", "opened_at": "2025-01-01T08:00:00+08:00"}  # fmt: skip
    env.services.records.create(APP, table, record)


@scenario(
    "reports",
    description="8-widget dashboard via HTTP (computed, cached) vs hand-written SQL; group-by p50",
)
def reports(env: Env, opts: Options) -> list[dict[str, Any]]:

    db, n = env.db, opts.records
    s = env.services
    s.apps.create({"key": APP, "name": "售后"})
    for key in (BIG, SMALL):
        s.schema.create_table(APP, {"key": key, "name": key, "fields": FIELDS})
    load(env, SMALL, make_tickets(SMALL_N, seed=3), opts.batch)
    quarter = make_tickets(n // 4)
    load(env, BIG, quarter, opts.batch)
    log(f"{db}: {SMALL_N} + {len(quarter)} tickets loaded")
    runs = max(5, min(20, opts.queries // 10))
    rows: list[dict[str, Any]] = []
    server = env.start_server()
    rss: dict[str, float] = {"start": server.rss_mib()}
    with env.api_client(server, timeout=600) as client:
        r = client.post(f"/api/v1/apps/{APP}/dashboards", json=dashboard())
        if r.status_code != 201:
            raise RuntimeError(f"dashboard: {r.status_code} {r.text[:500]}")
        data_url = f"/api/v1/apps/{APP}/dashboards/{r.json()['id']}/data"

        def dash(url: str = data_url, hits: int | None = None) -> tuple[float, dict[str, int]]:
            """The dashboard's data: (ms, the server's cache counts); ``hits`` is checked."""
            t0 = time.perf_counter()
            r = client.get(url)
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                raise RuntimeError(f"dashboard data: {r.status_code} {r.text[:500]}")
            counts = r.json()["cache"]
            if hits is not None and CACHE_ON and counts["hits"] != hits:
                raise RuntimeError(f"dashboard data: {counts} where {hits} hits were expected")
            return ms, counts

        # One group-by widget through HTTP on 20,000 records.
        body = json.dumps({"table": SMALL, "dimensions": [{"field": "channel"}]}).encode()
        url = f"/api/v1/apps/{APP}/reports/datasets/query"
        headers = {"content-type": "application/json"}
        for _ in range(20):
            client.post(url, content=body, headers=headers)
        ms = []
        for _ in range(opts.queries):
            t0 = time.perf_counter()
            r = client.post(url, content=body, headers=headers)
            ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"group-by: {r.status_code} {r.text[:300]}")
        raw_sql = group_by_sql(env)
        raw_ms = [time_raw(env, [(raw_sql, {})]) for _ in range(opts.queries)]
        p50, raw50 = percentile(ms, 50), percentile(raw_ms, 50)
        p99, raw99 = percentile(ms, 99), percentile(raw_ms, 99)
        rows.append(row("group-by widget · HTTP", db, f"p50 count by channel, {SMALL_N:,} records", "ms", p50, baseline=raw50, ratio=p50 / raw50, target=GROUP_BY_P50))  # fmt: skip
        rows.append(row("group-by widget · HTTP", db, f"p99 count by channel, {SMALL_N:,} records", "ms", p99, baseline=raw99, ratio=p99 / raw99))  # fmt: skip

        dash()
        rss["quarter"] = server.rss_mib()
        load(env, BIG, make_tickets(n - len(quarter), seed=11), opts.batch)
        log(f"{db}: {n} tickets loaded")
        with s.engine.connect() as conn:
            conn.info["write"] = False
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")
        raw = raw_queries(env)
        dash()
        time_raw(env, raw)
        miss_ms, hit_ms, raw_ms = [], [], []
        for _ in range(runs):
            touch(env, BIG)  # a new record: the server computes every widget again
            miss_ms.append(dash(hits=0)[0])
            hit_ms.extend(dash(hits=8)[0] for _ in range(3))
            raw_ms.append(time_raw(env, raw))
        rss["full"] = server.rss_mib()

        # Half the widgets over the small table: a write to it recomputes those only.
        r = client.post(f"/api/v1/apps/{APP}/dashboards", json=mixed_dashboard())
        if r.status_code != 201:
            raise RuntimeError(f"dashboard: {r.status_code} {r.text[:500]}")
        mixed_url = f"/api/v1/apps/{APP}/dashboards/{r.json()['id']}/data"
        dash(mixed_url)
        dash(mixed_url, hits=8)
        touch(env, SMALL)
        recomputed = dash(mixed_url)[1]["misses"]
    miss, hit, base = percentile(miss_ms, 50), percentile(hit_ms, 50), percentile(raw_ms, 50)
    figure = f"8 widgets (13 aggregates), {n:,} records"
    rows.append(row("dashboard · HTTP", db, f"p50 {figure}, computed (miss)", "ms", miss, baseline=base, ratio=miss / base, target=DASHBOARD_RATIO))  # fmt: skip
    rows.append(row("dashboard · HTTP", db, f"p50 {figure}, from the cache (hit)", "ms", hit, baseline=base, ratio=hit / base, target=DASHBOARD_HIT))  # fmt: skip
    changed = row("dashboard · HTTP", db, f"after a write to {SMALL}: widgets recomputed (4 read it)", "of 8", recomputed)  # fmt: skip
    changed.update(target="= 4", ok=recomputed == 4)
    rows.append(changed)
    log(
        f"{db}: miss p50 {miss:.1f} ms ({miss / base:.2f}× raw SQL {base:.1f} ms), "
        f"hit p50 {hit:.1f} ms ({hit / base:.3f}× raw SQL); "
        f"after a write to one table: widgets recomputed {recomputed} of 8"
    )
    rows.append(row("server memory", db, "RSS at start", "MiB", rss["start"]))
    rows.append(row("server memory", db, f"RSS, dashboard on {n // 4:,}", "MiB", rss["quarter"]))
    rows.append(row("server memory", db, f"RSS, dashboard on {n:,}", "MiB", rss["full"], baseline=rss["quarter"], ratio=rss["full"] / rss["quarter"], target=MEMORY_FLAT))  # fmt: skip
    return rows
