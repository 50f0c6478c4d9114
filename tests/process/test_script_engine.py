"""Conditions, scripts and timers are Cairn formulas: Python payloads are refused."""

from __future__ import annotations

import pytest

from cairn.core import Invalid
from cairn.process import Definition, ScriptContext, ScriptError
from cairn.process.script_engine import FormulaCache, FormulaScriptEngine

PAYLOADS = [
    "__import__('os').getpid()",
    "__import__('os').system('touch /tmp/cairn-pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "eval('1+1')",
    "[x for x in range(3)]",
    "lambda: 1",
]


def gateway(condition: str, script: str = "") -> str:
    cond = condition.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="calc"/>
    <bpmn:scriptTask id="calc"><bpmn:script>{body}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="calc" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression>{cond}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no"/>
    <bpmn:userTask id="yes" name="yes"/>
    <bpmn:userTask id="no" name="no"/>
    <bpmn:sequenceFlow id="f2" sourceRef="yes" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="no" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def run(condition: str, script: str = "", **data: object) -> list[str]:
    r = Definition(gateway(condition, script)).new(ScriptContext(), data)
    r.advance()
    return [t.step_id for t in r.ready()]


def test_conditions_and_scripts_are_formulas() -> None:
    assert run("{amount} > 500000", amount=800000) == ["yes"]
    assert run("{amount} > 500000", amount=300000) == ["no"]
    assert run(
        'AND({risk} = "high", {approved})',
        'risk = IF({amount} > 10, "high", "low")',
        amount=20,
        approved=True,
    ) == ["yes"]
    assert run('{risk} = "high"', 'risk = IF({amount} > 10, "high", "low")', amount=5) == ["no"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_python_payloads_are_refused_not_run(payload: str, tmp_path) -> None:
    with pytest.raises(ScriptError):
        run(payload)
    with pytest.raises(ScriptError):
        run("{x} = 1", f"x = {payload}")
    engine = FormulaScriptEngine(FormulaCache(), ScriptContext())
    with pytest.raises(ScriptError):
        engine.environment.evaluate(payload, {})
    with pytest.raises(ScriptError):
        engine.environment.execute(payload, {})


def test_the_payload_did_not_run() -> None:
    import os

    with pytest.raises(ScriptError):
        run("__import__('os').system('touch /tmp/cairn-pwned-check')")
    assert not os.path.exists("/tmp/cairn-pwned-check")


def test_a_script_line_that_is_not_an_assignment_is_refused_at_parse() -> None:
    with pytest.raises(Invalid):
        Definition(gateway("{x} = 1", "import os"))
