"""Count and sum by a choice brought forward from the outbox give the figures a full
recompute gives, after any mix of creates, updates, deletes, restores and purges (a property
test with bounded examples, on both databases), and they are brought forward, not recomputed."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services

TIERS = ("vip", "gold", "std")
CHOICES = {"choices": [{"id": t, "value": t.upper()} for t in TIERS]}
FIELDS = [
    {"key": "tier", "name": "Tier", "type": "single_select", "options": CHOICES},
    {"key": "spend", "name": "Spend", "type": "number", "options": {"decimals": 2}},
    {"key": "visits", "name": "Visits", "type": "number"},
]
SPEC = {
    "table": "people",
    "dimensions": [{"field": "tier"}],
    "measures": [
        {"agg": "count"},
        {"agg": "sum", "field": "spend"},
        {"agg": "sum", "field": "visits"},
    ],
}


@pytest.fixture
def pair(
    db_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> Iterator[tuple[Services, Services]]:
    """Two instances on one database: one keeps figures, one computes them every time."""
    kept = build_services(
        Settings(data_dir=tmp_path / "a", database_url=db_url), clock=frozen_clock
    )
    kept.apps.create({"key": "crm", "name": "CRM"})
    plain = build_services(
        Settings(data_dir=tmp_path / "b", database_url=db_url, report_cache=False),
        clock=frozen_clock,
    )
    yield kept, plain
    plain.close()
    kept.close()


NUMBERS = itertools.count(1)
tiers = st.sampled_from([*TIERS, None])
spends = st.one_of(
    st.none(), st.decimals(-1000, 1000, places=2, allow_nan=False, allow_infinity=False)
)
visits = st.one_of(st.none(), st.integers(-50, 500))
values = st.fixed_dictionaries({"tier": tiers, "spend": spends, "visits": visits})
ops = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(1, 3), values),
        st.tuples(st.just("update"), st.integers(0, 99), values),
        st.tuples(st.just("delete"), st.integers(0, 99), st.none()),
        st.tuples(st.just("restore"), st.integers(0, 99), st.none()),
        st.tuples(st.just("purge"), st.integers(0, 99), st.none()),
    ),
    min_size=1,
    max_size=8,
)


def json_values(v: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(x) if k == "spend" and x is not None else x) for k, x in v.items()}


def apply(s: Services, table: str, op: str, n: int, v: dict[str, Any] | None) -> None:
    ids = s.records.query("crm", table, limit=500)["items"]
    live = [r["id"] for r in ids]
    if op == "create":
        assert v is not None
        if n == 1:
            s.records.create("crm", table, json_values(v))
        else:  # one bulk write: its events carry no values
            s.records.bulk("crm", table, [json_values(v)] * n)
    elif op == "update" and live:
        rid = live[n % len(live)]
        row = next(r for r in ids if r["id"] == rid)
        assert v is not None
        s.records.update("crm", table, rid, {**json_values(v), "version": row["version"]})
    elif op == "delete" and live:
        s.records.delete("crm", table, live[n % len(live)])
    elif op in ("restore", "purge"):
        gone = [r["id"] for r in s.recycle_bin.list("crm", table)["items"]]
        if gone and op == "restore":
            s.records.restore("crm", table, gone[n % len(gone)])
        elif gone:
            s.recycle_bin.purge("crm", table, gone[n % len(gone)])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ops)
def test_figures_brought_forward_equal_a_full_recompute(
    pair: tuple[Services, Services], steps: list[tuple[str, int, Any]]
) -> None:
    kept, plain = pair
    # Each example on a table of its own, written once first (figures read before a table's
    # first write are recomputed after it).
    table = f"people{next(NUMBERS)}"
    kept.schema.create_table("crm", {"key": table, "name": table, "fields": FIELDS})
    kept.records.create("crm", table, {"tier": "gold", "spend": "12.50", "visits": 3})
    spec = {**SPEC, "table": table}
    assert kept.reports.dataset("crm", spec) == plain.reports.dataset("crm", spec)
    cache = kept.report_cache
    assert cache is not None
    for op, n, v in steps:
        before = cache.stats()
        apply(kept, table, op, n, v)
        got = kept.reports.dataset("crm", spec)
        assert got == plain.reports.dataset("crm", spec), (op, n, v)
        after = cache.stats()
        # Every write since the last figures was brought forward, none recomputed.
        assert after["misses"] - before["misses"] == after["forwarded"] - before["forwarded"]


def test_figures_read_while_a_writer_is_under_way_are_recomputed_after_it(
    pair: tuple[Services, Services],
) -> None:
    """A writer that moved the table's version and had not committed when the figures were
    read: its events may number below the newest one seen, so the next change recomputes
    (with the right figures) instead of bringing them forward."""
    kept, plain = pair
    kept.schema.create_table("crm", {"key": "held", "name": "held", "fields": FIELDS})
    kept.records.create("crm", "held", {"tier": "vip", "spend": "1.00", "visits": 1})
    spec = {**SPEC, "table": "held"}
    with kept.engine.connect() as c:
        table_id = kept.catalogs.get(c).table("crm", "held").id
    pg = kept.engine.dialect.name == "postgresql"
    if not pg:  # one writer at a time: read before it (its events will number above)
        assert kept.reports.dataset("crm", spec) == plain.reports.dataset("crm", spec)
    writer = kept.engine.connect()
    writer.info["write"] = True
    with writer.begin():  # a unit of work's first statement of its commit, held open
        writer.exec_driver_sql(
            "UPDATE table_versions SET version = version + 1 WHERE table_id = " + str(int(table_id))
        )
        if pg:
            assert kept.reports.dataset("crm", spec) == plain.reports.dataset("crm", spec)
        writer.rollback()
    writer.close()
    cache = kept.report_cache
    assert cache is not None
    before = cache.stats()
    kept.records.create("crm", "held", {"tier": "std", "spend": "2.00", "visits": 2})
    assert kept.reports.dataset("crm", spec) == plain.reports.dataset("crm", spec)
    after = cache.stats()
    brought = after["forwarded"] - before["forwarded"]
    assert brought == (0 if pg else 1)
