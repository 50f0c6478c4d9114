"""Formulas: a formula filter over N records against the hand-written SQL, and the Python
evaluator's throughput on a 10-node expression.

The filter ``AND({amount} > 500, DAYS(TODAY(), {signed_on}) > 30)`` runs through the query
builder (``{"formula": ...}`` filter node, count query) and is compared with the equivalent
hand-written ``SELECT count(*)`` in the same run on the same table.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, chunks, log, row, scenario

APP = "fbench"
TABLE = "deals"
FORMULA = "AND({amount} > 500, DAYS(TODAY(), {signed_on}) > 30)"
EXPRESSION = "IF({amount} > 100, {amount} * 1.1, {amount} + 5)"  # 10 nodes
FIELDS: list[dict[str, Any]] = [
    {"key": "title", "name": "标题", "type": "text"},
    {"key": "amount", "name": "金额", "type": "number", "options": {"decimals": 2}},
    {"key": "signed_on", "name": "签约日期", "type": "date"},
]
FILTER_RATIO = Target("ratio", "<=", 1.2)
REPEAT = 7


def _load(env: Env, n: int) -> Any:
    s = env.services
    s.apps.create({"key": APP, "name": "Formula bench"})
    s.schema.create_table(APP, {"key": TABLE, "name": TABLE, "fields": FIELDS})
    with s.engine.connect() as conn:
        conn.info["write"] = False
        schema = s.catalogs.get(conn).table(APP, TABLE)
    t = schema.sa_table
    rnd = random.Random(7)
    today = date.today()
    now = s.clock.now().replace(tzinfo=None)
    cols = {f.key: f.column_name for f in schema.fields}
    rows = [
        {
            "created_at": now,
            "updated_at": now,
            "version": 1,
            cols["title"]: f"deal {i}",
            cols["amount"]: None if i % 17 == 0 else round(rnd.uniform(0, 1000), 2),
            cols["signed_on"]: None if i % 23 == 0 else today - timedelta(days=rnd.randint(0, 120)),
        }
        for i in range(n)
    ]
    for part in chunks(rows, 5000):
        with s.engine.connect() as conn:
            conn.info["write"] = True
            with conn.begin():
                conn.execute(t.insert(), list(part))
    return schema


def _time(fn: Any) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


class _Fields:
    """A resolver over one number field, for the evaluator figure."""

    def field(self, name: str) -> Any:
        from cairn.formula import NUMBER, FieldInfo

        return FieldInfo("amount", NUMBER) if name == "amount" else None

    def target(self, relation_key: str) -> Any:
        return None


@scenario("formula", description="formula filter vs hand-written SQL; Python evaluations/s")
def formula_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.formula import DictRecord, Environment, Formula
    from cairn.query import build_select
    from cairn.services.uow import unit_of_work

    s = env.services
    log(f"formula: loading {opts.records} records ({env.db})")
    schema = _load(env, opts.records)
    t = schema.sa_table
    amount = t.c[schema.by_key["amount"].column_name]
    signed = t.c[schema.by_key["signed_on"].column_name]
    today = s.clock.now().astimezone(s.field_ctx.timezone).date()

    def formula_count() -> int:
        with unit_of_work(s, write=False) as uow:
            plan = build_select(
                uow.catalog,
                uow.catalog.table(APP, TABLE),
                filter={"formula": FORMULA},
                limit=1,
                clock=s.clock,
            )
            return uow.conn.execute(plan.count_select).scalar_one()

    raw_sql = sa.select(sa.func.count()).where(
        t.c.deleted_at.is_(None), amount > 500, signed < today - timedelta(days=30)
    )

    def raw_count() -> int:
        with s.engine.connect() as conn:
            conn.info["write"] = False
            return conn.execute(raw_sql).scalar_one()

    formula_count()
    raw_count()  # warm-up
    f_ms, f_n = _time(formula_count)
    r_ms, r_n = _time(raw_count)
    if f_n != r_n:
        raise AssertionError(f"formula filter matched {f_n} rows, hand-written SQL {r_n}")
    rows = [
        row(
            "formula",
            env.db,
            f"filter {opts.records} rows (median of {REPEAT})",
            "ms",
            f_ms,
            baseline=r_ms,
            ratio=f_ms / r_ms,
            target=FILTER_RATIO,
        ),
    ]
    # Python evaluator throughput
    f = Formula.compile(EXPRESSION, _Fields())
    ev = Environment(today, s.clock.now().replace(tzinfo=None))
    rnd = random.Random(3)
    records = [DictRecord({"amount": rnd.uniform(0, 200)}) for _ in range(10_000)]
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        for r in records:
            f.evaluate(r, ev)
        n += len(records)
    rate = n / (time.perf_counter() - t0)
    rows.append(
        row("formula", env.db, "Python evaluations of a 10-node expression", "eval/s", rate)
    )
    return rows
