"""``python -m bench``: run the registered scenarios, print a table and a ``BENCH_JSON`` line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench import (
    browser,
    core_records,
    forms,
    formula_filter,
    grid_outliers,
    grid_reads,
    identity,
    imports,
    insight_scores,
    insight_segments,
    insight_timeline,
    permissions,
    process,
    reports,
    rules,
    startup,
    subforms,
)
from bench.harness import (
    DBS,
    DEFAULT_PG_URL,
    SCENARIOS,
    Options,
    environment,
    machine,
    pg_problem,
    render_table,
    run_all,
    save_json,
)

# Scenario modules register on import; later issues add theirs here.
SCENARIO_MODULES = (
    core_records,
    formula_filter,
    permissions,
    reports,
    process,
    rules,
    startup,
    subforms,
    forms,
    browser,
    grid_reads,
    grid_outliers,
    imports,
    identity,
    insight_segments,
    insight_scores,
    insight_timeline,
)


GRID_SIZES = grid_reads.SIZES


def sizes(text: str) -> tuple[int, ...]:
    """``20000,200000`` (``_`` allowed in numbers) as a tuple of positive ints."""
    try:
        out = tuple(int(x.replace("_", "")) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--records", type=int, default=200_000, help="records per table (200000)")
    p.add_argument("--db", choices=(*DBS, "both"), default="both", help="database(s) (both)")
    p.add_argument("--queries", type=int, default=200, help="timed page queries (200)")
    p.add_argument(
        "--sizes",
        type=sizes,
        default=GRID_SIZES,
        help="table sizes of grid_reads, comma separated (20000,200000,1000000)",
    )
    p.add_argument("--batch", type=int, default=1000, help="records per bulk call (1000)")
    p.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    p.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="an admin URL; a throw-away database is created next to it",
    )
    p.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the service-layer insert of --records records instead (first --db)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("-v", "--verbose", action="store_true", help="show the SQL compared")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:20} {', '.join(s.dbs):20} {s.description}")
        return 0
    opts = Options(
        records=args.records,
        queries=args.queries,
        dbs=DBS if args.db == "both" else (args.db,),
        batch=args.batch,
        pg_url=args.pg_url,
        verbose=args.verbose,
        sizes=args.sizes,
    )
    if args.profile:
        db = opts.dbs[0]
        if db == "postgresql" and (problem := pg_problem(opts.pg_url)):
            print(f"PostgreSQL unreachable: {problem}")
            return 1
        with environment(db, opts) as env:
            print(core_records.profile_service_insert(env, opts))
        return 0

    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    rows = run_all(opts, args.scenario)
    payload = {
        "started": started,
        "seconds": round(time.perf_counter() - t0, 1),
        "records": opts.records,
        "queries": opts.queries,
        "batch": opts.batch,
        "machine": machine(),
        "rows": rows,
    }
    render_table(rows, f"Cairn bench: {opts.records:,} records, {opts.queries} queries")
    missed = [r for r in rows if r["ok"] is False]
    checked = [r for r in rows if r["ok"] is not None]
    print(f"targets met: {len(checked) - len(missed)}/{len(checked)}")
    for p in save_json(payload, args.json):
        print(f"saved {p}")
    sys.stdout.write("BENCH_JSON " + json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
