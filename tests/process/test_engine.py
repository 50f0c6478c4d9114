"""The adapter: state without the spec, round trips, timers on Cairn's clock, return/rerun,
BPMN as exported by Camunda Modeler."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.process import Definition, ScriptContext, parse_duration, parse_model

BPMN = Path(__file__).parent / "bpmn"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def restore(d: Definition, state: dict, now: datetime = T0):
    return d.load(json.loads(json.dumps(state)), ScriptContext(now=now))


def test_state_has_no_spec_and_survives_a_round_trip() -> None:
    d = Definition((BPMN / "car_repair.bpmn").read_text())
    run = d.new(ScriptContext(now=T0), {"initiator_id": 1})
    run.advance()
    state = run.dump()
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(json.dumps(state)) < 6000
    for step in ("appointment", "reception", "dispatch", "repair_work", "qc", "delivery"):
        run = restore(d, run.dump())
        assert run.wf.script_engine.context.now == T0  # the engine is attached after load
        [task] = run.ready()
        assert task.step_id == step
        run.complete(task.id, {"rejected": False})
    assert run.ready() == []
    assert run.next_timer() == datetime(2026, 1, 6, 9)
    # Nothing fires before its time on Cairn's clock, whatever the machine's clock says.
    later = restore(d, run.dump(), T0 + timedelta(hours=23, minutes=59))
    later.refresh_timers()
    assert later.ready() == []
    due = restore(d, later.dump(), T0 + timedelta(hours=24))
    due.refresh_timers()
    assert [t.step_id for t in due.ready()] == ["follow_up"]


def test_rerun_from_an_earlier_step() -> None:
    d = Definition((BPMN / "complaint.bpmn").read_text())
    run = d.new(ScriptContext(now=T0), {})
    run.advance()
    for _ in range(3):
        [t] = run.ready()
        run.complete(t.id, {})
    assert [s for _, s in run.passed()] == ["register", "assign", "plan"]
    run = restore(d, run.dump())
    run.rerun_from("assign")
    assert [t.step_id for t in run.ready()] == ["assign"]
    with pytest.raises(Invalid):
        run.rerun_from("followup")  # not passed


def test_camunda_modeler_file_loads_and_runs() -> None:
    d = Definition((BPMN / "camunda_leave.bpmn").read_text())
    m = d.model
    assert m.process_id == "Process_Discount"
    assert m.steps["Activity_Request"].assignees[0].value == "alice"
    assert m.steps["Activity_Approve"].candidates == ("role:managers",)
    assert m.steps["Activity_Approve"].lane == "managers"
    for discount, expected in ((20, ["Activity_Approve"]), (5, [])):
        run = d.new(ScriptContext(), {"discount": discount})
        run.advance()
        [t] = run.ready()
        run.complete(t.id, {})
        assert [r.step_id for r in run.ready()] == expected


def test_extensions_are_checked() -> None:
    base = (BPMN / "charter.bpmn").read_text()
    for bad, where in (
        ('<cairn:assignee type="role" value="legal"/>', '<cairn:assignee type="astrologer"/>'),
        ('calendar="working"', 'calendar="lunar"'),
        ('duration="PT8H"', 'duration="8 hours"'),
        ('<cairn:return policy="resume"/>', '<cairn:return policy="sometimes"/>'),
    ):
        with pytest.raises(Invalid):
            parse_model(base.replace(bad, where))
    with pytest.raises(Invalid):
        Definition("<not-bpmn/>")
    with pytest.raises(Invalid):
        Definition("<<<")


@given(
    st.integers(0, 30),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
def test_durations_round_trip(days: int, hours: int, minutes: int, seconds: int) -> None:
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    assert parse_duration(text, "x") == timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds
    )


@given(st.text(max_size=12))
def test_duration_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(Invalid):
        parse_duration(text, "x")


GATEWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f1" sourceRef="split" targetRef="legal"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="checks"/>
    <bpmn:userTask id="legal" name="legal"/>
    <bpmn:inclusiveGateway id="checks" default="f_none"/>
    <bpmn:sequenceFlow id="f_credit" sourceRef="checks" targetRef="credit">
      <bpmn:conditionExpression>{amount} &gt; 100000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_export" sourceRef="checks" targetRef="export">
      <bpmn:conditionExpression>{country} &lt;&gt; "CN"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_none" sourceRef="checks" targetRef="checked"/>
    <bpmn:userTask id="credit" name="credit"/>
    <bpmn:userTask id="export" name="export"/>
    <bpmn:sequenceFlow id="f3" sourceRef="credit" targetRef="checked"/>
    <bpmn:sequenceFlow id="f4" sourceRef="export" targetRef="checked"/>
    <bpmn:inclusiveGateway id="checked"/>
    <bpmn:sequenceFlow id="f5" sourceRef="checked" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="legal" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="sign"/>
    <bpmn:userTask id="sign" name="sign"/>
    <bpmn:sequenceFlow id="f8" sourceRef="sign" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_parallel_and_inclusive_gateways_with_formula_conditions() -> None:
    d = Definition(GATEWAYS)
    for data, branches in (
        ({"amount": 500000, "country": "DE"}, {"legal", "credit", "export"}),
        ({"amount": 500000, "country": "CN"}, {"legal", "credit"}),
        ({"amount": 10, "country": "CN"}, {"legal"}),
    ):
        run = d.new(ScriptContext(), data)
        run.advance()
        assert {t.step_id for t in run.ready()} == branches
        while {t.step_id for t in run.ready()} != {"sign"}:
            t = next(t for t in run.ready() if t.step_id != "sign")
            run = restore(d, run.dump())
            run.complete(t.id, {})
        [t] = run.ready()
        run.complete(t.id, {})
        assert run.completed


SERVICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="tell"/>
    <bpmn:serviceTask id="tell" name="通知">
      <bpmn:extensionElements>
        <cairn:action>{"type": "update_record", "values": {"status": "\\"x\\""}}</cairn:action>
        <cairn:action type="notify"><cairn:param name="to" value='["owner"]'/><cairn:param name="subject" value="hi"/></cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="tell" targetRef="check"/>
    <bpmn:userTask id="check" name="确认"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_service_task_actions_are_read_as_rule_actions() -> None:
    svc = parse_model(SERVICE).services["tell"]
    assert svc.actions == (
        {"type": "update_record", "values": {"status": '"x"'}},
        {"type": "notify", "to": ["owner"], "subject": "hi"},
    )
    for bad in ('{"type": update_record}', "[1]", "{}"):
        xml = SERVICE.replace('{"type": "update_record", "values": {"status": "\\"x\\""}}', bad)
        with pytest.raises(Invalid) as e:
            parse_model(xml)
        assert "bpmn.tell.actions.0" in e.value.field_errors


def test_a_service_task_waits_until_the_host_finishes_it() -> None:
    """call_service False: the task waits (state saved and restored), then completes."""
    d = Definition(SERVICE)
    calls: list[tuple[str, str]] = []
    run = d.new(ScriptContext(now=T0, call_service=lambda s, t, _: bool(calls.append((s, t)))), {})
    run.advance()
    assert run.ready() == [] and [s for _, s in run.waiting_services()] == ["tell"]
    assert [s for s, _ in calls] == ["tell"]
    task_id = calls[0][1]
    run = restore(d, run.dump())
    assert run.waiting_services() == [(task_id, "tell")]
    run.finish_service(task_id)
    assert [r.step_id for r in run.ready()] == ["check"] and run.waiting_services() == []
    with pytest.raises(Invalid):
        run.finish_service(task_id)
