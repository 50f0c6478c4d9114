"""Records: bulk insert and a filtered, sorted page, through the service layer and HTTP.

Each figure stands beside a raw-SQL baseline measured in the same run on the same database:
SQLAlchemy Core executemany into an identical table (same columns, same platform indexes) with
values already in column form, and the equivalent hand-written SELECT.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

APP = "bench"
TABLE = "customers"  # through the service layer; the page queries run on it
RAW_TABLE = "customers_raw"  # the Core executemany baseline
HTTP_TABLE = "customers_http"  # through the HTTP API

TIERS = ("VIP", "Gold", "Standard")
FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "姓名", "type": "text"},
    {"key": "phone", "name": "电话", "type": "phone"},
    {"key": "email", "name": "邮箱", "type": "email"},
    {
        "key": "tier",
        "name": "等级",
        "type": "single_select",
        "options": {"choices": [{"value": v} for v in TIERS]},
    },
    {"key": "city", "name": "城市", "type": "text"},
    {"key": "flight_hours", "name": "飞行小时", "type": "number"},
    {"key": "credit", "name": "授信额度", "type": "currency"},
    {"key": "signed_on", "name": "签约日期", "type": "date"},
    {"key": "last_contact", "name": "最近联系", "type": "datetime"},
    {"key": "active", "name": "有效", "type": "boolean"},
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国飞翔"
CITIES = ("北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "珠海", "三亚", "沈阳")
PHONE_PREFIXES = ("138", "139", "150", "186")  # always valid CN mobile ranges
CN = timezone(timedelta(hours=8))

SORT = [{"field": "flight_hours", "direction": "desc"}]
PAGE = 50

INSERT_RATIO = Target("ratio", "<=", 2)
HTTP_RATE = Target("value", ">=", 17_000, "rec/s")
PAGE_RATIO = Target("ratio", "<=", 1.5)
HTTP_P50 = Target("value", "<=", 5, "ms", dbs=("sqlite",))
MEMORY_FLAT = Target("ratio", "<=", 1.2)


def page_filter(threshold: int) -> dict[str, Any]:
    return {
        "and": [
            {"field": "tier", "op": "eq", "value": "VIP"},
            {"field": "flight_hours", "op": "gt", "value": threshold},
        ]
    }


# -- data ----------------------------------------------------------------------------------


def make_records(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` customers as an API client sends them (JSON values), the same for a given seed."""
    rng = random.Random(seed)
    start_day = date(2015, 1, 1)
    start_contact = datetime(2024, 1, 1, tzinfo=CN)
    out = []
    for i in range(n):
        out.append(
            {
                "name": rng.choice(SURNAMES)
                + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                "phone": f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**8):08d}",
                "email": f"c{i}.{rng.randrange(10**6)}@example.cn",
                "tier": rng.choices(TIERS, weights=(1, 3, 6))[0],
                "city": rng.choice(CITIES),
                "flight_hours": rng.randrange(3000),
                "credit": f"{rng.randrange(10**8) / 100:.2f}",
                "signed_on": (start_day + timedelta(days=rng.randrange(3650))).isoformat(),
                "last_contact": (
                    start_contact + timedelta(seconds=rng.randrange(365 * 86400))
                ).isoformat(),
                "active": rng.random() < 0.8,
            }
        )
    return out


def check_phones(records: Sequence[dict[str, Any]], sample: int = 2000) -> None:
    import phonenumbers

    for r in records[:sample]:
        number = phonenumbers.parse(r["phone"], "CN")
        if not phonenumbers.is_valid_number(number):
            raise AssertionError(f"invalid CN mobile in the data: {r['phone']}")


def setup_tables(env: Env) -> None:
    s = env.services
    s.apps.create({"key": APP, "name": "Bench"})
    for key in (TABLE, RAW_TABLE, HTTP_TABLE):
        s.schema.create_table(APP, {"key": key, "name": key, "fields": FIELDS})


def table_schema(env: Env, key: str) -> Any:
    s = env.services
    with s.engine.connect() as conn:
        conn.info["write"] = False
        return s.catalogs.get(conn).table(APP, key)


