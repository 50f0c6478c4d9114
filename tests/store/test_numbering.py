"""Numbering rules (流水号) on SQLite and PostgreSQL: numbers by pattern from the counter of
their period (by the test clock, in the installation's timezone Asia/Shanghai), gap-free: a
rolled-back insert gives its number back, and 50 concurrent inserts (each its own connection
and transaction) get 50 consecutive numbers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cairn.core import FrozenClock, Invalid
from cairn.services import Services

MONTHLY = {"pattern": "BJ-{YYYY}{MM}-{####}", "reset": "month"}


def add_number(services: Services, options: dict[str, Any], table: str = "orders") -> None:
    services.schema.create_field(
        "crm", table, {"key": "no", "name": "编号", "type": "auto_number", "options": options}
    )


def create(services: Services, *titles: str) -> list[str]:
    """Create orders titled ``titles`` in one call; their numbers in order."""
    out = services.records.bulk("crm", "orders", [{"title": t} for t in titles])
    return [r["no"] for r in out["items"]]


def numbers(services: Services, table: str = "orders", key: str = "no") -> list[str]:
    page = services.records.query("crm", table, limit=1000, fields=[key], sort=["id"])
    return [r[key] for r in page["items"]]


def at(clock: FrozenClock, shanghai: str) -> None:
    """Stand the clock at a wall-clock time in Shanghai (UTC+8), e.g. "2027-03-31 23:59"."""
    local = datetime.fromisoformat(shanghai)
    clock.set((local - timedelta(hours=8)).replace(tzinfo=UTC))


def test_a_monthly_counter_restarts_with_the_month_of_the_local_day(
    services: Services, frozen_clock: FrozenClock
) -> None:
    add_number(services, MONTHLY)
    at(frozen_clock, "2027-03-01 08:00")
    assert create(services, "a", "b") == ["BJ-202703-0001", "BJ-202703-0002"]
    at(frozen_clock, "2027-03-31 23:59")  # 15:59 UTC: still March in Shanghai
    assert create(services, "c") == ["BJ-202703-0003"]
    at(frozen_clock, "2027-04-01 00:01")  # 16:01 UTC on 31 March: April in Shanghai
    assert create(services, "d", "e", "f") == ["BJ-202704-0001", "BJ-202704-0002", "BJ-202704-0003"]
    at(frozen_clock, "2028-03-15 12:00")
    assert create(services, "g") == ["BJ-202803-0001"]


def test_daily_and_yearly_counters_and_a_start(
    services: Services, frozen_clock: FrozenClock
) -> None:
    add_number(services, {"pattern": "{YY}{MM}{DD}{###}", "reset": "day", "start": 10})
    services.schema.create_field(
        "crm",
        "orders",
        {
            "key": "contract",
            "type": "auto_number",
            "options": {"pattern": "合同{YYYY}-{#####}", "reset": "year"},
        },
    )
    at(frozen_clock, "2027-12-31 09:00")
    first = services.records.bulk("crm", "orders", [{"title": "a"}, {"title": "b"}])["items"]
    assert [(r["no"], r["contract"]) for r in first] == [
        ("271231010", "合同2027-00001"),
        ("271231011", "合同2027-00002"),
    ]
    at(frozen_clock, "2028-01-01 09:00")
    [r] = services.records.bulk("crm", "orders", [{"title": "c"}])["items"]
    assert (r["no"], r["contract"]) == ("280101010", "合同2028-00001")


def test_a_pattern_that_never_restarts_shows_the_day_and_counts_on(
    services: Services, frozen_clock: FrozenClock
) -> None:
    add_number(services, {"pattern": "X{YYYY}{MM}-{####}"})
    at(frozen_clock, "2027-03-20 10:00")
    assert create(services, "a") == ["X202703-0001"]
    at(frozen_clock, "2027-04-02 10:00")
    assert create(services, "b") == ["X202704-0002"]


def test_a_legacy_field_given_a_pattern_counts_on(
    services: Services, frozen_clock: FrozenClock
) -> None:
    """Customers' ``customer_no`` (prefix C-, 5 digits): its numbers stay; a pattern that never
    restarts continues its counter, so a number never comes twice."""
    for name in ("a", "b"):
        services.records.create("crm", "customers", {"name": name})
    field = services.schema.update_field(
        "crm", "customers", "customer_no", {"options": {"pattern": "C{YY}-{#####}"}}
    )
    assert field["options"]["pattern"] == "C{YY}-{#####}"
    services.records.create("crm", "customers", {"name": "c"})
    assert numbers(services, "customers", "customer_no") == ["C-00001", "C-00002", "C26-00003"]


def test_changing_the_reset_never_gives_a_number_twice(
    services: Services, frozen_clock: FrozenClock
) -> None:
    """The pattern stays, the reset changes: the new counter of today's period goes on after
    the last number the old one gave (else BJ-202703-0001 would come again)."""
    pattern = "BJ-{YYYY}{MM}{DD}-{####}"
    add_number(services, {"pattern": pattern})
    at(frozen_clock, "2027-03-14 10:00")
    assert create(services, "a", "b") == ["BJ-20270314-0001", "BJ-20270314-0002"]

    def reset(to: str) -> None:
        services.schema.update_field(
            "crm", "orders", "no", {"options": {"pattern": pattern, "reset": to}}
        )

    reset("month")
    assert create(services, "c") == ["BJ-20270314-0003"]
    reset("day")
    assert create(services, "d") == ["BJ-20270314-0004"]
    reset("never")  # the counter that never restarts gave 2: it goes on after 4
    assert create(services, "e") == ["BJ-20270314-0005"]
    reset("month")  # this month's counter gave 3: it goes on after 5
    assert create(services, "f") == ["BJ-20270314-0006"]
    at(frozen_clock, "2027-04-01 10:00")
    assert create(services, "g") == ["BJ-20270401-0001"]
    assert len(set(numbers(services))) == 7


def test_bulk_inserts_follow_the_pattern(services: Services, frozen_clock: FrozenClock) -> None:
    add_number(services, MONTHLY)
    at(frozen_clock, "2027-03-05 10:00")
    created = create(services, *[f"t{i}" for i in range(300)])
    assert created == [f"BJ-202703-{i:04d}" for i in range(1, 301)]


def test_existing_records_are_numbered_by_the_period_they_were_created_in(
    services: Services, frozen_clock: FrozenClock
) -> None:
    for day, titles in (("2027-02-27", "ab"), ("2027-03-01", "cde"), ("2027-04-30", "f")):
        at(frozen_clock, f"{day} 23:30")  # 15:30 UTC: the same day in Shanghai
        for t in titles:
            services.records.create("crm", "orders", {"title": t})
    at(frozen_clock, "2027-04-30 23:50")
    add_number(services, MONTHLY)
    assert numbers(services) == [
        "BJ-202702-0001",
        "BJ-202702-0002",
        "BJ-202703-0001",
        "BJ-202703-0002",
        "BJ-202703-0003",
        "BJ-202704-0001",
    ]
    assert create(services, "g") == ["BJ-202704-0002"]


def test_a_rolled_back_insert_does_not_use_up_a_number(
    services: Services, frozen_clock: FrozenClock
) -> None:
    """The validation rule is checked in SQL after the row (and its number) is written: the
    refusal rolls the whole insert back, counter included."""
    add_number(services, MONTHLY)
    services.schema.update_table(
        "crm", "orders", {"validation_rules": [{"formula": '{title} <> "bad"', "message": "no"}]}
    )
    at(frozen_clock, "2027-03-05 10:00")
    assert create(services, "a") == ["BJ-202703-0001"]
    with pytest.raises(Invalid):
        create(services, "b", "bad")
    with pytest.raises(RuntimeError):
        services.records.bulk("crm", "orders", [{"title": "c"}], before_commit=lambda uow: _fail())
    assert create(services, "d") == ["BJ-202703-0002"]
    assert services.schema.preview_number("crm", "orders", MONTHLY, "no")["next"] == (
        "BJ-202703-0003"
    )


def _fail() -> None:
    raise RuntimeError("refused after the insert")


@pytest.mark.parametrize("options", [MONTHLY, {"prefix": "N-", "digits": 4}])
def test_fifty_concurrent_inserts_get_fifty_consecutive_numbers(
    services: Services, frozen_clock: FrozenClock, options: dict[str, Any]
) -> None:
    """50 threads, each creating one record in its own unit of work (its own connection and
    transaction), all started at once; every fifth is refused after its insert (a validation
    rule) and rolled back. The 40 others hold exactly the numbers 1 to 40."""
    add_number(services, options)
    services.schema.update_table(
        "crm", "orders", {"validation_rules": [{"formula": '{title} <> "bad"', "message": "no"}]}
    )
    at(frozen_clock, "2027-03-05 10:00")
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []
    refused: list[int] = []

    def insert(i: int) -> None:
        barrier.wait()
        try:
            services.records.create("crm", "orders", {"title": "bad" if i % 5 == 4 else f"t{i}"})
        except Invalid:
            refused.append(i)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(refused) == 10
    got = numbers(services)
    expected = {
        (f"BJ-202703-{n:04d}" if options.get("pattern") else f"N-{n:04d}") for n in range(1, 41)
    }
    assert len(got) == 40 and set(got) == expected


def test_the_preview_shows_the_next_number_and_reserves_nothing(
    services: Services, frozen_clock: FrozenClock
) -> None:
    at(frozen_clock, "2027-04-01 00:30")
    new = services.schema.preview_number("crm", "orders", {**MONTHLY, "start": 7})
    assert new == {"next": "BJ-202704-0007", "period": "2027-04", "day": "2027-04-01"}
    add_number(services, MONTHLY)
    assert create(services, "a") == ["BJ-202704-0001"]
    for _ in range(2):
        got = services.schema.preview_number("crm", "orders", MONTHLY, "no")
        assert got["next"] == "BJ-202704-0002"
    other = {"pattern": "D{YYYY}{MM}{DD}-{##}", "reset": "day"}  # another counter: its first
    assert services.schema.preview_number("crm", "orders", other, "no")["next"] == "D20270401-01"
    with pytest.raises(Invalid):
        services.schema.preview_number("crm", "orders", {"pattern": "BJ-{YYYY}"}, "no")
