"""A step signed in turn (依次审批) through the process services: a role's members sign in the
order of their user ids (not of their names), a BPMN sequential multi-instance is read as
signing in turn, and a signer who left before their turn is passed over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.auth import cli
from cairn.process.model import parse_model
from cairn.services import Services
from factories import make_services, make_user

XML = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="d">
  <bpmn:process id="review" name="评审" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="docs"/></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="panel"/>
    <bpmn:userTask id="panel" name="评审组">
      <bpmn:extensionElements><cairn:assignee type="role" value="reviewers"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true"/>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="panel" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_sequential_multi_instance_signs_in_turn_and_cairn_sign_decides() -> None:
    assert parse_model(XML).step("panel").sign == "sequence"
    parallel = XML.replace(' isSequential="true"', "")
    assert parse_model(parallel).step("panel").sign == "all"
    explicit = XML.replace(
        '<cairn:assignee type="role" value="reviewers"/>',
        '<cairn:assignee type="role" value="reviewers"/><cairn:sign mode="any"/>',
    )
    assert parse_model(explicit).step("panel").sign == "any"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[Services, dict[str, int]]]:
    s = make_services(db_url, tmp_path / "data")
    s.apps.create({"key": "office", "name": "办公"})
    s.schema.create_table(
        "office", {"key": "docs", "name": "文档", "fields": [{"key": "title", "type": "text"}]}
    )
    ids = {name: make_user(s, name)[0] for name in ("carol", "alice", "bob", "author")}
    s.directory.create_role(
        cli(),
        {
            "key": "reviewers",
            "name": "评审",
            "members": ["bob", "alice", "carol"],
            "tables": [{"app": "office", "table": "docs", "actions": ["read", "update"]}],
        },
    )
    s.processes.deploy("office", {"bpmn": XML}, cli())
    yield s, ids
    s.close()


def turn(s: Services, iid: int, ids: dict[str, int]) -> list[str]:
    """Who has an open task of the instance now."""
    names = {v: k for k, v in ids.items()}
    return [names[c["assignee_id"]] for c in _open(s, iid)]


def _open(s: Services, iid: int) -> list[dict]:
    return [x for x in s.processes.instance(iid, cli())["steps"] if x["status"] == "open"]


def test_role_members_sign_in_the_order_of_their_ids(
    world: tuple[Services, dict[str, int]],
) -> None:
    s, ids = world
    rec = s.records.create("office", "docs", {"title": "章程"})
    iid = s.processes.start("office", "review", {"record_id": rec["id"]}, cli(ids["author"]))["id"]
    for who in ("carol", "alice", "bob"):  # created in this order
        assert turn(s, iid, ids) == [who]
        [task] = _open(s, iid)
        s.processes.act(task["task_id"], "approve", {}, cli(ids[who], who))
    inst = s.processes.instance(iid, cli())
    assert inst["status"] == "completed"
    assert [x["assignee_id"] for x in inst["steps"]] == [ids["carol"], ids["alice"], ids["bob"]]


def test_a_signer_who_left_before_their_turn_is_passed_over(
    world: tuple[Services, dict[str, int]],
) -> None:
    s, ids = world
    rec = s.records.create("office", "docs", {"title": "制度"})
    iid = s.processes.start("office", "review", {"record_id": rec["id"]}, cli(ids["author"]))["id"]
    s.directory.update_user(cli(), ids["alice"], {"status": "disabled"})
    [task] = _open(s, iid)
    s.processes.act(task["task_id"], "approve", {}, cli(ids["carol"], "carol"))
    assert turn(s, iid, ids) == ["bob"]
    [task] = _open(s, iid)
    s.processes.act(task["task_id"], "approve", {}, cli(ids["bob"], "bob"))
    inst = s.processes.instance(iid, cli())
    assert inst["status"] == "completed"
    assert [x["assignee_id"] for x in inst["steps"]] == [ids["carol"], ids["bob"]]
