"""Reading the ``cairn:`` settings the web UI edits: how a process starts and who may start it,
the actions a step allows, where a return may go, which actions need a comment; a bad setting
is reported on its element, every one of them at once."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.process.model import Starters, parse_model


def model_xml(process_ext: str = "", legal_ext: str = "", submit_ext: str = "") -> str:
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:cairn="https://cairn.dev/bpmn" id="d">
      <bpmn:process id="p" name="P" isExecutable="true">
        <bpmn:extensionElements>{process_ext}</bpmn:extensionElements>
        <bpmn:startEvent id="s"/>
        <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="submit"/>
        <bpmn:userTask id="submit" name="Submit">
          <bpmn:extensionElements><cairn:assignee type="initiator"/>{submit_ext}</bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="submit" targetRef="legal"/>
        <bpmn:userTask id="legal" name="Legal">
          <bpmn:extensionElements><cairn:assignee type="role" value="legal"/>{legal_ext}</bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f2" sourceRef="legal" targetRef="e"/>
        <bpmn:endEvent id="e"/>
      </bpmn:process>
    </bpmn:definitions>"""


def test_defaults_allow_everything_and_start_by_hand() -> None:
    m = parse_model(model_xml())
    assert m.start == "manual" and not m.auto_start and m.starters == Starters()
    legal = m.step("legal")
    assert legal.allow is None and legal.return_to == ()
    assert all(legal.allows(a) for a in ("complete", "approve", "reject", "return", "claim"))
    assert legal.needs_comment("reject") and legal.needs_comment("return")
    assert not legal.needs_comment("approve")


def test_start_modes_and_starters() -> None:
    ext = (
        '<cairn:binding table="orders" autoStart="rule"/>'
        '<cairn:starters roles="sales, finance" departments="3,4" users="alice"/>'
    )
    m = parse_model(model_xml(ext))
    assert (m.table, m.start, m.auto_start) == ("orders", "rule", False)
    assert m.starters == Starters(("sales", "finance"), (3, 4), ("alice",))
    created = parse_model(model_xml('<cairn:binding table="orders" autoStart="create"/>'))
    assert created.start == "create" and created.auto_start


def test_a_steps_actions() -> None:
    ext = '<cairn:actions allow="approve,return" returnTo="submit" commentRequired="approve"/>'
    legal = parse_model(model_xml(legal_ext=ext)).step("legal")
    assert legal.allow == ("approve", "return") and legal.return_to == ("submit",)
    assert legal.allows("complete") and legal.allows("claim") and legal.allows("comment")
    assert not legal.allows("reject") and not legal.allows("transfer")
    assert legal.needs_comment("approve") and legal.needs_comment("complete")
    assert legal.needs_comment("reject")


def test_every_bad_setting_is_reported_on_its_element() -> None:
    with pytest.raises(Invalid) as e:
        parse_model(
            model_xml(
                '<cairn:binding table="orders" autoStart="sometimes"/>',
                legal_ext='<cairn:actions allow="approve,fly" returnTo="nowhere"/>',
                submit_ext='<cairn:actions returnTo="legal,e"/>',
            )
        )
    errors = {loc: [m.key for m in ms] for loc, ms in e.value.field_errors.items()}
    assert errors == {
        "bpmn.p": ["process.start_mode"],
        "bpmn.legal": ["process.action_unknown"],
        "bpmn.submit": ["process.return_to_unknown"],
    }
    assert e.value.field_errors["bpmn.submit"][0].params == {"step": "e"}
