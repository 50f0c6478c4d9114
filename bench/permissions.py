"""Permissions: the core filtered page read by a member whose role limits rows to their own
department and masks two fields, against the same query by an administrator.

Records are owned by users of ten departments under one root (each department owns a tenth).
Two members read with ``phone`` and ``email`` masked: one with the row scope ``department``
(their department: a tenth of the rows, so the database walks ten times as many index entries
to fill the page) and one at the root with ``department_tree`` (every row: the same rows as the
administrator, so the difference is the permission layer itself). All read through the service
layer with the same filter and sort, interleaved so drift hits each alike."""

from __future__ import annotations

import time
from typing import Any

from bench.core_records import APP, FIELDS, PAGE, SORT, make_records, page_filter
from bench.harness import Env, Options, Target, chunks, log, percentile, row, scenario

TABLE = "customers"
DEPARTMENTS = 10
PAGE_RATIO = Target("ratio", "<=", 1.3)


def setup(env: Env, n: int, batch: int) -> tuple[Any, Any, Any]:
    """The table, departments, an owner per department, the records;
    (admin, department member, department-tree member at the root)."""
    from cairn.auth import Principal, cli

    s = env.services
    s.apps.create({"key": APP, "name": "Bench"})
    s.schema.create_table(APP, {"key": TABLE, "name": TABLE, "fields": FIELDS})
    d = s.directory
    root = d.create_department(cli(), {"name": "Company"})["id"]
    owners = []
    for i in range(DEPARTMENTS):
        dept = d.create_department(cli(), {"name": f"Dept {i}", "parent_id": root})["id"]
        owners.append(d.create_user(cli(), {"username": f"owner{i}", "department_id": dept}))
    member = d.create_user(
        cli(), {"username": "member", "department_id": owners[0]["department_id"]}
    )
    head = d.create_user(cli(), {"username": "head", "department_id": root})
    for key, scope, who in (
        ("dept_reader", "department", "member"),
        ("tree_reader", "department_tree", "head"),
    ):
        d.create_role(
            cli(),
            {
                "key": key,
                "name": key,
                "tables": [
                    {
                        "app": APP,
                        "table": TABLE,
                        "actions": ["read"],
                        "row_scope": scope,
                        "fields": {"phone": "masked", "email": "masked"},
                    }
                ],
                "members": [who],
            },
        )
    for i, part in enumerate(chunks(make_records(n), batch)):
        owner = owners[i % DEPARTMENTS]["id"]
        s.records.bulk(APP, TABLE, list(part), actor_id=owner, return_items=False)
    admin = Principal(None, "bench-admin", True, "token")
    return (
        admin,
        Principal(member["id"], "member", False, "token"),
        Principal(head["id"], "head", False, "token"),
    )


@scenario(
    "permissions",
    description="filtered page: member (department scope, 2 masked fields) vs administrator",
)
def permissions(env: Env, opts: Options) -> list[dict[str, Any]]:
    db, n = env.db, opts.records
    admin, member, head = setup(env, n, opts.batch)
    log(f"{db}: {n} records in {DEPARTMENTS} departments")
    s = env.services

    def page(principal: Any, threshold: int) -> list[dict[str, Any]]:
        return s.records.query(
            APP, TABLE, filter=page_filter(threshold), sort=SORT, limit=PAGE, principal=principal
        )["items"]

    readers = {"admin": admin, "department": member, "tree": head}
    for i in range(10):
        for who in readers.values():
            page(who, 450 + i)
    ms: dict[str, list[float]] = {k: [] for k in readers}
    last: dict[str, list[dict[str, Any]]] = {}
    for i in range(opts.queries):
        threshold = 500 + i % 50
        for name, who in readers.items():
            t0 = time.perf_counter()
            last[name] = page(who, threshold)
            ms[name].append((time.perf_counter() - t0) * 1000)
    a, m, t = last["admin"], last["department"], last["tree"]
    if not m or "*" not in m[0]["phone"] or [x["id"] for x in t] != [x["id"] for x in a]:
        raise AssertionError("the members' pages are not the masked pages expected")
    rows = []
    figure = f"page of {PAGE}, 2 conditions + sort, {n:,} records"
    for name, label in (
        ("department", "filtered page · department scope (a tenth of the rows)"),
        ("tree", "filtered page · department-tree scope (every row)"),
    ):
        for p in (50, 99):
            am, mm = percentile(ms["admin"], p), percentile(ms[name], p)
            rows.append(
                row(
                    label,
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
