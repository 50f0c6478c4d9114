"""Assignee rules up the manager chain: ``initiator_manager`` and ``previous_manager`` with a
number of levels (absent: 1); a chain that ends lower finds nobody, so the next rule decides;
a level that is not a positive whole number is a deploy error on the step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.core import Invalid
from cairn.process import assignees as people
from cairn.process.model import AssigneeRule, Step, parse_model
from cairn.services import Services
from factories import make_services
from processdata import Org


def model_xml(rules: str) -> str:
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:cairn="https://cairn.dev/bpmn" id="d">
      <bpmn:process id="p" name="P" isExecutable="true">
        <bpmn:startEvent id="s"/>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="boss"/>
        <bpmn:userTask id="boss" name="Boss">
          <bpmn:extensionElements>{rules}</bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="boss" targetRef="e"/>
        <bpmn:endEvent id="e"/>
      </bpmn:process>
    </bpmn:definitions>"""


def test_levels_are_read_with_one_as_the_default() -> None:
    rules = (
        '<cairn:assignee type="initiator_manager"/>'
        '<cairn:assignee type="initiator_manager" value=" 3 "/>'
        '<cairn:assignee type="previous_manager" value="2"/>'
        '<cairn:assignee type="previous_manager" value=""/>'
    )
    step = parse_model(model_xml(rules)).step("boss")
    assert step.assignees == (
        AssigneeRule("initiator_manager", None),
        AssigneeRule("initiator_manager", "3"),
        AssigneeRule("previous_manager", "2"),
        AssigneeRule("previous_manager", None),
    )
    assert [r.levels for r in step.assignees] == [1, 3, 2, 1]


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "two", "²", "１"])
def test_a_level_that_is_not_a_positive_whole_number_is_an_error_on_the_step(value: str) -> None:
    for kind in ("initiator_manager", "previous_manager"):
        with pytest.raises(Invalid) as e:
            parse_model(model_xml(f'<cairn:assignee type="{kind}" value="{value}"/>'))
        [message] = e.value.field_errors["bpmn.boss"]
        assert message.key == "process.assignee_levels"
        assert message.params == {"kind": kind, "value": value}


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> Iterator[Org]:
    """集团 (ceo) > 事业部 (vp) > 销售部 (smgr) with sales1 in 销售部; 独立部 has no manager."""
    s: Services = make_services(db_url, tmp_path / "data")
    o = Org(s)
    for name in ("ceo", "vp", "smgr"):
        o.user(name)
    o.department("集团", manager="ceo")
    o.department("事业部", manager="vp", parent="集团")
    o.department("销售部", manager="smgr", parent="事业部")
    o.department("独立部")
    o.user("sales1", "销售部")
    o.user("loner", "独立部")
    yield o
    s.close()


def resolve(org: Org, *rules: AssigneeRule, initiator: str, previous: str | None = None) -> list:
    facts = people.Facts(
        initiator_id=org.ids[initiator],
        previous_id=org.ids[previous] if previous else None,
    )
    with org.services.engine.connect() as conn:
        found = people.resolve(conn, Step("boss", "Boss", assignees=rules), facts)
    names = {v: k for k, v in org.ids.items()}
    return [names[u] for u in found.users]


def test_the_initiators_manager_n_levels_up(org: Org) -> None:
    def up(levels: str | None) -> list:
        return resolve(org, AssigneeRule("initiator_manager", levels), initiator="sales1")

    assert up(None) == ["smgr"]
    assert up("1") == ["smgr"]
    assert up("2") == ["vp"]
    assert up("3") == ["ceo"]
    assert up("4") == []  # the chain ends at the top


def test_the_previous_assignees_manager_n_levels_up(org: Org) -> None:
    def up(levels: str | None) -> list:
        rule = AssigneeRule("previous_manager", levels)
        return resolve(org, rule, initiator="loner", previous="sales1")

    assert (up(None), up("2"), up("3"), up("4")) == (["smgr"], ["vp"], ["ceo"], [])
    # A manager's own manager is the parent department's.
    assert resolve(
        org, AssigneeRule("previous_manager", "1"), initiator="loner", previous="vp"
    ) == ["ceo"]


def test_a_chain_that_runs_out_tries_the_next_rule(org: Org) -> None:
    rules = (
        AssigneeRule("initiator_manager", "5"),
        AssigneeRule("initiator_manager", "2"),
    )
    assert resolve(org, *rules, initiator="sales1") == ["vp"]
    fallback = (AssigneeRule("initiator_manager", "1"), AssigneeRule("user", "ceo"))
    # 独立部 has no manager and no parent: nobody up the chain, so the named user does it.
    assert resolve(org, *fallback, initiator="loner") == ["ceo"]
