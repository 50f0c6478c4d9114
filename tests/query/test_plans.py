"""Page plans are reused for the same query, and never when reuse could give a wrong answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cairn.core import FrozenClock, Invalid
from cairn.query.plans import PlanCache, plan_key
from cairn.services import Services

C = ("crm", "customers")


def names(page: dict) -> list[str]:
    return [r["name"] for r in page["items"]]


def test_the_same_query_reuses_its_plan_and_gives_fresh_rows(services: Services) -> None:
    services.records.create(*C, {"name": "A", "flight_hours": 10})
    flt = {"field": "flight_hours", "op": "gt", "value": 5}
    assert names(services.records.query(*C, filter=flt)) == ["A"]
    cached = len(services.plans)
    services.records.create(*C, {"name": "B", "flight_hours": 20})
    assert names(services.records.query(*C, filter=flt)) == ["A", "B"]  # rows are not cached
    assert len(services.plans) == cached  # the plan was
    assert names(services.records.query(*C, filter={**flt, "value": 15})) == ["B"]
    assert len(services.plans) == cached + 1


def test_a_schema_change_is_never_answered_from_an_old_plan(services: Services) -> None:
    services.records.create(*C, {"name": "A", "flight_hours": 10})
    flt = {"field": "flight_hours", "op": "gt", "value": 5}
    services.records.query(*C, filter=flt)
    services.schema.update_field(*C, "flight_hours", {"key": "hours"})
    with pytest.raises(Invalid) as e:
        services.records.query(*C, filter=flt)
    assert [m.key for m in e.value.field_errors["filter.field"]] == ["field.unknown"]
    page = services.records.query(*C, filter={**flt, "field": "hours"})
    assert [r["hours"] for r in page["items"]] == [10]


def test_relative_dates_are_computed_at_each_query(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.records.create(*C, {"name": "A", "signed_on": frozen_clock.now().date().isoformat()})
    today = {"field": "signed_on", "op": "today"}
    assert names(services.records.query(*C, filter=today)) == ["A"]
    frozen_clock.advance(timedelta(days=1))
    assert names(services.records.query(*C, filter=today)) == []


def test_the_cache_is_bounded() -> None:
    cache = PlanCache(size=3)

    class Plan:
        reusable = True

    for i in range(10):
        cache.get(f"k{i}", Plan)  # type: ignore[arg-type]
    assert len(cache) == 3


def test_inputs_that_are_not_json_are_not_cached() -> None:
    from datetime import date

    key = plan_key(
        1,
        1,
        filter={"field": "d", "op": "eq", "value": date(2026, 1, 1)},
        sort=None,
        fields=None,
        limit=50,
        cursor=None,
    )
    assert key is None


def test_formulas_with_today_are_computed_at_each_query(
    services: Services, frozen_clock: FrozenClock
) -> None:
    services.schema.create_field(
        *C,
        {
            "key": "age_days",
            "name": "签约天数",
            "type": "formula",
            "options": {"formula": "DAYS(TODAY(), {signed_on})"},
        },
    )
    services.records.create(*C, {"name": "A", "signed_on": frozen_clock.now().date().isoformat()})
    flt = {"formula": "DAYS(TODAY(), {signed_on}) >= 1"}
    assert names(services.records.query(*C, filter=flt)) == []
    assert [r["age_days"] for r in services.records.query(*C)["items"]] == [0]
    frozen_clock.advance(timedelta(days=1))
    assert names(services.records.query(*C, filter=flt)) == ["A"]
    assert [r["age_days"] for r in services.records.query(*C)["items"]] == [1]
