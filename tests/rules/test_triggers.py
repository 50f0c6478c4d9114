"""Triggers: record-event matching, the date scan's SQL against a plain Python reckoning,
yearly occurrences, the inbound mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import FrozenClock
from cairn.rules.date_trigger import DateRelative
from cairn.rules.spec import DateTrigger, RecordTrigger, WebhookTrigger, parse_spec
from cairn.rules.trigger_base import ScanContext
from cairn.rules.triggers import InboundWebhook, RecordEventTrigger
from cairn.services import Services
from cairn.services.uow import unit_of_work

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("spec", "event", "changes", "fires"),
    [
        ({"type": "record.updated"}, "record.updated", {"x": [1, 2]}, True),
        ({"type": "record.updated"}, "record.created", {}, False),
        ({"type": "record.updated", "fields": ["status"]}, "record.updated", {"x": [1, 2]}, False),
        (
            {"type": "record.updated", "fields": ["status"], "to": "已解决"},
            "record.updated",
            {"status": ["处理中", "已解决"]},
            True,
        ),
        (
            {"type": "record.updated", "fields": ["status"], "to": "已解决"},
            "record.updated",
            {"status": ["已解决", "重新打开"]},
            False,
        ),
        (
            {"type": "record.updated", "fields": ["status"], "from": "处理中", "to": "已解决"},
            "record.updated",
            {"status": ["重新打开", "已解决"]},
            False,
        ),
        (
            {"type": "record.updated", "fields": ["status"], "to": "已解决"},
            "record.updated",
            {"status": [None, {"id": "c2", "value": "已解决"}]},
            True,
        ),
        ({"type": "record.deleted"}, "record.deleted", {}, True),
    ],
)
def test_record_triggers_match_the_event_and_the_changed_fields(
    spec: dict, event: str, changes: dict, fires: bool
) -> None:
    t = RecordTrigger.model_validate(spec)
    assert RecordEventTrigger(t.type).matches(t, event, {"changes": changes}) is fires


def test_a_date_reminder_is_due_at_its_local_time_of_day() -> None:
    spec = DateTrigger(type="date", field="d", offset=-30, unit="days", at="09:00")
    due = DateRelative().due_moment(spec, date(2026, 3, 1), SH)
    assert due == datetime(2026, 1, 30, 1, 0)  # 09:00 in Beijing is 01:00 UTC
    after = DateTrigger(type="date", field="d", offset=2, unit="hours")
    assert DateRelative().due_moment(after, datetime(2026, 1, 5, 23, 0), SH) == datetime(
        2026, 1, 6, 1, 0
    )


def test_the_inbound_mapping_reads_nested_paths_and_leaves_missing_ones_out() -> None:
    spec = WebhookTrigger(
        type="webhook", mapping={"title": "subject", "phone": "caller.phone", "x": "items.1.v"}
    )
    body = {"subject": "S", "caller": {"phone": "138"}, "items": [{"v": 1}, {"v": 2}]}
    assert InboundWebhook.extract(spec, body) == {"title": "S", "phone": "138", "x": 2}
    assert InboundWebhook.extract(spec, {"subject": None}) == {"title": None}


def test_a_rule_spec_refuses_unknown_trigger_and_action_types() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        parse_spec({"trigger": {"type": "moon"}, "actions": [{"type": "wait", "amount": 1}]})
    with pytest.raises(ValidationError):
        parse_spec({"trigger": {"type": "record.created"}, "actions": [{"type": "teleport"}]})
    with pytest.raises(ValidationError):
        parse_spec({"trigger": {"type": "record.created"}, "actions": []})


# -- the scan's SQL against Python ------------------------------------------------------------
DATES = [date(2026, 1, 1) + timedelta(days=i * 3) for i in range(40)]


def python_due(
    spec: DateTrigger, values: dict[int, date], armed: datetime, now: datetime
) -> set[int]:
    t = DateRelative()
    out = set()
    for rid, d in values.items():
        due = t.due_moment(spec, d, SH)
        anchor = datetime.combine(d, t._at(spec), tzinfo=SH).astimezone(UTC).replace(tzinfo=None)
        if due <= now and max(due, anchor) >= armed:
            out.add(rid)
    return out


@pytest.mark.parametrize(
    ("offset", "unit", "at"),
    [(-30, "days", "09:00"), (0, "days", None), (3, "days", "23:30"), (-90, "minutes", "00:30")],
)
def test_the_date_scan_finds_exactly_the_records_a_plain_reckoning_finds(
    services: Services, users: dict[str, int], offset: int, unit: str, at: str | None
) -> None:
    ids = {}
    for d in DATES:
        r = services.records.create("ops", "customers", {"name": str(d), "birthday": d.isoformat()})
        ids[r["id"]] = d
    spec = DateTrigger(type="date", field="birthday", offset=offset, unit=unit, at=at)  # type: ignore[arg-type]
    armed = datetime(2026, 1, 20, 5, 0)
    t = DateRelative()
    for now in (
        datetime(2026, 1, 20, 5, 0),
        datetime(2026, 2, 1, 0, 59),
        datetime(2026, 2, 1, 1, 0),
        datetime(2026, 3, 15, 16, 30),
        datetime(2026, 6, 1, 0, 0),
    ):
        clock = FrozenClock(now.replace(tzinfo=UTC))
        with unit_of_work(services, write=False) as uow:
            s = uow.catalog.table("ops", "customers")
            ctx = ScanContext(uow.conn, uow.catalog, s, 999, armed, now, clock)
            found = {d.record_id for d in t.due(spec, ctx)}
        assert found == python_due(spec, ids, armed, now), now


def test_yearly_occurrences_fall_on_this_years_date_and_29_february_on_the_28th(
    services: Services, users: dict[str, int]
) -> None:
    a = services.records.create("ops", "customers", {"name": "a", "birthday": "1980-03-10"})
    b = services.records.create("ops", "customers", {"name": "b", "birthday": "1992-02-29"})
    spec = DateTrigger(type="date", field="birthday", at="09:00", yearly=True)
    armed = datetime(2026, 1, 1)
    now = datetime(2027, 3, 1, 2, 0)
    with unit_of_work(services, write=False) as uow:
        s = uow.catalog.table("ops", "customers")
        ctx = ScanContext(uow.conn, uow.catalog, s, 1, armed, now, FrozenClock())
        dues = sorted(DateRelative().due(spec, ctx), key=lambda d: d.due_at)
    assert [(d.record_id, d.fire_key, d.due_at) for d in dues] == [
        (a["id"], "2026-03-10", datetime(2026, 3, 10, 1, 0)),
        (b["id"], "2027-02-29", datetime(2027, 2, 28, 1, 0)),
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    body=json_values,
    paths=st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.lists(st.text(alphabet="xy01", min_size=1, max_size=2), min_size=1, max_size=3).map(
            ".".join
        ),
    ),
)
def test_the_inbound_mapping_never_fails_on_any_json(body: object, paths: dict[str, str]) -> None:
    spec = WebhookTrigger(type="webhook", mapping=paths or {"a": "x"})
    out = InboundWebhook.extract(spec, body)
    assert set(out) <= set(spec.mapping)
