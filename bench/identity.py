"""One-ID (issue 21): ``--records`` customers (name, mobile marked as an identity key, city)
with 2% duplicates of other customers (a typo in the name, the mobile typed with spaces,
dashes or +86) and 0.5% spouses sharing a mobile under another name (pairs a rule must not
take for one person), under one rule: mobile exact + name fuzzy, threshold 50 (one character of a two-character
Chinese name changed still scores 50; a spouse's name sharing no character scores 0).

Figures: matching one new record against the table through ``services.identity.match``
(p50, p99; target ≤ 5 ms p99 at 1,000,000), against the raw-SQL block lookup it is built on;
"find duplicates" over the whole table (the job, batch by batch: seconds, target ≤ 120 s at
1,000,000) against a raw-SQL self-join on the mobile column; its recall and precision on the
known pairs (≥ 0.99 each); and what resolution costs a bulk write of 1,000 records (the rule
on vs the load without rules).
"""

from __future__ import annotations

import random
import time
from typing import Any

import sqlalchemy as sa

from bench.harness import Env, Options, Target, log, percentile, row, scenario

APP = "onebench"
TABLE = "customers"
FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "姓名", "type": "text"},
    {"key": "mobile", "name": "手机", "type": "phone", "options": {"identity_key": "mobile"}},
    {"key": "city", "name": "城市", "type": "text"},
]
RULE = {
    "name": "手机+姓名",
    "kind": "combo",
    "parts": [{"field": "mobile", "compare": "exact"}, {"field": "name", "compare": "fuzzy"}],
    "threshold": 50,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥建华文辉力斌宇浩凯鹏飞鑫晨阳欣怡子涵梓轩雨桐思远俊杰佳琪嘉怡志强海燕春梅"
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都")
DUPES = 0.02
SPOUSES = 0.005
MATCH_P99 = Target("value", "<=", 5, "ms")
FIND_SECONDS = Target("value", "<=", 120, "s")
QUALITY = Target("value", ">=", 0.99)


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def typo(rng: random.Random, text: str) -> str:
    """One character of the given name changed, added or dropped, or the name spaced."""
    kind = rng.choice(("sub", "add", "drop", "space"))
    at = rng.randrange(1, len(text))
    if kind == "sub":
        return text[:at] + rng.choice(GIVEN) + text[at + 1 :]
    if kind == "add":
        return text[:at] + rng.choice(GIVEN) + text[at:]
    if kind == "drop" and len(text) > 2:
        return text[:at] + text[at + 1 :]
    return " ".join(text)


def noisy(rng: random.Random, mobile: str) -> str:
    """The same mobile as people type it."""
    return rng.choice(
        (
            f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
            f"+86 {mobile}",
            f"+86-{mobile[:3]}-{mobile[3:]}",
            mobile,
        )
    )


def people(n: int, seed: int = 21) -> tuple[list[dict[str, Any]], set[tuple[int, int]]]:
    """``n`` customers (0-based positions) and the true duplicate pairs among them."""
    rng = random.Random(seed)
    n_dupes, n_spouses = int(n * DUPES), int(n * SPOUSES)
    n_orig = n - n_dupes - n_spouses
    mobiles = rng.sample(range(10**8), n_orig)
    out = [
        {"name": name(rng), "mobile": f"13{i % 10}{m:08d}", "city": rng.choice(CITIES)}
        for i, m in enumerate(mobiles)
    ]
    truth: set[tuple[int, int]] = set()
    for _ in range(n_dupes):
        src = rng.randrange(n_orig)
        o = out[src]
        truth.add((src, len(out)))
        out.append(
            {"name": typo(rng, o["name"]), "mobile": noisy(rng, o["mobile"]), "city": o["city"]}
        )
    for _ in range(n_spouses):
        o = out[rng.randrange(n_orig)]
        spouse = name(rng)
        while set(spouse) & set(o["name"]):  # another person's name shares no character
            spouse = name(rng)
        out.append({"name": spouse, "mobile": noisy(rng, o["mobile"]), "city": o["city"]})
    # dupes of one original are one person: every pair among them is a true pair
    by_src: dict[int, list[int]] = {}
    for a, b in truth:
        by_src.setdefault(a, [a]).append(b)
    full = {(x, y) for group in by_src.values() for x in group for y in group if x < y}
    return out, full


@scenario(
    "identity",
    description="One-ID: match one record p50/p99, find duplicates (s, recall, precision)",
)
def identity_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.store import identity as store
    from cairn.store.tables.identity import identity_blocks, identity_suggestions

    s, db, n = env.services, env.db, opts.records
    s.apps.create({"key": APP, "name": "One-ID bench"})
    s.schema.create_table(APP, {"key": TABLE, "name": TABLE, "fields": FIELDS})
    data, truth = people(n)
    log(f"identity: loading {n:,} customers ({len(truth):,} true pairs) on {db}")
    ids: list[int] = []
    t0 = time.perf_counter()
    for i in range(0, n, opts.batch):
        ids += s.records.bulk(APP, TABLE, data[i : i + opts.batch], return_items=False)["ids"]
    load = time.perf_counter() - t0
    rule = s.identity_rules.create(APP, TABLE, RULE)  # a large table: a job is queued
    s.identity_jobs.start(APP, TABLE)  # (the one queued, or one for a small table)
    log(f"identity: loaded in {load:.1f} s; finding duplicates (rule {rule['id']})")
    t0 = time.perf_counter()
    s.identity_jobs.work()
    find = time.perf_counter() - t0
    job = s.identity_jobs.list(APP, TABLE)[0]
    if job["status"] != "done" or job["done"] != n:
        raise RuntimeError(f"find duplicates ended {job}")
    position = {rid: i for i, rid in enumerate(ids)}
    sug = identity_suggestions.c
    with s.engine.connect() as conn:
        schema = s.catalogs.get(conn).table(APP, TABLE)
        found = {
            (position[a], position[b])
            for a, b in conn.execute(
                sa.select(sug.record_a, sug.record_b).where(sug.table_id == schema.id)
            )
        }
        t0 = time.perf_counter()
        col = schema.column(schema.by_key["mobile"])
        t = schema.sa_table
        other = t.alias("o")
        join = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.join(other, sa.and_(col == other.c[col.name], t.c.id < other.c.id)))
            .where(t.c.deleted_at.is_(None), other.c.deleted_at.is_(None))
        ).scalar_one()
        raw_find = time.perf_counter() - t0
    hits = len(found & truth)
    recall = hits / len(truth) if truth else 1.0
    precision = hits / len(found) if found else 1.0
    log(
        f"identity: {len(found):,} pairs in {find:.1f} s; recall {recall:.4f} precision {precision:.4f}"
    )

    rng = random.Random(7)
    probes = [data[rng.randrange(n)] for _ in range(opts.queries)]
    took: list[float] = []
    for p in probes:
        values = {"mobile": noisy(rng, p["mobile"]), "name": p["name"]}
        t0 = time.perf_counter()
        got = s.identity.match(APP, TABLE, values)
        took.append((time.perf_counter() - t0) * 1000)
        if not got["candidates"]:
            raise RuntimeError(f"no match for {values}")
    raw: list[float] = []
    b = identity_blocks.c
    with s.engine.connect() as conn:
        for p in probes:
            block = f"0=+86{p['mobile']}"
            t0 = time.perf_counter()
            rids = [
                r
                for (r,) in conn.execute(
                    sa.select(b.record_id).where(b.rule_id == rule["id"], b.block == block)
                )
            ]
            conn.execute(
                sa.select(t.c.id, *[schema.column(f) for f in schema.fields]).where(
                    t.c.id.in_(rids)
                )
            ).all()
            raw.append((time.perf_counter() - t0) * 1000)
    # resolution's cost on a bulk write: 1,000 new customers per call, the rule on
    extra, _ = people(10 * opts.batch, seed=99)
    t0 = time.perf_counter()
    for i in range(0, len(extra), opts.batch):
        s.records.bulk(APP, TABLE, extra[i : i + opts.batch], return_items=False)
    with_rule = (time.perf_counter() - t0) / (len(extra) / opts.batch)
    per_batch = load / (n / opts.batch)
    with s.engine.connect() as conn:
        filed = store.live_count(conn, schema)
    log(f"identity: {filed:,} live customers at the end")
    return [
        row("identity", db, f"load {n:,} customers (no rules), service bulk", "rows/s", n / load),
        row(
            "identity",
            db,
            f"match one record against {n:,}: p50",
            "ms",
            percentile(took, 50),
            baseline=percentile(raw, 50),
            ratio=percentile(took, 50) / percentile(raw, 50),
        ),
        row(
            "identity",
            db,
            f"match one record against {n:,}: p99",
            "ms",
            percentile(took, 99),
            baseline=percentile(raw, 99),
            ratio=percentile(took, 99) / percentile(raw, 99),
            target=MATCH_P99,
        ),
        row(
            "identity",
            db,
            f"find duplicates over {n:,} (2% dupes), the job",
            "s",
            find,
            baseline=raw_find,
            ratio=find / raw_find if raw_find else None,
            target=FIND_SECONDS,
        ),
        row(
            "identity",
            db,
            f"find duplicates: recall ({len(truth):,} true pairs)",
            "",
            recall,
            target=QUALITY,
        ),
        row(
            "identity",
            db,
            f"find duplicates: precision ({len(found):,} found)",
            "",
            precision,
            target=QUALITY,
        ),
        row(
            "identity",
            db,
            f"bulk write of {opts.batch:,} with the rule vs without",
            "ms",
            with_rule * 1000,
            baseline=per_batch * 1000,
            ratio=with_rule / per_batch,
        ),
        row("identity", db, f"raw self-join on mobile ({join:,} pairs)", "s", raw_find),
    ]
