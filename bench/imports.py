"""Record import (issue 21): a CSV of ``--records`` rows (8 fields, the values as people type
them: ``2024年3月5日``, ``¥12,800.00``, option labels) imported with upsert by mobile, as
``cairn records import`` runs it (the job, batch by batch through the service bulk write),
against the service bulk insert of the same records (already in API form) into a twin table.

Figures: import rows/s (target ≥ 30,000), the ratio of the import's time to the bulk
insert's (≤ 2), and this process's resident memory when a quarter of the rows are in against
when all are (≤ 1.2: the file streams, nothing grows with it). The issue's figure is for
1,000,000 rows (``--records 1000000``).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import Env, Options, Target, log, row, scenario

APP = "ibench"
TABLE = "customers"
TWIN = "customers_bulk"
TIERS = ("VIP", "Gold", "Standard")
CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都")
FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "客户名称", "type": "text", "required": True},
    {"key": "mobile", "name": "手机", "type": "phone", "unique": True},
    {"key": "email", "name": "邮箱", "type": "email"},
    {
        "key": "tier",
        "name": "等级",
        "type": "single_select",
        "options": {"choices": [{"value": t} for t in TIERS]},
    },
    {"key": "credit", "name": "授信额度", "type": "currency"},
    {"key": "signed_on", "name": "签约日期", "type": "date"},
    {"key": "city", "name": "城市", "type": "text"},
    {"key": "active", "name": "有效", "type": "boolean"},
]
RATE = Target("value", ">=", 30_000, "rows/s")
RATIO = Target("ratio", "<=", 2)
MEMORY = Target("ratio", "<=", 1.2)


def _values(i: int) -> tuple[str, str, str, str, int, tuple[int, int, int], str, bool]:
    return (
        f"客户{i}",
        f"1{(3, 8)[i % 2]}{i % 10}{i:08d}",  # 130…139, 180…189: numbers in use
        f"c{i}@example.cn",
        TIERS[i % 3],
        (i % 5000) * 100,
        (2020 + i % 5, 1 + i % 12, 1 + i % 28),
        CITIES[i % len(CITIES)],
        i % 4 != 0,
    )


def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f["name"] for f in FIELDS])
        for i in range(n):
            name, mobile, email, tier, credit, (y, m, d), city, active = _values(i)
            yes = "是" if active else "否"
            cells = [name, mobile, email, tier.lower(), f"¥{credit:,}.00", f"{y}年{m}月{d}日"]
            w.writerow([*cells, city, yes])


def api_records(n: int, batch: int) -> Iterator[list[dict[str, Any]]]:
    """The same rows as the API takes them, a batch at a time."""
    part: list[dict[str, Any]] = []
    for i in range(n):
        name, mobile, email, tier, credit, (y, m, d), city, active = _values(i)
        part.append(
            {
                "name": name,
                "mobile": mobile,
                "email": email,
                "tier": tier,
                "credit": credit,
                "signed_on": f"{y}-{m:02d}-{d:02d}",
                "city": city,
                "active": active,
            }
        )
        if len(part) >= batch:
            yield part
            part = []
    if part:
        yield part


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@scenario(
    "imports",
    description="CSV import with upsert by mobile vs the service bulk insert; memory at 1/4 vs all",
)
def imports_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.auth import cli

    s = env.services
    n = opts.records
    s.apps.create({"key": APP, "name": "Import bench"})
    for key in (TABLE, TWIN):
        s.schema.create_table(APP, {"key": key, "name": key, "fields": FIELDS})
    path = env.data_dir / "customers.csv"
    log(f"imports: writing {n:,} rows to {path.name} ({env.db})")
    write_csv(path, n)
    log(f"imports: {path.stat().st_size / 2**20:.0f} MiB; importing with upsert by mobile")
    with path.open("rb") as fh:
        job = s.imports.upload(APP, TABLE, path.name, fh, cli())
    body = {"mode": "upsert", "key": "mobile"}
    s.imports.start(APP, TABLE, job["id"], body, dry_run=False, principal=cli())
    rss: dict[str, float] = {}
    quarter = n // 4

    def progress(done: int) -> None:
        if "quarter" not in rss and done >= quarter:
            rss["quarter"] = rss_mib()

    start, cpu = time.perf_counter(), time.process_time()
    status = s.import_runs.run_now(job["id"], progress=progress)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss["full"] = rss_mib()
    done = s.imports.get(APP, TABLE, job["id"], cli())
    if status != "done" or done["counts"]["created"] != n:
        raise RuntimeError(f"the import ended {status}: {done['counts']} {done['error']}")
    log(f"imports: {n:,} rows in {took:.1f} s; the bulk insert of the same rows")
    start = time.perf_counter()
    for part in api_records(n, opts.batch):
        s.records.bulk(APP, TWIN, part, return_items=False)
    bulk = time.perf_counter() - start
    db = env.db
    return [
        row("imports", db, f"import {n:,} rows, upsert by mobile", "rows/s", n / took, target=RATE),
        row(
            "imports",
            db,
            "import time vs service bulk insert",
            "s",
            took,
            baseline=bulk,
            ratio=took / bulk,
            target=RATIO,
        ),
        row("imports", db, "bulk insert (service) of the same rows", "rows/s", n / bulk),
        # On a busy machine the wall-clock rate says more about the neighbours than the code:
        # the rows per second of this process's own CPU time (the database server's not in it).
        row("imports", db, "import rows per CPU second of this process", "rows/s", n / cpu),
        row(
            "imports",
            db,
            f"RSS after all rows vs after {quarter:,}",
            "MiB",
            rss["full"],
            baseline=rss.get("quarter"),
            ratio=rss["full"] / rss["quarter"] if rss.get("quarter") else None,
            target=MEMORY,
        ),
    ]
