"""Sub-forms (issue 19): reading a record with a 200-row sub-form (five columns, one a
formula) against the same record without one, through HTTP (the target) and the service
layer; then with the record's total, a formula over the rows: against the same read without
it (the target: the total's SQL is built once per schema, not per read), and against the
hand-written SQL of the same two queries (the record with its total, its rows with their
amounts) through the service and HTTP; and saving it with one row changed: through HTTP,
the rows whose version the save bumped (the target: one), and through the service, the
statements that write the rows' table.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event

from bench.harness import Env, Options, Target, log, percentile, row, scenario

APP = "sbench"
ROWS = 200
FIELDS: list[dict[str, Any]] = [
    {"key": "title", "name": "标题", "type": "text"},
    {"key": "customer", "name": "客户", "type": "text"},
    {"key": "amount", "name": "金额", "type": "currency"},
]
COLUMNS: list[dict[str, Any]] = [
    {"key": "item", "name": "品名", "type": "text"},
    {"key": "qty", "name": "数量", "type": "number"},
    {"key": "price", "name": "单价", "type": "currency"},
    {
        "key": "line_amount",
        "name": "金额",
        "type": "formula",
        "options": {"formula": "{qty}*{price}"},
    },
    {"key": "note", "name": "备注", "type": "text"},
]
READ_RATIO = Target("ratio", "<=", 3)
#: What the total adds to the read: its SQL is built once per schema, not per read.
TOTAL_RATIO = Target("ratio", "<=", 1.5)
ROWS_WRITTEN = Target("value", "<=", 1, "rows")


def _p50_ms(fn: Any, n: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


@scenario("subform", description="read a record with a 200-row sub-form; save one changed row")
def subform_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    s = env.services
    s.apps.create({"key": APP, "name": "Sub-form bench"})
    s.schema.create_table(APP, {"key": "quotes", "name": "报价", "fields": FIELDS})
    s.schema.create_table(APP, {"key": "plain", "name": "无明细", "fields": FIELDS})
    s.schema.create_field(APP, "quotes", {"key": "lines", "name": "明细", "type": "subform"})
    for spec in COLUMNS:
        s.schema.create_field(APP, "quotes_lines", spec)
    log(f"subform: a quote with {ROWS} lines ({env.db})")
    head = {"title": "报价 1", "customer": "海航", "amount": 1000}
    lines = [
        {"item": f"零件 {i}", "qty": i % 7 + 1, "price": 12.5, "note": "备注"} for i in range(ROWS)
    ]
    quote = s.records.create(APP, "quotes", {**head, "lines": lines})
    plain = s.records.create(APP, "plain", head)
    n = max(opts.queries, 20)
    svc_rows = _p50_ms(lambda: s.records.get(APP, "quotes", quote["id"]), n)
    svc_plain = _p50_ms(lambda: s.records.get(APP, "plain", plain["id"]), n)
    server = env.start_server()
    with env.api_client(server) as client:

        def read(table: str, rid: int) -> None:
            r = client.get(f"/api/v1/apps/{APP}/tables/{table}/records/{rid}")
            if r.status_code != 200:
                raise RuntimeError(f"read through HTTP: {r.status_code} {r.text[:300]}")

        with_rows = _p50_ms(lambda: read("quotes", quote["id"]), n)
        without = _p50_ms(lambda: read("plain", plain["id"]), n)
        # The quote's total, a formula over its rows: what it adds to a read (not a target).
        total = {"formula": "SUM({明细.金额})"}
        s.schema.create_field(
            APP, "quotes", {"key": "lines_total", "type": "formula", "options": total}
        )
        with_total = _p50_ms(lambda: read("quotes", quote["id"]), n)
        raw = _raw_read(env, quote["id"])
        svc_total, raw_ms = _interleaved(lambda: s.records.get(APP, "quotes", quote["id"]), raw, n)
        http_total, raw_http = _interleaved(lambda: read("quotes", quote["id"]), raw, n)
        got = s.records.get(APP, "quotes", quote["id"])
        if float(got["lines_total"]) != raw()[0][0][-1]:
            raise AssertionError(f"total {got['lines_total']} against {raw()[0][0][-1]} (raw)")
        # Saving one changed row through HTTP: the rows whose version moved.
        child = s.schema.get_table(APP, "quotes_lines")["id"]
        url = f"/api/v1/apps/{APP}/tables/quotes/records/{quote['id']}"
        current = client.get(url).json()
        http_written: list[int] = []
        http_saves: list[float] = []
        for k in range(10):
            body = [{"id": r["id"]} for r in current["lines"]]
            body[50] = {"id": body[50]["id"], "qty": 200 + k}
            versions = _row_versions(env, child)
            t0 = time.perf_counter()
            r = client.patch(url, json={"version": current["version"], "lines": body})
            http_saves.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"save through HTTP: {r.status_code} {r.text[:300]}")
            current = r.json()
            after = _row_versions(env, child)
            http_written.append(sum(1 for rid, v in after.items() if versions.get(rid) != v))
        quote = current

    writes: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if f"t_{child}" in statement and not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    current = quote
    saves: list[float] = []
    event.listen(s.engine, "before_cursor_execute", note)
    try:
        for k in range(10):
            body = [{"id": r["id"]} for r in current["lines"]]
            body[100] = {"id": body[100]["id"], "qty": 100 + k}
            writes.clear()
            t0 = time.perf_counter()
            current = s.records.update(
                APP, "quotes", quote["id"], {"version": current["version"], "lines": body}
            )
            saves.append((time.perf_counter() - t0) * 1000)
    finally:
        event.remove(s.engine, "before_cursor_execute", note)
    return [
        row(
            "subform",
            env.db,
            f"read a record with {ROWS} sub-form rows · HTTP p50 (vs without)",
            "ms",
            with_rows,
            baseline=without,
            ratio=with_rows / without,
            target=READ_RATIO,
        ),
        row(
            "subform",
            env.db,
            "… and its total, SUM({明细.金额}) · HTTP p50 (vs without)",
            "ms",
            with_total,
            baseline=without,
            ratio=with_total / without,
        ),
        row(
            "subform",
            env.db,
            "… and its total · HTTP p50 (vs the rows alone)",
            "ms",
            with_total,
            baseline=with_rows,
            ratio=with_total / with_rows,
            target=TOTAL_RATIO,
        ),
        row(
            "subform",
            env.db,
            "… and its total · service p50 (vs hand-written SQL of its two queries)",
            "ms",
            svc_total,
            baseline=raw_ms,
            ratio=svc_total / raw_ms,
        ),
        row(
            "subform",
            env.db,
            "… and its total · HTTP p50 (vs hand-written SQL of its two queries)",
            "ms",
            http_total,
            baseline=raw_http,
            ratio=http_total / raw_http,
        ),
        row(
            "subform",
            env.db,
            f"read a record with {ROWS} sub-form rows · service p50 (vs without)",
            "ms",
            svc_rows,
            baseline=svc_plain,
            ratio=svc_rows / svc_plain,
        ),
        row(
            "subform",
            env.db,
            f"save one changed row of {ROWS} · HTTP: rows written (most of 10 saves)",
            "rows",
            max(http_written),
            target=ROWS_WRITTEN,
        ),
        row(
            "subform",
            env.db,
            f"save one changed row of {ROWS} · HTTP p50",
            "ms",
            percentile(http_saves, 50),
        ),
        row(
            "subform",
            env.db,
            f"save one changed row of {ROWS} · service: statements writing the rows",
            "rows",
            len(writes),
            target=ROWS_WRITTEN,
        ),
        row(
            "subform",
            env.db,
            f"save one changed row of {ROWS} · service p50",
            "ms",
            percentile(saves, 50),
        ),
    ]


def _interleaved(fn: Any, raw: Any, n: int) -> tuple[float, float]:
    """p50 of ``fn`` and of ``raw`` run by turns (so drift hits both alike), in ms."""
    fn(), raw()  # warm-up
    a: list[float] = []
    b: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        raw()
        b.append((time.perf_counter() - t1) * 1000)
        a.append((t1 - t0) * 1000)
    return percentile(a, 50), percentile(b, 50)


def _raw_read(env: Env, record_id: int) -> Any:
    """The hand-written SQL of a quote's read with its total: the record with the sum of its
    rows' amounts, and its rows in order with their amounts (qty × price), through the driver."""
    s = env.services
    with s.engine.connect() as conn:
        conn.info["write"] = False
        cat = s.catalogs.get(conn)
    quotes, lines = cat.table(APP, "quotes"), cat.table(APP, "quotes_lines")
    col = {f.key: f.column_name for t in (quotes, lines) for f in t.fields}
    qt, lt = quotes.sa_table.name, lines.sa_table.name
    system = "id, version, created_at, updated_at, created_by, owner_id"
    amount = f"{col['qty']} * {col['price']}"
    param = "%(id)s" if env.db == "postgresql" else ":id"
    record_sql = (
        f"SELECT {system}, {col['title']}, {col['customer']}, {col['amount']},"
        f" (SELECT SUM({amount}) FROM {lt} l WHERE l.parent_id = q.id"
        f" AND l.deleted_at IS NULL) AS lines_total"
        f" FROM {qt} q WHERE id = {param} AND deleted_at IS NULL"
    )
    rows_sql = (
        f"SELECT {system}, {col['item']}, {col['qty']}, {col['price']}, {amount} AS line_amount,"
        f" {col['note']}, parent_id, position FROM {lt}"
        f" WHERE parent_id = {param} AND deleted_at IS NULL ORDER BY position, id"
    )

    def raw() -> tuple[list[Any], list[Any]]:
        with s.engine.connect() as conn:
            conn.info["write"] = False
            record = conn.exec_driver_sql(record_sql, {"id": record_id}).all()
            rows = conn.exec_driver_sql(rows_sql, {"id": record_id}).all()
        if len(record) != 1 or len(rows) != ROWS:
            raise AssertionError(f"raw read: {len(record)} record, {len(rows)} rows")
        return record, rows

    return raw


def _row_versions(env: Env, child: int) -> dict[int, int]:
    """``{row id: version}`` of the rows' table, live or not."""
    with env.services.engine.connect() as c:
        q = f"SELECT id, version FROM t_{child}"  # the id of a table the bench created
        return {rid: v for rid, v in c.exec_driver_sql(q)}