def count_live(env: Env, key: str) -> int:
    t = table_schema(env, key).sa_table
    with env.services.engine.connect() as conn:
        conn.info["write"] = False
        q = sa.select(sa.func.count()).select_from(t).where(t.c.deleted_at.is_(None))
        return conn.execute(q).scalar_one()


def column_rows(env: Env, key: str, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records in column form (what the service layer writes): coerced, system columns set."""
    schema = table_schema(env, key)
    now = datetime.now(UTC).replace(tzinfo=None)
    base = {
        "created_at": now,
        "updated_at": now,
        "created_by": None,
        "updated_by": None,
        "owner_id": None,
        "version": 1,
    }
    plan = [(f.key, f.column_name, schema.coercers[f.id]) for f in schema.fields]
    return [{**base, **{col: coerce(r[k]) for k, col, coerce in plan}} for r in records]


# -- inserts -------------------------------------------------------------------------------


def time_service_insert(env: Env, records: Sequence[dict[str, Any]], batch: int) -> float:
    bulk = env.services.records.bulk
    start = time.perf_counter()
    for part in chunks(records, batch):
        bulk(APP, TABLE, list(part), return_items=False)
    return time.perf_counter() - start


def time_raw_insert(env: Env, rows: Sequence[dict[str, Any]], batch: int) -> float:
    """Core executemany, one transaction per batch like the service layer."""
    t = table_schema(env, RAW_TABLE).sa_table
    insert = t.insert()
    engine = env.services.engine
    start = time.perf_counter()
    for part in chunks(rows, batch):
        with engine.connect() as conn:
            conn.info["write"] = True
            with conn.begin():
                conn.execute(insert, list(part))
    return time.perf_counter() - start


def time_http_insert(
    client: Any, records: Sequence[dict[str, Any]], batch: int, on_batch: Callable[[int], None]
) -> float:
    """POST …/records/bulk per batch (as a loader would: ``Prefer: return=minimal``, ids back);
    ``on_batch(records_so_far)`` runs outside the clock."""
    url = f"/api/v1/apps/{APP}/tables/{HTTP_TABLE}/records/bulk"
    headers = {"content-type": "application/json", "prefer": "return=minimal"}
    bodies = [
        json.dumps({"records": list(part)}, ensure_ascii=False).encode()
        for part in chunks(records, batch)
    ]
    elapsed = 0.0
    done = 0
    for body in bodies:
        start = time.perf_counter()
        r = client.post(url, content=body, headers=headers)
        elapsed += time.perf_counter() - start
        if r.status_code != 201:
            raise RuntimeError(f"bulk insert through HTTP: {r.status_code} {r.text[:500]}")
        done += min(batch, len(records) - done)
        on_batch(done)
    return elapsed


# -- the filtered page ---------------------------------------------------------------------


def raw_page_sql(env: Env) -> tuple[str, Callable[[int], dict[str, Any]]]:
    """The hand-written equivalent of the query builder's SELECT (same columns, order, limit)."""
    schema = table_schema(env, TABLE)
    dialect = env.services.engine.dialect
    q = dialect.identifier_preparer.quote
    tier = schema.by_key["tier"]
    vip = next(c["id"] for c in tier.options["choices"] if c["value"] == "VIP")
    hours = q(schema.by_key["flight_hours"].column_name)
    cols = ", ".join(
        ["id", "version", "created_at", "updated_at", "created_by", "owner_id"]
        + [q(f.column_name) for f in schema.fields]
        + [f"{hours} AS _sort_0", "id AS _sort_1"]
    )
    param = (lambda n: f"%({n})s") if dialect.name == "postgresql" else (lambda n: f":{n}")
    sql = (
        f"SELECT {cols} FROM {q(schema.sa_table.name)}"
        f" WHERE deleted_at IS NULL AND {q(tier.column_name)} = {param('tier')}"
        f" AND {hours} > {param('hours')}"
        f" ORDER BY {hours} DESC NULLS FIRST, id DESC NULLS FIRST LIMIT {PAGE + 1}"
    )
    return sql, lambda threshold: {"tier": vip, "hours": threshold}


def builder_sql(env: Env, threshold: int) -> str:
    from cairn.query import build_select
    from cairn.services.uow import unit_of_work

    s = env.services
    with unit_of_work(s, write=False) as uow:
        schema = uow.catalog.table(APP, TABLE)
        plan = build_select(
            uow.catalog,
            schema,
            filter=page_filter(threshold),
            sort=SORT,
            fields=[f.key for f in schema.fields],
            limit=PAGE,
            clock=s.clock,
        )
        return str(plan.select.compile(dialect=s.engine.dialect))


def time_pages(
    env: Env, queries: int
) -> tuple[list[float], list[float], Callable[[int], list[int]], Callable[[int], list[int]]]:
    """Service-layer and raw page queries, interleaved so drift hits both alike (ms each)."""
    s = env.services
    sql, params = raw_page_sql(env)
    engine = s.engine

    def service(threshold: int) -> list[int]:
        page = s.records.query(APP, TABLE, filter=page_filter(threshold), sort=SORT, limit=PAGE)
        return [item["id"] for item in page["items"]]

    def raw(threshold: int) -> list[int]:
        with engine.connect() as conn:
            conn.info["write"] = False
            rows = conn.exec_driver_sql(sql, params(threshold)).all()
        return [r[0] for r in rows[:PAGE]]

    for i in range(10):  # warm-up: catalogue, statement caches, pages in memory
        service(450 + i)
        raw(450 + i)
    svc_ms: list[float] = []
    raw_ms: list[float] = []
    for i in range(queries):
        threshold = 500 + i % 50
        t0 = time.perf_counter()
        service(threshold)
        t1 = time.perf_counter()
        raw(threshold)
        t2 = time.perf_counter()
        svc_ms.append((t1 - t0) * 1000)
        raw_ms.append((t2 - t1) * 1000)
    return svc_ms, raw_ms, service, raw


def time_http_pages(client: Any, queries: int) -> tuple[list[float], Callable[[int], list[int]]]:
    url = f"/api/v1/apps/{APP}/tables/{TABLE}/records/query"
    headers = {"content-type": "application/json"}

    def body(threshold: int) -> bytes:
        return json.dumps({"filter": page_filter(threshold), "sort": SORT, "limit": PAGE}).encode()

    def http(threshold: int, content: bytes | None = None) -> list[int]:
        r = client.post(url, content=content or body(threshold), headers=headers)
        if r.status_code != 200:
            raise RuntimeError(f"page query through HTTP: {r.status_code} {r.text[:500]}")
        return [item["id"] for item in r.json()["items"]]

    for i in range(10):
        http(450 + i)
    bodies = [body(500 + i % 50) for i in range(queries)]
    out = []
    for i, content in enumerate(bodies):
        t0 = time.perf_counter()
        http(500 + i % 50, content)
        out.append((time.perf_counter() - t0) * 1000)
    return out, http


# -- the scenario --------------------------------------------------------------------------


@scenario(
    "core_records",
    description="bulk insert (service, HTTP) and a filtered sorted page (service, HTTP) vs raw SQL",
)
def core_records(env: Env, opts: Options) -> list[dict[str, Any]]:

    db, n, batch = env.db, opts.records, opts.batch
    rows: list[dict[str, Any]] = []
    records = make_records(n)
    check_phones(records)
    setup_tables(env)
    raw_rows = column_rows(env, RAW_TABLE, records)
    log(f"{db}: {n} records generated, tables ready")

    svc_s = time_service_insert(env, records, batch)
    log(f"{db}: service insert {n} in {svc_s:.2f} s")
    raw_s = time_raw_insert(env, raw_rows, batch)
    log(f"{db}: Core executemany {n} in {raw_s:.2f} s")
    del raw_rows
    for key in (TABLE, RAW_TABLE):
        if count_live(env, key) != n:
            raise AssertionError(f"{key}: expected {n} records")
    figure = f"insert {n:,} ({batch:,}/batch)"
    rows.append(
        row(
            "bulk insert · service",
            db,
            figure,
            "rec/s",
            n / svc_s,
            baseline=n / raw_s,
            ratio=svc_s / raw_s,
            target=INSERT_RATIO,
        )
    )

    server = env.start_server()
    rss: dict[str, float] = {"start": server.rss_mib()}
    quarter = max(batch, (n // 4) // batch * batch)

    def on_batch(done: int) -> None:
        if done == quarter:
            rss["quarter"] = server.rss_mib()

    with env.api_client(server) as client:
        http_s = time_http_insert(client, records, batch, on_batch)
        rss["full"] = server.rss_mib()
        log(f"{db}: HTTP insert {n} in {http_s:.2f} s")
        if count_live(env, HTTP_TABLE) != n:
            raise AssertionError(f"{HTTP_TABLE}: expected {n} records")
        rows.append(
            row(
                "bulk insert · HTTP",
                db,
                figure,
                "rec/s",
                n / http_s,
                baseline=n / raw_s,
                ratio=http_s / raw_s,
                target=HTTP_RATE,
            )
        )
        del records

        if opts.verbose:
            log(f"{db}: query builder SQL:\n{builder_sql(env, 500)}")
            log(f"{db}: hand-written SQL:\n{raw_page_sql(env)[0]}")
        svc_ms, raw_ms, service, raw = time_pages(env, opts.queries)
        http_ms, http = time_http_pages(client, opts.queries)
        rss["queries"] = server.rss_mib()
        for threshold in (500, 525, 549):
            ids = raw(threshold)
            if not ids or service(threshold) != ids or http(threshold) != ids:
                raise AssertionError(f"service, HTTP and raw pages differ (> {threshold})")
    log(f"{db}: {opts.queries} page queries each through service, raw SQL and HTTP")

    raw_p50, raw_p99 = percentile(raw_ms, 50), percentile(raw_ms, 99)
    figure = f"page of {PAGE}, 2 conditions + sort, {n:,} records"
    for name, ms, p50_target in (
        ("filtered page · service", svc_ms, PAGE_RATIO),
        ("filtered page · HTTP", http_ms, HTTP_P50),
    ):
        p50, p99 = percentile(ms, 50), percentile(ms, 99)
        rows.append(
            row(
                name,
                db,
                f"p50 {figure}",
                "ms",
                p50,
                baseline=raw_p50,
                ratio=p50 / raw_p50,
                target=p50_target,
            )
        )
        rows.append(
            row(name, db, f"p99 {figure}", "ms", p99, baseline=raw_p99, ratio=p99 / raw_p99)
        )

    base = rss.get("quarter", rss["start"])
    rows.append(row("server memory", db, "RSS at start", "MiB", rss["start"]))
    rows.append(row("server memory", db, f"RSS after {quarter:,} inserted", "MiB", base))
    rows.append(
        row(
            "server memory",
            db,
            f"RSS after {n:,} inserted",
            "MiB",
            rss["full"],
            baseline=base,
            ratio=rss["full"] / base,
            target=MEMORY_FLAT,
        )
    )
    rows.append(
        row(
            "server memory",
            db,
            "RSS after the page queries",
            "MiB",
            rss["queries"],
            baseline=base,
            ratio=rss["queries"] / base,
            target=MEMORY_FLAT,
        )
    )
    return rows


# -- profiling -----------------------------------------------------------------------------


def profile_service_insert(env: Env, opts: Options, top: int = 25) -> str:
    """cProfile of the service-layer bulk insert of ``opts.records`` records (by cumulative time)."""
    records = make_records(opts.records)
    setup_tables(env)
    prof = cProfile.Profile()
    prof.enable()
    elapsed = time_service_insert(env, records, opts.batch)
    prof.disable()
    out = io.StringIO()
    print(
        f"service-layer insert of {opts.records:,} records on {env.db}: {elapsed:.2f} s "
        f"under cProfile ({opts.records / elapsed:,.0f} rec/s)",
        file=out,
    )
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    print("-- by own (tottime) --", file=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()
