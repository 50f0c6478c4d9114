"""What a failed action does to its run (issue 17): ``on_error`` ``stop`` ends the run
``failed``; ``continue`` logs the failure and runs the next actions (the run ends ``partial``);
without it, notify and webhook continue and the other actions stop."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from cairn.rules import parse_spec
from cairn.rules.spec import dump_spec, on_error_of
from cairn.services import Services
from factories import make_user
from rulesdata import Worker

RULES = "/api/v1/apps/ops/rules"
TICKETS = "/api/v1/apps/ops/tables/tickets/records"
TASKS = "/api/v1/apps/ops/tables/tasks/records"

#: A notification to a user disabled after the rule was saved (an unknown user is refused at
#: save): it fails when the rule runs.
BAD_NOTE = {"type": "notify", "channel": "inapp", "to": ["user:gone"], "body": "x"}
BAD_UPDATE = {"type": "update_record", "values": {"priority": {"value": "没有这个选项"}}}
TASK = {"type": "create_record", "table": "tasks", "values": {"title": '"next"'}}


def spec(actions: list[dict[str, Any]]) -> Any:
    return parse_spec({"trigger": {"type": "record.created"}, "actions": actions})


def test_every_action_takes_on_error_and_each_type_has_its_default() -> None:
    actions = [
        {"type": "update_record", "values": {"title": '"x"'}},
        {"type": "create_record", "table": "tasks", "values": {"title": '"x"'}},
        {"type": "notify", "to": ["owner"]},
        {"type": "webhook", "url": "https://example.com/h"},
        {"type": "wait", "amount": 1},
        {"type": "start_process", "process": "p"},
    ]
    defaults = [on_error_of(a) for a in spec(actions).actions]
    assert defaults == ["stop", "stop", "continue", "continue", "stop", "stop"]
    flipped = spec([{**a, "on_error": "continue"} for a in actions]).actions
    assert {on_error_of(a) for a in flipped} == {"continue"}
    quiet = spec([{**a, "on_error": "stop"} for a in actions[2:4]]).actions
    assert [on_error_of(a) for a in quiet] == ["stop", "stop"]
    with pytest.raises(ValidationError):
        spec([{**actions[0], "on_error": "ignore"}])
    # Left unset it is not written out (packages and exports stay as they were).
    assert "on_error" not in dump_spec(spec(actions[:1]))["actions"][0]
    assert (
        dump_spec(spec([{**actions[0], "on_error": "continue"}]))["actions"][0]["on_error"]
        == "continue"
    )


@pytest.fixture(autouse=True)
def gone(services: Services) -> int:
    """The bad notification's recipient: active when a rule is saved, disabled after."""
    user_id, _ = make_user(services, "gone")
    return user_id


def rule(client: TestClient, key: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """Saved, then the user ``gone`` (the bad notification's recipient) disabled."""
    gone = client.get("/api/v1/users/gone").json()
    client.patch(f"/api/v1/users/{gone['id']}", json={"status": "active"})
    r = client.post(
        RULES,
        json={
            "key": key,
            "name": key,
            "table": "tickets",
            "trigger": {"type": "record.created"},
            "actions": actions,
        },
    )
    assert r.status_code == 201, r.text
    assert client.patch(f"/api/v1/users/{gone['id']}", json={"status": "disabled"}).is_success
    return r.json()


def fire(client: TestClient, worker: Worker) -> None:
    assert client.post(TICKETS, json={"title": "T"}).status_code == 201
    worker.drain()


def last_run(client: TestClient, r: dict[str, Any]) -> dict[str, Any]:
    return client.get(f"{RULES}/{r['id']}/runs").json()["items"][0]


def tasks(client: TestClient) -> list[str]:
    return [t["title"] for t in client.get(TASKS).json()["items"]]


def test_a_failed_notification_lets_the_next_actions_run_by_default(
    client: TestClient, worker: Worker, services: Services
) -> None:
    r = rule(client, "notes", [BAD_NOTE, TASK])
    fire(client, worker)
    run = last_run(client, r)
    assert run["status"] == "partial" and "the user is disabled" in run["error"]
    assert [(a["status"], a.get("on_error")) for a in run["actions"]] == [
        ("failed", "continue"),
        ("ok", None),
    ]
    assert tasks(client) == ["next"]
    assert services.rule_engine.max_attempts > 1
    assert worker.drain() == 0  # nothing handed back to the dispatcher


def test_stop_ends_the_run_failed_and_the_next_actions_do_not_run(
    client: TestClient, worker: Worker
) -> None:
    r = rule(client, "strict", [{**BAD_NOTE, "on_error": "stop"}, TASK])
    fire(client, worker)
    run = last_run(client, r)
    assert run["status"] == "failed"
    assert [(a["index"], a["status"], a["on_error"]) for a in run["actions"]] == [
        (0, "failed", "stop")
    ]
    assert tasks(client) == []


def test_a_record_write_stops_by_default_and_may_continue(
    client: TestClient, worker: Worker
) -> None:
    stops = rule(client, "stops", [BAD_UPDATE, TASK])
    goes_on = rule(client, "goes_on", [{**BAD_UPDATE, "on_error": "continue"}, TASK, TASK])
    fire(client, worker)
    run = last_run(client, stops)
    assert run["status"] == "failed" and [a["status"] for a in run["actions"]] == ["failed"]
    run = last_run(client, goes_on)
    assert run["status"] == "partial"
    assert [a["status"] for a in run["actions"]] == ["failed", "ok", "ok"]
    assert tasks(client) == ["next", "next"]  # the second rule's two tasks only


def test_a_failure_of_the_last_action_that_continues_settles_partial(
    client: TestClient, worker: Worker
) -> None:
    r = rule(client, "tail", [TASK, BAD_NOTE])
    fire(client, worker)
    run = last_run(client, r)
    assert run["status"] == "partial" and run["finished_at"]
    assert [a["status"] for a in run["actions"]] == ["ok", "failed"]
