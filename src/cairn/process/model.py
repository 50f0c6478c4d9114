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
from datetime import timedelta
from typing import Any

from lxml import etree

from cairn.core import Invalid

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAIRN_NS = "https://cairn.dev/bpmn"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "cairn": CAIRN_NS}

ASSIGNEE_KINDS = (
    "user",
    "role",
    "department",
    "department_manager",
    "initiator",
    "initiator_manager",
    "previous_manager",
    "same_as",
    "field",
    "formula",
)
ACCESS = ("view", "edit")
CALENDARS = ("calendar", "working")
RETURN_POLICIES = ("resume", "rerun")
SIGN_MODES = ("all", "any")

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str | None, location: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes, seconds (``PT4H``, ``P1D``)."""
    t = (text or "").strip().strip("\"'").upper()
    m = _DURATION.match(t)
    if not t or m is None or t in ("P", "PT") or t.endswith("T"):
        raise Invalid.on(location, "process.duration", value=text or "")
    parts = {k: float(v) for k, v in m.groupdict().items() if v}
    return timedelta(**parts)


def is_duration(text: str) -> bool:
    t = text.strip().strip("\"'").upper()
    return bool(_DURATION.match(t)) and t not in ("P", "PT") and not t.endswith("T")


@dataclass(frozen=True)
class AssigneeRule:
    kind: str
    value: str | None = None


@dataclass(frozen=True)
class FormField:
    key: str
    access: str = "view"
    required: bool = False


@dataclass(frozen=True)
class Escalation:
    """Overdue by ``after``: notify the next manager up (level n: n steps up the tree) and/or
    give the task to them."""

    after: timedelta
    notify: bool = True
    reassign: bool = False


@dataclass(frozen=True)
class Deadline:
    duration: timedelta | None = None
    #: A record date/datetime field the deadline is read from (recomputed when it changes).
    field: str | None = None
    calendar: str = "calendar"
    reminder: timedelta | None = None


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    assignees: tuple[AssigneeRule, ...] = ()
    candidates: tuple[str, ...] = ()  # "role:<key>", "dept:<id>"
    form: tuple[FormField, ...] = ()
    deadline: Deadline | None = None
    escalations: tuple[Escalation, ...] = ()
    sign: str | None = None  # None: one assignee; "all": countersign; "any": or-sign
    return_policy: str = "rerun"
    on_reject: str = "end"
    lane: str | None = None

    @property
    def editable(self) -> set[str]:
        return {f.key for f in self.form if f.access == "edit"}

    @property
    def required(self) -> set[str]:
        return {f.key for f in self.form if f.required}


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

    def step(self, step_id: str) -> Step:
        return self.steps.get(step_id) or Step(step_id, step_id)


def _bool(v: str | None, default: bool = False) -> bool:
    if v is None:
        return default
    return v.strip().lower() in ("true", "1", "yes")


def _ext(node: Any, tag: str) -> list[Any]:
    return node.findall(f"bpmn:extensionElements/cairn:{tag}", NS)


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
    executable = [p for p in processes if _bool(p.get("isExecutable"), True)] or processes
    if not executable:
        raise Invalid.on("bpmn", "process.no_process")
    proc = executable[0]
    pid = proc.get("id") or ""
    lanes: dict[str, str] = {}
    for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""

    binding = _ext(proc, "binding")
    table = binding[0].get("table") if binding else None
    auto_start = bool(binding) and (binding[0].get("autoStart") or "").lower() == "create"
    default_return = "rerun"
    ret = _ext(proc, "return")
    if ret:
        default_return = ret[0].get("policy") or "rerun"
        if default_return not in RETURN_POLICIES:
            raise Invalid.on(f"bpmn.{pid}", "process.return_policy", value=default_return)
    variables = {v.get("name") or "": v.get("type") or "text" for v in _ext(proc, "variable")}

    steps: dict[str, Step] = {}
    for node in list(proc.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask")):
        step = _step(node, lanes, default_return)
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
        scripts[sid] = parse_script(script.text or "" if script is not None else "", f"bpmn.{sid}")
    timers: dict[str, str] = {}
    for node in proc.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        owner = node.getparent()
        for child in node:
            if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}time"):
                timers[owner.get("id") or ""] = (child.text or "").strip()
    services: dict[str, ServiceAction] = {}
    for node in proc.iter(f"{{{BPMN_NS}}}serviceTask"):
        sid = node.get("id") or ""
        acts = tuple(
            _service_action(a, f"bpmn.{sid}.actions.{i}")
            for i, a in enumerate(_ext(node, "action"))
        )
        services[sid] = ServiceAction(sid, node.get("name") or sid, acts)
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
    )


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


def _step(node: Any, lanes: dict[str, str], default_return: str) -> Step:
    sid = node.get("id") or ""
    loc = f"bpmn.{sid}"
    rules: list[AssigneeRule] = []
    for a in _ext(node, "assignee"):
        kind = a.get("type") or ""
        if kind not in ASSIGNEE_KINDS:
            raise Invalid.on(loc, "process.assignee_kind", kind=kind)
        value = a.get("value")
        if value is None and a.text and a.text.strip():
            value = a.text.strip()
        if kind not in ("initiator", "initiator_manager", "previous_manager") and not value:
            raise Invalid.on(loc, "process.assignee_value", kind=kind)
        rules.append(AssigneeRule(kind, value))
    camunda_assignee = node.get(f"{{{CAMUNDA_NS}}}assignee")
    if not rules and camunda_assignee and "${" not in camunda_assignee:
        rules.append(AssigneeRule("user", camunda_assignee))
    candidates: list[str] = []
    for c in _ext(node, "candidates"):
        for role in (c.get("role") or "").split(","):
            if role.strip():
                candidates.append(f"role:{role.strip()}")
        for dept in (c.get("department") or "").split(","):
            if dept.strip():
                candidates.append(f"dept:{dept.strip()}")
    for g in (node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").split(","):
        if g.strip() and "${" not in g:
            candidates.append(f"role:{g.strip()}")
    lane = lanes.get(sid)
    form: list[FormField] = []
    for f in node.findall("bpmn:extensionElements/cairn:form/cairn:field", NS):
        access = f.get("access") or "view"
        if access not in ACCESS:
            raise Invalid.on(loc, "process.form_access", value=access)
        form.append(FormField(f.get("key") or "", access, _bool(f.get("required"))))
    deadline = None
    d = _ext(node, "deadline")
    if d:
        el = d[0]
        calendar = el.get("calendar") or "calendar"
        if calendar not in CALENDARS:
            raise Invalid.on(loc, "process.calendar", value=calendar)
        duration = parse_duration(el.get("duration"), loc) if el.get("duration") else None
        if duration is None and not el.get("field"):
            raise Invalid.on(loc, "process.deadline")
        reminder = parse_duration(el.get("reminder"), loc) if el.get("reminder") else None
        deadline = Deadline(duration, el.get("field"), calendar, reminder)
    escalations = tuple(
        Escalation(
            parse_duration(e.get("after") or "PT0S", loc),
            _bool(e.get("notify"), True),
            _bool(e.get("reassign")),
        )
        for e in _ext(node, "escalation")
    )
    if deadline is not None and not escalations:
        escalations = (Escalation(timedelta(0)),)  # overdue: the assignee's manager hears of it
    sign = None
    if node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
        sign = "all"
    s = _ext(node, "sign")
    if s:
        sign = s[0].get("mode") or "all"
        if sign not in SIGN_MODES:
            raise Invalid.on(loc, "process.sign_mode", value=sign)
    ret = _ext(node, "return")
    policy = (ret[0].get("policy") if ret else None) or default_return
    if policy not in RETURN_POLICIES:
        raise Invalid.on(loc, "process.return_policy", value=policy)
    rej = _ext(node, "reject")
    on_reject = (rej[0].get("outcome") if rej else None) or "end"
    if on_reject not in ("end", "continue"):
        raise Invalid.on(loc, "process.reject_outcome", value=on_reject)
    return Step(
        id=sid,
        name=node.get("name") or sid,
        assignees=tuple(rules),
        candidates=tuple(candidates),
        form=tuple(form),
        deadline=deadline,
        escalations=escalations,
        sign=sign,
        return_policy=policy,
        on_reject=on_reject,
        lane=lane,
    )
