"""Cairn's reading of a BPMN 2.0 file: the ``cairn:`` extension elements, per step.

SpiffWorkflow executes the flow; what Cairn adds (who does a step, which record fields the step
shows, its time limit and escalation, how a countersign decides, where a return goes) is read
here from the same XML into plain frozen dataclasses, so the rest of Cairn never touches Spiff
types. The extension namespace is ``https://cairn.dev/bpmn`` (prefix ``cairn``)::

    <bpmn:userTask id="legal" name="法务审核">
      <bpmn:extensionElements>
        <cairn:assignee type="role" value="legal"/>          <!-- one or more rules -->
        <cairn:candidates role="legal" department="3"/>       <!-- claimable by members -->
        <cairn:form>
          <cairn:field key="amount" access="view"/>
          <cairn:field key="terms" access="edit" required="true"/>
        </cairn:form>
        <cairn:deadline duration="PT4H" calendar="working" reminder="PT1H"/>
        <cairn:escalation after="PT2H" notify="true" reassign="false"/>
        <cairn:escalation after="PT4H" notify="true"/>
        <cairn:return policy="resume"/>                       <!-- or "rerun" -->
        <cairn:reject outcome="end"/>                         <!-- or "continue" -->
      </bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics/>                 <!-- countersign -->
    </bpmn:userTask>

A service task carries rule actions (JSON in the shape of a rule action), checked and run by
``services.service_tasks``::

    <bpmn:serviceTask id="accept" name="受理">
      <bpmn:extensionElements>
        <cairn:action>{"type": "update_record", "values": {"status": "\\"已受理\\""}}</cairn:action>
        <cairn:action type="webhook">{"channel": "webhook:erp"}</cairn:action>
      </bpmn:extensionElements>
    </bpmn:serviceTask>

A user task with ``multiInstanceLoopCharacteristics`` is a countersign (会签, everyone must
approve) or, with ``<cairn:sign mode="any"/>``, an or-sign (或签, the first decision counts). Cairn
fans such a step out to one work item per signer itself (so "add signer" is possible), and gives
Spiff the step as one plain user task: the loop element is removed from the XML Spiff parses.

Camunda Modeler files load: ``camunda:assignee`` (a literal user name) and
``camunda:candidateGroups`` (role keys) are read as the matching Cairn rules; other Camunda
attributes are ignored. A step with no rule in a lane is claimable by the role named like the lane.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from cairn.core import FieldErrors, Invalid, Message
from cairn.process.model_steps import (
    BPMN_NS,
    CAIRN_NS,
    CAMUNDA_NS,
    NS,
    RETURN_POLICIES,
    AssigneeRule,
    Deadline,
    Escalation,
    FormField,
    Step,
    ext,
    flag,
    is_duration,
    parse_duration,
    read_step,
)

__all__ = [
    "BPMN_NS",
    "CAIRN_NS",
    "CAMUNDA_NS",
    "NS",
    "AssigneeRule",
    "Deadline",
    "Escalation",
    "FormField",
    "ProcessModel",
    "ServiceAction",
    "Starters",
    "Step",
    "is_duration",
    "parse_duration",
    "parse_model",
    "parse_script",
]

START_MODES = ("manual", "create", "rule")


@dataclass(frozen=True)
class ServiceAction:
    """A service task: its actions, each in the shape of a rule action (``{"type":
    "update_record", "values": {...}}``), checked and run by the rule engine's action code
    (``services`` does both; this package only reads them)."""

    id: str
    name: str
    actions: tuple[dict[str, Any], ...] = ()

    @property
    def type(self) -> str:
        return ",".join(str(a.get("type", "")) for a in self.actions)


@dataclass(frozen=True)
class Starters:
    """Who may start a process by hand (``cairn:starters``): any of these roles (keys),
    departments (ids) or users (user names); all empty: anyone who may read the record."""

    roles: tuple[str, ...] = ()
    departments: tuple[int, ...] = ()
    users: tuple[str, ...] = ()

    @property
    def anyone(self) -> bool:
        return not (self.roles or self.departments or self.users)


@dataclass(frozen=True)
class ProcessModel:
    process_id: str
    name: str
    steps: dict[str, Step]
    #: Sequence-flow conditions and script-task lines (id → formula text), checked at deploy.
    conditions: dict[str, str]
    scripts: dict[str, list[tuple[str, str]]]
    timers: dict[str, str]
    services: dict[str, ServiceAction]
    variables: dict[str, str]
    table: str | None
    auto_start: bool
    #: The XML Spiff parses (countersign loops taken out).
    spiff_xml: bytes
    #: How it starts: by hand on a record (``manual``), on create, or only by a rule.
    start: str = "manual"
    starters: Starters = Starters()

    def step(self, step_id: str) -> Step:
        return self.steps.get(step_id) or Step(step_id, step_id)


def parse_script(text: str, location: str) -> list[tuple[str, str]]:
    """A script task's text: one ``variable = formula`` per line."""
    out = []
    for i, line in enumerate(text.splitlines()):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.+)$", line)
        if m is None:
            raise Invalid.on(f"{location}.{i + 1}", "process.script_line")
        out.append((m.group(1), m.group(2)))
    return out


