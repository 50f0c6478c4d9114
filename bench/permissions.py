"""Permissions: the core filtered page read by a member whose role limits rows to their own
department and masks two fields, against the same query by an administrator.

Records are owned by users of ten departments (each department owns a tenth); the member's
row scope is ``department``, with ``phone`` and ``email`` masked. Both read through the
service layer with the same filter and sort; the two are interleaved so drift hits both."""

from __future__ import annotations

import time
from typing import Any

from bench.core_records import APP, FIELDS, PAGE, SORT, make_records, page_filter
from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

TABLE = "customers"
DEPARTMENTS = 10
PAGE_RATIO = Target("ratio", "<=", 1.3)


def setup(env: Env, n: int, batch: int) -> tuple[Any, Any]:
    """The table, departments, an owner per department, the records; (admin, member)."""
    from cairn.auth import Principal, cli

    s = env.services
    s.apps.create({"key": APP, "name": "Bench"})
    s.schema.create_table(APP, {"key": TABLE, "name": TABLE, "fields": FIELDS})
    d = s.directory
    owners = []
    for i in range(DEPARTMENTS):
        dept = d.create_department(cli(), {"name": f"Dept {i}"})["id"]
        owners.append(d.create_user(cli(), {"username": f"owner{i}", "department_id": dept}))
    member = d.create_user(
        cli(), {"username": "member", "department_id": owners[0]["department_id"]}
    )
    d.create_role(
        cli(),
        {
            "key": "dept_reader",
            "name": "Department reader",
            "tables": [
                {
                    "app": APP,
                    "table": TABLE,
                    "actions": ["read"],
                    "row_scope": "department",
                    "fields": {"phone": "masked", "email": "masked"},
                }
            ],
            "members": ["member"],
        },
    )
    for i, part in enumerate(chunks(make_records(n), batch)):
        owner = owners[i % DEPARTMENTS]["id"]
        s.records.bulk(APP, TABLE, list(part), actor_id=owner, return_items=False)
    admin = Principal(None, "bench-admin", True, "token")
    return admin, Principal(member["id"], "member", False, "token")


@scenario(
    "permissions",
    description="filtered page: member (department scope, 2 masked fields) vs administrator",
)
def permissions(env: Env, opts: Options) -> list[dict[str, Any]]:
    db, n = env.db, opts.records
    admin, member = setup(env, n, opts.batch)
    log(f"{db}: {n} records in {DEPARTMENTS} departments")
    s = env.services

    def page(principal: Any, threshold: int) -> list[dict[str, Any]]:
        return s.records.query(
            APP, TABLE, filter=page_filter(threshold), sort=SORT, limit=PAGE, principal=principal
        )["items"]

    for i in range(10):
        page(admin, 450 + i)
        page(member, 450 + i)
    admin_ms: list[float] = []
    member_ms: list[float] = []
    for i in range(opts.queries):
        threshold = 500 + i % 50
        t0 = time.perf_counter()
        a = page(admin, threshold)
        t1 = time.perf_counter()
        m = page(member, threshold)
        t2 = time.perf_counter()
        admin_ms.append((t1 - t0) * 1000)
        member_ms.append((t2 - t1) * 1000)
    if not a or not m or len(m) > len(a) or "*" not in m[0]["phone"]:
        raise AssertionError("the member's page is not a masked subset")
    rows = []
    figure = f"page of {PAGE}, 2 conditions + sort, {n:,} records"
    for p in (50, 99):
        am, mm = percentile(admin_ms, p), percentile(member_ms, p)
        rows.append(
            row(
                "filtered page · department scope",
                db,
                f"p{p} {figure}",
                "ms",
                mm,
                baseline=am,
                ratio=mm / am,
                target=PAGE_RATIO if p == 50 else None,
            )
        )
    return rows
