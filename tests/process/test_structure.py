"""The deploy-time shape check at the engine: what it accepts that has no plain sequence flow
(link events, event sub-processes, compensation handlers), and that a version deployed before
the check still loads (its running instances must stay reachable)."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.process import Definition

HEAD = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="d" targetNamespace="https://cairn.dev/tests"><bpmn:process id="p" isExecutable="true">"""
TAIL = "</bpmn:process></bpmn:definitions>"


def shape(body: str) -> str:
    return HEAD + body + TAIL


def problems(body: str) -> dict[str, list[str]]:
    try:
        Definition(shape(body), deploying=True)
    except Invalid as e:
        return {k: [m.key for m in v] for k, v in e.field_errors.items()}
    return {}


def test_link_events_event_sub_processes_and_compensation_need_no_flow() -> None:
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work"/>
    <bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="jump"/>
    <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="land" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:boundaryEvent id="undo" attachedToRef="work"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
    <bpmn:userTask id="refund" isForCompensation="true"/>
    <bpmn:subProcess id="on_error" triggeredByEvent="true">
      <bpmn:startEvent id="e_start"><bpmn:errorEventDefinition/></bpmn:startEvent>
      <bpmn:sequenceFlow id="e0" sourceRef="e_start" targetRef="e_end"/>
      <bpmn:endEvent id="e_end"/>
    </bpmn:subProcess>
    """
    from cairn.process import structure

    structure.check(shape(body).encode(), "p")  # Spiff's own parser aside: the shape is sound
    assert problems(
        body.replace('name="L"/></bpmn:intermediateCatch', 'name="M"/></bpmn:intermediateCatch')
    ) == {
        "bpmn.jump": ["process.dead_end"],
        "bpmn.land": ["process.unreachable"],
        "bpmn.end": ["process.unreachable"],
    }


@pytest.mark.parametrize("deploying", [False, True])
def test_a_version_deployed_before_the_check_still_loads(deploying: bool) -> None:
    body = """
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw"/>
    """
    if deploying:
        assert problems(body) == {"bpmn.gw": ["process.gateway_dead_end"]}
    else:
        assert Definition(shape(body)).model.process_id == "p"