def parse_model(xml: bytes | str) -> ProcessModel:
    """Read the first executable process of a BPMN file; ``Invalid`` with the element's id."""
    data = xml.encode() if isinstance(xml, str) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise Invalid.on("bpmn", "process.xml", detail=str(e)) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise Invalid.on("bpmn", "process.not_bpmn")
    processes = root.findall("bpmn:process", NS)
    executable = [p for p in processes if flag(p.get("isExecutable"), True)] or processes
    if not executable:
        raise Invalid.on("bpmn", "process.no_process")
    proc = executable[0]
    pid = proc.get("id") or ""
    lanes: dict[str, str] = {}
    for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""

    errors = FieldErrors()
    binding = ext(proc, "binding")
    table = binding[0].get("table") if binding else None
    start = ((binding[0].get("autoStart") if binding else None) or "manual").strip().lower()
    if start in ("true", "1", "yes"):
        start = "create"
    if start in ("false", "0", "no", ""):
        start = "manual"
    if start not in START_MODES:
        errors.add(f"bpmn.{pid}", Message("process.start_mode", {"value": start}))
        start = "manual"
    auto_start = start == "create"
    starters = _starters(proc, pid, errors)
    default_return = "rerun"
    ret = ext(proc, "return")
    if ret:
        default_return = ret[0].get("policy") or "rerun"
        if default_return not in RETURN_POLICIES:
            raise Invalid.on(f"bpmn.{pid}", "process.return_policy", value=default_return)
    variables = {v.get("name") or "": v.get("type") or "text" for v in ext(proc, "variable")}

    steps: dict[str, Step] = {}
    step_nodes = list(proc.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"))
    step_ids = {n.get("id") or "" for n in step_nodes}
    for node in step_nodes:
        try:
            step = read_step(node, lanes, default_return)
        except Invalid as e:
            errors.merge("", e)
            continue
        steps[step.id] = step
        loop = node.find("bpmn:multiInstanceLoopCharacteristics", NS)
        if loop is not None:
            node.remove(loop)

    conditions: dict[str, str] = {}
    for flow in proc.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is not None and (cond.text or "").strip():
            conditions[flow.get("id") or ""] = cond.text.strip()
    scripts: dict[str, list[tuple[str, str]]] = {}
    for node in proc.iter(f"{{{BPMN_NS}}}scriptTask"):
        sid = node.get("id") or ""
        script = node.find("bpmn:script", NS)
        try:
            scripts[sid] = parse_script(
                script.text or "" if script is not None else "", f"bpmn.{sid}"
            )
        except Invalid as e:
            errors.merge("", e)
    timers: dict[str, str] = {}
    for node in proc.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        owner = node.getparent()
        for child in node:
            if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}time"):
                timers[owner.get("id") or ""] = (child.text or "").strip()
    services: dict[str, ServiceAction] = {}
    for node in proc.iter(f"{{{BPMN_NS}}}serviceTask"):
        sid = node.get("id") or ""
        try:
            acts = tuple(
                _service_action(a, f"bpmn.{sid}.actions.{i}")
                for i, a in enumerate(ext(node, "action"))
            )
        except Invalid as e:
            errors.merge("", e)
            acts = ()
        services[sid] = ServiceAction(sid, node.get("name") or sid, acts)
    for step in steps.values():
        for target in step.return_to:
            if target not in step_ids or target == step.id:
                errors.add(
                    f"bpmn.{step.id}", Message("process.return_to_unknown", {"step": target})
                )
    errors.raise_if_any()
    return ProcessModel(
        process_id=pid,
        name=proc.get("name") or pid,
        steps=steps,
        conditions=conditions,
        scripts=scripts,
        timers=timers,
        services=services,
        variables=variables,
        table=table,
        auto_start=auto_start,
        spiff_xml=etree.tostring(root),
        start=start,
        starters=starters,
    )


def _starters(proc: Any, pid: str, errors: FieldErrors) -> Starters:
    found = ext(proc, "starters")
    if not found:
        return Starters()
    el = found[0]

    def names(attr: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.strip() for p in (el.get(attr) or "").split(",") if p.strip()))

    departments: list[int] = []
    for d in names("departments"):
        if not d.isdigit():
            errors.add(f"bpmn.{pid}", Message("process.starter_department", {"value": d}))
            continue
        departments.append(int(d))
    return Starters(names("roles"), tuple(departments), names("users"))


def _service_action(el: Any, location: str) -> dict[str, Any]:
    """One ``cairn:action``: a JSON object in the element (a rule action), its ``type`` also
    as an attribute; ``cairn:param name= value=`` children add top-level keys (a value that
    reads as JSON is taken as JSON: ``["owner"]``, ``true``)."""
    text = (el.text or "").strip()
    spec: dict[str, Any] = {}
    if text:
        try:
            spec = json.loads(text)
        except ValueError as e:
            raise Invalid.on(location, "process.service_action", detail=str(e)) from None
        if not isinstance(spec, dict):
            raise Invalid.on(location, "process.service_action", detail="a JSON object")
    if el.get("type"):
        spec.setdefault("type", el.get("type"))
    for p in el.findall("cairn:param", NS):
        raw = p.get("value") or ""
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        spec[p.get("name") or ""] = value
    if not spec.get("type"):
        raise Invalid.on(location, "process.service_action", detail="no type")
    return spec
