"""Cairn's reading of one BPMN step (a user or manual task) and the shared reading helpers.

What a step carries (its ``cairn:`` extension elements) is listed in ``model``'s docstring; the
actions a step allows and where a return may go are read here too::

    <cairn:actions allow="approve,reject,return,transfer,add_signer,delegate"
                   returnTo="stepA,stepB" commentRequired="approve"/>

Absent: every action is allowed and a return may go to any step passed before. ``reject`` and
``return`` always need a comment; ``complete`` (a plain "submit") goes with ``approve``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
SIGN_MODES = ("all", "any", "sequence")
#: The assignee rules whose value is a number of levels up the manager chain (absent: 1).
MANAGER_KINDS = ("initiator_manager", "previous_manager")

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


#: The decisions a step may allow (``cairn:actions allow``); claim, comment and attach are
#: always possible.
STEP_ACTIONS = ("approve", "reject", "return", "transfer", "add_signer", "delegate")
#: Actions that always need a comment.
COMMENT_ALWAYS = ("reject", "return")


def flag(v: str | None, default: bool = False) -> bool:
    if v is None:
        return default
    return v.strip().lower() in ("true", "1", "yes")


def ext(node: Any, tag: str) -> list[Any]:
    return node.findall(f"bpmn:extensionElements/cairn:{tag}", NS)


@dataclass(frozen=True)
class AssigneeRule:
    kind: str
    value: str | None = None

    @property
    def levels(self) -> int:
        """How far up the manager chain a ``MANAGER_KINDS`` rule goes (checked on reading)."""
        return int(self.value) if self.value else 1


def is_levels(value: str) -> bool:
    """A number of manager levels: a positive whole number (``1``, ``2``; not ``0``, ``-1``,
    ``1.5``)."""
    v = value.strip()
    return v.isascii() and v.isdecimal() and int(v) > 0


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
    #: None: one assignee; "all": countersign; "any": or-sign; "sequence": in turn (依次审批).
    sign: str | None = None
    return_policy: str = "rerun"
    on_reject: str = "end"
    lane: str | None = None
    #: The decisions allowed (``STEP_ACTIONS``); None: all of them.
    allow: tuple[str, ...] | None = None
    #: The steps a return may go to; empty: any step passed before.
    return_to: tuple[str, ...] = ()
    #: The actions that need a comment (reject and return always do).
    comment_required: tuple[str, ...] = COMMENT_ALWAYS
    #: The table's form whose layout and linkage rules the step's form follows
    #: (``<cairn:form variant="…">``); None: the table's default form.
    form_variant: str | None = None

    @property
    def editable(self) -> set[str]:
        return {f.key for f in self.form if f.access == "edit"}

    @property
    def required(self) -> set[str]:
        return {f.key for f in self.form if f.required}

    def allows(self, action: str) -> bool:
        """May ``action`` be done at this step? (``complete`` goes with ``approve``; claim,
        comment and attach are always possible.)"""
        if self.allow is None:
            return True
        decision = "approve" if action == "complete" else action
        return decision not in STEP_ACTIONS or decision in self.allow

    def needs_comment(self, action: str) -> bool:
        decision = "approve" if action == "complete" else action
        return decision in self.comment_required or action in self.comment_required


def read_step(node: Any, lanes: dict[str, str], default_return: str) -> Step:
    sid = node.get("id") or ""
    loc = f"bpmn.{sid}"
    rules: list[AssigneeRule] = []
    for a in ext(node, "assignee"):
        kind = a.get("type") or ""
        if kind not in ASSIGNEE_KINDS:
            raise Invalid.on(loc, "process.assignee_kind", kind=kind)
        value = a.get("value")
        if value is None and a.text and a.text.strip():
            value = a.text.strip()
        if kind not in ("initiator", *MANAGER_KINDS) and not value:
            raise Invalid.on(loc, "process.assignee_value", kind=kind)
        if kind in MANAGER_KINDS and value is not None and value.strip():
            if not is_levels(value):
                raise Invalid.on(loc, "process.assignee_levels", kind=kind, value=value)
            value = str(int(value.strip()))
        elif kind in MANAGER_KINDS:
            value = None
        rules.append(AssigneeRule(kind, value))
    camunda_assignee = node.get(f"{{{CAMUNDA_NS}}}assignee")
    if not rules and camunda_assignee and "${" not in camunda_assignee:
        rules.append(AssigneeRule("user", camunda_assignee))
    candidates: list[str] = []
    for c in ext(node, "candidates"):
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
    form_el = node.find("bpmn:extensionElements/cairn:form", NS)
    variant = ((form_el.get("variant") or "").strip() or None) if form_el is not None else None
    for f in node.findall("bpmn:extensionElements/cairn:form/cairn:field", NS):
        access = f.get("access") or "view"
        if access not in ACCESS:
            raise Invalid.on(loc, "process.form_access", value=access)
        form.append(FormField(f.get("key") or "", access, flag(f.get("required"))))
    deadline = None
    d = ext(node, "deadline")
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
            flag(e.get("notify"), True),
            flag(e.get("reassign")),
        )
        for e in ext(node, "escalation")
    )
    if deadline is not None and not escalations:
        escalations = (Escalation(timedelta(0)),)  # overdue: the assignee's manager hears of it
    sign = None
    loop = node.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if loop is not None:  # a BPMN sequential multi-instance signs in turn
        sign = "sequence" if flag(loop.get("isSequential")) else "all"
    s = ext(node, "sign")
    if s:
        sign = s[0].get("mode") or sign or "all"
        if sign not in SIGN_MODES:
            raise Invalid.on(loc, "process.sign_mode", value=sign)
    ret = ext(node, "return")
    policy = (ret[0].get("policy") if ret else None) or default_return
    if policy not in RETURN_POLICIES:
        raise Invalid.on(loc, "process.return_policy", value=policy)
    rej = ext(node, "reject")
    on_reject = (rej[0].get("outcome") if rej else None) or "end"
    if on_reject not in ("end", "continue"):
        raise Invalid.on(loc, "process.reject_outcome", value=on_reject)
    allow, return_to, comment_required = _actions(node, loc)
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
        allow=allow,
        return_to=return_to,
        comment_required=comment_required,
        form_variant=variant,
    )


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in (text or "").split(",") if p.strip()))


def _actions(
    node: Any, loc: str
) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]:
    """``cairn:actions``: the allowed decisions, the return targets and the actions needing a
    comment (the step ids in ``returnTo`` are checked against the whole process later)."""
    found = ext(node, "actions")
    if not found:
        return None, (), COMMENT_ALWAYS
    el = found[0]
    allow = _names(el.get("allow")) if el.get("allow") is not None else None
    commented = _names(el.get("commentRequired"))
    for action in (*(allow or ()), *commented):
        if action not in STEP_ACTIONS and action != "complete":
            raise Invalid.on(loc, "process.action_unknown", action=action)
    if allow is not None:  # "complete" (a plain submit step) is the approve decision
        allow = tuple(dict.fromkeys("approve" if a == "complete" else a for a in allow))
    needs = tuple(dict.fromkeys((*COMMENT_ALWAYS, *commented)))
    return allow, _names(el.get("returnTo")), needs
