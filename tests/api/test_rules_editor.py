"""What the rule editor asks before saving, through the API: a draft validated (every error under
the input it is about, in the caller's language), dry-run on a record, forecast with its
firings per day; and the formula functions for the formula editor's help."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.services import Services
from rulesdata import Worker, make_ops

RULES = "/api/v1/apps/ops/rules"

REMINDER: dict[str, Any] = {
    "key": "",
    "name": "",
    "table": "aircraft",
    "trigger": {"type": "date", "field": "inspection_date", "offset": -30, "at": "09:00"},
    "condition": "{inspection_date} - TODAY() <= 30",
    "actions": [
        {
            "type": "notify",
            "channel": "inapp",
            "to": ["field:account_manager"],
            "subject": "{{ reg }} 定检提醒",
            "body": "{{ reg }} 将于 {{ inspection_date }} 定检。",
        }
    ],
}


@pytest.fixture(autouse=True)
def users(services: Services) -> dict[str, int]:
    return make_ops(services)


def create(client: TestClient, table: str, data: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/v1/apps/ops/tables/{table}/records", json=data)
    assert r.status_code == 201, r.text
    return r.json()


def validate(client: TestClient, draft: dict[str, Any], **headers: str) -> dict[str, Any]:
    r = client.post(f"{RULES}/validate", json=draft, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def locs(reply: dict[str, Any]) -> list[str]:
    return [e["loc"] for e in reply["errors"]]


# -- validate ---------------------------------------------------------------------------------
def test_a_good_draft_validates_with_no_key_or_name_and_says_its_condition_type(
    client: TestClient,
) -> None:
    out = validate(client, REMINDER)
    assert out == {
        "ok": True,
        "errors": [],
        "condition_type": "boolean",
        "schedule_next": [],
        "describe": None,
    }
    assert client.get(RULES).json()["items"] == []  # nothing saved


def test_every_bad_part_of_a_draft_is_named_by_its_dotted_location(client: TestClient) -> None:
    draft = REMINDER | {
        "trigger": {"type": "schedule", "cron": "0 0 30 2 *"},  # never fires
        "condition": "{reg}",  # text: not a condition
        "actions": [
            {"type": "notify", "to": ["role:nobody", "owner"], "subject": "{{ nope }}"},
            {"type": "notify", "to": ["manager:owner", "user:ghost", "field:reg"]},
            {"type": "update_record", "values": {"nope": "1"}},
            {"type": "notify", "to": ["not a person"], "body": "{{ reg }}"},
            {"type": "teleport"},
        ],
    }
    out = validate(client, draft)
    assert out["ok"] is False
    assert sorted(locs(out)) == sorted(
        [
            "trigger.cron",
            "condition",
            "actions.0.to.0",
            "actions.0.subject",
            "actions.1.to.1",
            "actions.1.to.2",
            "actions.2.values.nope",
            "actions.3.to.0",
            "actions.4.type",
        ]
    )
    # a notification's every input checked: a bad recipient does not hide a bad template
    by_loc = {e["loc"]: e for e in out["errors"]}
    assert by_loc["trigger.cron"]["code"] == "rule.cron_never"
    assert "never fires" in by_loc["trigger.cron"]["message"]
    assert by_loc["actions.0.to.0"]["code"] == "rule.recipient_role"
    assert by_loc["actions.0.subject"]["code"] == "template.unknown_name"
    assert by_loc["actions.1.to.1"]["code"] == "rule.recipient_user"
    assert by_loc["actions.1.to.2"]["code"] == "rule.recipient_field"
    assert by_loc["actions.4.type"]["code"] == "rule.type_unknown"
    assert out["condition_type"] == "text"
    zh = validate(client, draft, **{"accept-language": "zh-CN"})
    assert {e["loc"]: e["message"] for e in zh["errors"]}["trigger.cron"].endswith(
        "永远不会触发（未来五年内没有一次）。"
    )


def test_a_field_recipient_must_hold_a_user_an_address_or_a_phone(client: TestClient) -> None:
    draft = REMINDER | {"actions": [{"type": "notify", "to": ["field:reg"], "subject": "x"}]}
    out = validate(client, draft)
    assert [(e["loc"], e["code"]) for e in out["errors"]] == [
        ("actions.0.to.0", "rule.recipient_field")
    ]


def test_an_unknown_placeholder_is_named_on_the_subject_or_body(client: TestClient) -> None:
    draft = REMINDER | {
        "actions": [{"type": "notify", "to": ["owner"], "subject": "{{ reg }}", "body": "{{ x }}"}]
    }
    assert locs(validate(client, draft)) == ["actions.0.body"]


def test_a_schedule_draft_lists_its_next_five_occurrences(client: TestClient) -> None:
    draft = REMINDER | {"trigger": {"type": "schedule", "cron": "0 9 * * 1-5"}}
    out = validate(client, draft)
    assert out["ok"], out
    # now: Monday 2026-01-05 17:00 in Shanghai; 09:00 there is 01:00 UTC
    assert out["schedule_next"] == [
        "2026-01-06T01:00:00Z",
        "2026-01-07T01:00:00Z",
        "2026-01-08T01:00:00Z",
        "2026-01-09T01:00:00Z",
        "2026-01-12T01:00:00Z",
    ]


def test_the_head_of_a_draft_is_checked_when_given(client: TestClient) -> None:
    taken = REMINDER | {"key": "taken", "name": "Taken"}
    assert client.post(RULES, json=taken).status_code == 201
    saved = client.get(RULES).json()["items"][0]
    assert locs(validate(client, taken)) == ["key"]
    assert validate(client, taken | {"id": saved["id"]})["ok"]  # its own key
    assert locs(validate(client, REMINDER | {"key": "Bad Key"})) == ["key"]
    assert locs(validate(client, REMINDER | {"table": "nope"})) == ["table"]
    out = validate(client, {"trigger": {"type": "record.created"}, "actions": []})
    assert sorted(locs(out)) == ["actions", "table"]


def test_saving_refuses_what_validate_finds_with_the_same_locations(client: TestClient) -> None:
    draft = REMINDER | {
        "key": "k",
        "name": "n",
        "trigger": {"type": "schedule", "cron": "0 0 30 2 *"},
        "actions": [{"type": "notify", "to": ["owner", "role:nobody"], "subject": "{{ x }}"}],
    }
    r = client.post(RULES, json=draft)
    assert r.status_code == 422, r.text
    assert sorted(e["field"] for e in r.json()["errors"]) == [
        "actions.0.subject",
        "actions.0.to.1",
        "trigger.cron",
    ]


def test_roles_and_the_owners_manager_are_recipients(
    client: TestClient, users: dict[str, int]
) -> None:
    role = client.post("/api/v1/roles", json={"key": "service", "name": "Service"})
    assert role.status_code == 201, role.text
    r = client.patch(f"/api/v1/users/{users['manager']}", json={"roles": ["service"]})
    assert r.status_code == 200, r.text
    dept = client.post("/api/v1/departments", json={"name": "Ops"}).json()
    r = client.patch(
        f"/api/v1/departments/{dept['id']}",
        json={"manager_id": users["director"]},
    )
    assert r.status_code == 200, r.text
    plane = create(client, "aircraft", {"reg": "B-9", "inspection_date": "2026-01-20"})
    owner = client.get("/api/v1/auth/me").json()["user"]["id"]  # who created it: now in Ops
    r = client.patch(f"/api/v1/users/{owner}", json={"department_id": dept["id"]})
    assert r.status_code == 200, r.text
    draft = REMINDER | {
        "actions": [
            {"type": "notify", "to": ["role:service", "manager:owner", "owner"], "subject": "x"}
        ]
    }
    assert validate(client, draft)["ok"]
    r = client.post(f"{RULES}/dry-run", json={"rule": draft, "record_id": plane["id"]})
    assert r.status_code == 200, r.text
    would = r.json()["actions"][0]["would"]
    assert would["recipient_sources"] == [
        {"to": "role:service", "resolved": [f"user:{users['manager']}"]},
        {"to": "manager:owner", "resolved": [f"user:{users['director']}"]},
        {"to": "owner", "resolved": [f"user:{owner}"]},
    ]
    assert would["recipients"] == [
        f"user:{users['manager']}",
        f"user:{users['director']}",
        f"user:{owner}",
    ]


# -- dry run and forecast of a draft -----------------------------------------------------------
def test_a_draft_is_dry_run_on_a_record_without_saving(
    client: TestClient, users: dict[str, int]
) -> None:
    plane = create(
        client,
        "aircraft",
        {"reg": "B-1", "inspection_date": "2026-01-20", "account_manager": users["manager"]},
    )
    r = client.post(f"{RULES}/dry-run", json={"rule": REMINDER, "record_id": plane["id"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["condition"] is True
    would = out["actions"][0]["would"]
    assert would["recipients"] == [f"user:{users['manager']}"]
    assert would["subject"] == "B-1 定检提醒"
    assert would["body"] == "B-1 将于 2026-01-20 定检。"
    assert client.get(RULES).json()["items"] == []
    bad = REMINDER | {"trigger": {"type": "date", "field": "nope"}}
    r = client.post(f"{RULES}/dry-run", json={"rule": bad, "record_id": plane["id"]})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["rule.trigger.field"]
    r = client.post(f"{RULES}/dry-run", json={"rule": REMINDER, "record_id": 99999})
    assert r.status_code == 404


def test_a_draft_forecast_counts_every_firing_per_day(client: TestClient) -> None:
    for i, d in enumerate(("2026-02-03", "2026-02-03", "2026-02-10", "2026-06-01")):
        create(client, "aircraft", {"reg": f"B-{i}", "inspection_date": d})
    r = client.post(f"{RULES}/forecast", json={"rule": REMINDER, "days": 30})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["total"] == 3
    assert [i["due_at"] for i in fc["items"]] == [
        "2026-01-04T01:00:00Z",
        "2026-01-04T01:00:00Z",
        "2026-01-11T01:00:00Z",
    ]
    days = fc["per_day"]  # from today (2026-01-05 in Shanghai); what is due counts today
    assert len(days) == 31 and days[0]["date"] == "2026-01-05"
    assert {d["date"]: d["count"] for d in days if d["count"]} == {
        "2026-01-05": 2,
        "2026-01-11": 1,
    }
    event = REMINDER | {"trigger": {"type": "record.created"}}
    r = client.post(f"{RULES}/forecast", json={"rule": event})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "rule.trigger"


def test_a_saved_rules_forecast_has_its_days_too(client: TestClient) -> None:
    create(client, "aircraft", {"reg": "B-1", "inspection_date": "2026-02-03"})
    rule = client.post(RULES, json=REMINDER | {"key": "r", "name": "r"}).json()
    fc = client.get(f"{RULES}/{rule['id']}/forecast", params={"days": 7}).json()
    assert fc["total"] == 1 and len(fc["per_day"]) == 8
    assert sum(d["count"] for d in fc["per_day"]) == 1


# -- formula functions ------------------------------------------------------------------------
def test_the_formula_functions_are_listed_with_their_help(client: TestClient) -> None:
    r = client.get("/api/v1/formula/functions")
    assert r.status_code == 200, r.text
    items = {f["name"]: f for f in r.json()["items"]}
    assert "+" not in items and "NEG" not in items
    assert items["ROUND"]["category"] == "math"
    assert items["ROUND"]["returns"] == "number"
    assert items["ROUND"]["zh"]
    assert items["ROUND"]["signature"].startswith("ROUND(")
    assert all(f["description"] for f in items.values()), [
        k for k, f in items.items() if not f["description"]
    ]


# -- the run log and the webhook's secret ------------------------------------------------------
def test_the_run_log_filters_by_status_record_trigger_and_time_and_links_the_record(
    client: TestClient, services: Services, users: dict[str, int], frozen_clock: FrozenClock
) -> None:
    rule = client.post(
        RULES,
        json={
            "key": "watch",
            "name": "Watch",
            "table": "aircraft",
            "trigger": {"type": "record.updated", "fields": ["reg"]},
            "condition": 'LEFT({reg}, 1) = "B"',
            "actions": [{"type": "notify", "to": [f"user:{users['director']}"], "subject": "x"}],
        },
    ).json()
    worker = Worker(services)
    a = create(client, "aircraft", {"reg": "A-1"})
    b = create(client, "aircraft", {"reg": "A-2"})
    for rec, reg in ((a, "B-1"), (b, "C-2"), (a, "B-11")):
        r = client.get(f"/api/v1/apps/ops/tables/aircraft/records/{rec['id']}").json()
        client.patch(
            f"/api/v1/apps/ops/tables/aircraft/records/{rec['id']}",
            json={"version": r["version"], "reg": reg},
        )
        worker.drain()
        frozen_clock.advance(timedelta(hours=1))
    url = f"{RULES}/{rule['id']}/runs"
    log = client.get(url).json()
    assert log["total"] == 3
    assert [(x["record"]["title"], x["status"]) for x in log["items"]] == [
        ("B-11", "ok"),
        ("C-2", "skipped"),
        ("B-11", "ok"),  # the record's title now
    ]
    assert log["items"][0]["record"] == {"id": a["id"], "title": "B-11", "table": "aircraft"}
    only_b = client.get(url, params={"record_id": b["id"]}).json()
    assert only_b["total"] == 1 and only_b["items"][0]["record"]["id"] == b["id"]
    assert client.get(url, params={"status": "ok"}).json()["total"] == 2
    assert client.get(url, params={"trigger": "record.created"}).json()["total"] == 0
    since = client.get(url, params={"since": "2026-01-05T10:00:00Z"}).json()
    assert since["total"] == 2
    until = client.get(url, params={"until": "2026-01-05T18:00:00+08:00"}).json()
    assert until["total"] == 1  # 10:00 UTC and later left out
    page = client.get(url, params={"limit": 1, "status": "ok"}).json()
    assert len(page["items"]) == 1 and page["total"] == 2


def test_the_rule_list_carries_each_rules_last_run_in_one_query(
    client: TestClient, services: Services, users: dict[str, int], frozen_clock: FrozenClock
) -> None:
    def rule(key: str, trigger: str, condition: str | None = None) -> dict[str, Any]:
        r = client.post(
            RULES,
            json={
                "key": key,
                "name": key.title(),
                "table": "aircraft",
                "trigger": {"type": trigger},
                "condition": condition,
                "actions": [
                    {"type": "notify", "to": [f"user:{users['director']}"], "subject": "x"}
                ],
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    def last_runs() -> dict[str, Any]:
        r = client.get(RULES)
        assert r.status_code == 200, r.text
        return {x["key"]: x["last_run"] for x in r.json()["items"]}

    watch = rule("watch", "record.updated", 'LEFT({reg}, 1) = "B"')
    rule("gone", "record.deleted")
    assert last_runs() == {"watch": None, "gone": None}  # neither ran yet

    worker = Worker(services)
    a = create(client, "aircraft", {"reg": "A-1"})
    for reg in ("B-1", "C-1"):  # ok, then skipped (the condition is false)
        version = client.get(f"/api/v1/apps/ops/tables/aircraft/records/{a['id']}").json()
        client.patch(
            f"/api/v1/apps/ops/tables/aircraft/records/{a['id']}",
            json={"version": version["version"], "reg": reg},
        )
        worker.drain()
        frozen_clock.advance(timedelta(hours=1))
    [newest, _] = client.get(f"{RULES}/{watch['id']}/runs").json()["items"]
    found = last_runs()
    assert found["gone"] is None
    assert found["watch"] == {
        "id": newest["id"],
        "status": "skipped",
        "started_at": newest["started_at"],
        "finished_at": newest["finished_at"],
    }
    assert client.get(f"{RULES}/{watch['id']}").json().get("last_run") is None  # the list's

    def statements() -> int:
        seen: list[str] = []

        def count(*args: Any) -> None:
            seen.append(str(args[2]))

        sa.event.listen(services.engine, "before_cursor_execute", count)
        try:
            last_runs()
        finally:
            sa.event.remove(services.engine, "before_cursor_execute", count)
        return len(seen)

    two = statements()
    for n in range(5):
        rule(f"more_{n}", "record.updated")
    version = client.get(f"/api/v1/apps/ops/tables/aircraft/records/{a['id']}").json()
    client.patch(
        f"/api/v1/apps/ops/tables/aircraft/records/{a['id']}",
        json={"version": version["version"], "reg": "D-1"},
    )
    worker.drain()
    found = last_runs()
    assert all(found[f"more_{n}"]["status"] == "ok" for n in range(5))
    assert statements() == two  # not one read per rule


def test_a_webhook_secret_is_shown_once_and_can_be_replaced(
    client: TestClient, services: Services, users: dict[str, int]
) -> None:
    body = {
        "key": "hook",
        "name": "Hook",
        "table": "tickets",
        "trigger": {"type": "webhook", "mapping": {"title": "subject"}},
        "actions": [{"type": "notify", "to": [f"user:{users['director']}"], "subject": "x"}],
    }
    made = client.post(RULES, json=body).json()
    secret = made["webhook"]["secret"]
    assert secret and made["webhook"]["path"].endswith("/" + secret)
    shown = client.get(f"{RULES}/{made['id']}").json()["webhook"]
    assert shown["secret"] is None and shown["has_secret"] is True
    assert secret not in shown["path"]
    assert all(secret not in str(x) for x in client.get(RULES).json()["items"])
    anon = TestClient(create_app(services))
    assert anon.post(made["webhook"]["path"], json={"subject": "a"}).status_code == 200
    r = client.post(f"{RULES}/{made['id']}/webhook-secret")
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["secret"] != secret and new["path"].endswith("/" + new["secret"])
    assert anon.post(made["webhook"]["path"], json={"subject": "b"}).status_code == 404
    assert anon.post(new["path"], json={"subject": "c"}).status_code == 200
    audit = client.get("/api/v1/audit", params={"action": "rule.webhook_secret"}).json()
    entries = [e for e in audit["items"] if e["action"] == "rule.webhook_secret"]
    assert len(entries) == 1 and secret not in str(entries) and new["secret"] not in str(entries)
    plain = client.post(RULES, json=REMINDER | {"key": "plain", "name": "p"}).json()
    r = client.post(f"{RULES}/{plain['id']}/webhook-secret")
    assert r.status_code == 422
