"""The shape of a process, checked when it is deployed: a flow that cannot go on is refused
then, not found later by the instance that gets stuck in it.

Per process (and per sub-process, each its own scope):

- every sequence flow's ``sourceRef`` and ``targetRef`` name a flow node of the same scope;
- every flow node but an end event has an outgoing sequence flow (a gateway without one is
  the classic dead end: Spiff stops there with "At least one output required");
- an exclusive gateway with several outgoing flows has a condition on each, or a ``default``
  for the one without (the default must be one of its own outgoing flows);
- every flow node is reachable from a start event, and from every reachable node some path
  reaches an end event (no loop without a way out).

Boundary events count as reached with their activity; a link throw event goes on at the link
catch event of the same name; an event sub-process (``triggeredByEvent``) and compensation
handlers (``isForCompensation``) are started by events, not by flows. Every problem is
reported at ``bpmn.<element id>`` with the element's id and name, all of them at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from lxml import etree

from cairn.core import FieldErrors, Message
from cairn.process.model import BPMN_NS

TASKS = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
    }
)
SCOPES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
FLOW_NODES = TASKS | SCOPES | GATEWAYS | EVENTS


def _local(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[len(BPMN_NS) + 2 :] if tag.startswith(f"{{{BPMN_NS}}}") else ""


def _label(el: Any) -> dict[str, str]:
    eid = el.get("id") or ""
    return {"id": eid, "name": (el.get("name") or "").strip() or eid}


def _has(el: Any, definition: str) -> bool:
    return el.find(f"{{{BPMN_NS}}}{definition}") is not None


def check(xml: bytes, process_id: str) -> None:
    """``Invalid`` naming every element whose place in the flow is wrong (see the module)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(xml, parser)
    errors = FieldErrors()
    for proc in root.findall(f"{{{BPMN_NS}}}process"):
        if (proc.get("id") or "") == process_id:
            _scope(proc, errors, top=True)
            break
    errors.raise_if_any()


def _scope(scope: Any, errors: FieldErrors, top: bool = False) -> None:
    nodes: dict[str, Any] = {}
    flows: list[Any] = []
    for child in scope:
        kind = _local(child)
        if kind in FLOW_NODES and child.get("id"):
            nodes[child.get("id")] = child
        elif kind == "sequenceFlow":
            flows.append(child)

    def bad(el: Any, key: str, **params: Any) -> None:
        errors.add(f"bpmn.{el.get('id') or ''}", Message(key, {**_label(el), **params}))

    out: dict[str, list[Any]] = {n: [] for n in nodes}
    inc: dict[str, list[Any]] = {n: [] for n in nodes}
    for f in flows:
        broken = False
        for end in ("sourceRef", "targetRef"):
            ref = (f.get(end) or "").strip()
            if ref not in nodes:
                bad(f, "process.flow_ref", end=end, ref=ref)
                broken = True
        if not broken:
            out[f.get("sourceRef").strip()].append(f)
            inc[f.get("targetRef").strip()].append(f)

    # What starts on its own, what hangs off what, which link events join up.
    def by_event(nid: str) -> bool:
        """Started by an event, or a compensation's (joined by associations, not flows)."""
        el = nodes[nid]
        kind = _local(el)
        return (
            (kind in SCOPES and (el.get("triggeredByEvent") or "").lower() == "true")
            or (el.get("isForCompensation") or "").lower() == "true"
            or (kind == "boundaryEvent" and _has(el, "compensateEventDefinition"))
        )

    boundary: dict[str, list[str]] = {}
    for nid, el in nodes.items():
        if _local(el) == "boundaryEvent":
            boundary.setdefault((el.get("attachedToRef") or "").strip(), []).append(nid)
    catches: dict[str, list[str]] = {}
    for nid, el in nodes.items():
        link = el.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if _local(el) == "intermediateCatchEvent" and link is not None:
            catches.setdefault(link.get("name") or el.get("name") or "", []).append(nid)

    def jumps(nid: str) -> list[str]:
        """Where a node goes besides its sequence flows."""
        el = nodes[nid]
        link = el.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if _local(el) == "intermediateThrowEvent" and link is not None:
            return catches.get(link.get("name") or el.get("name") or "", [])
        return boundary.get(nid, [])

    def nexts(nid: str) -> Iterable[str]:
        yield from (f.get("targetRef").strip() for f in out[nid])
        yield from jumps(nid)

    dead = False
    for nid, el in nodes.items():
        kind = _local(el)
        if kind in SCOPES:
            _scope(el, errors)
        goes_on = (
            kind == "endEvent"
            or by_event(nid)
            or bool(out[nid])
            or (kind == "intermediateThrowEvent" and bool(jumps(nid)))
        )
        if not goes_on:
            bad(el, "process.gateway_dead_end" if kind in GATEWAYS else "process.dead_end")
            dead = True
        if kind == "exclusiveGateway" and len(out[nid]) > 1:
            default = (el.get("default") or "").strip()
            ids = {f.get("id") for f in out[nid]}
            if default and default not in ids:
                bad(el, "process.gateway_default", flow=default)
            for f in out[nid]:
                if f.get("id") != default and not _condition(f):
                    bad(el, "process.gateway_condition", flow=f.get("id") or "")

    starts = [n for n, el in nodes.items() if _local(el) == "startEvent"]
    if not starts and top:
        errors.add(f"bpmn.{scope.get('id') or ''}", Message("process.no_start", _label(scope)))
        return
    if not starts:  # a sub-process may start implicitly: at the nodes nothing flows into
        starts = [n for n in nodes if not inc[n] and _local(nodes[n]) != "boundaryEvent"]
    roots = starts + [n for n in nodes if by_event(n)]
    reached = _walk(roots, nexts)
    for nid, el in nodes.items():
        if nid not in reached and not by_event(nid):
            bad(el, "process.unreachable")
    if dead:
        return  # every node before a dead end would be reported again below
    back: dict[str, list[str]] = {n: [] for n in nodes}
    for nid in nodes:
        for m in nexts(nid):
            back[m].append(nid)
    ends = [n for n, el in nodes.items() if _local(el) == "endEvent"]
    finishing = _walk(ends, lambda n: back[n])
    for nid, el in nodes.items():
        if nid in reached and nid not in finishing and not by_event(nid):
            bad(el, "process.no_end")


def _condition(flow: Any) -> bool:
    cond = flow.find(f"{{{BPMN_NS}}}conditionExpression")
    return cond is not None and bool((cond.text or "").strip())


def _walk(roots: Iterable[str], nexts: Any) -> set[str]:
    seen: set[str] = set()
    todo = deque(roots)
    while todo:
        n = todo.popleft()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(m for m in nexts(n) if m not in seen)
    return seen
