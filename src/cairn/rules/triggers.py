"""Triggers: one class per ``trigger.type``, registered by key (``builtin_triggers``).

Record-event and process-event triggers answer ``matches`` for an outbox event; the inbound
webhook maps a JSON body to a record. Date, schedule and inactivity triggers plan a scan
(``date_trigger``, ``schedule_trigger``, ``inactivity_trigger``); what all share is in ``trigger_base``.
"""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid
from cairn.rules.date_trigger import DateRelative
from cairn.rules.inactivity_trigger import Inactivity
from cairn.rules.schedule_trigger import Schedule
from cairn.rules.score_triggers import ScoreBandEntered, ScoreDropped
from cairn.rules.spec import ProcessTrigger, RecordTrigger, SegmentTrigger, WebhookTrigger
from cairn.rules.trigger_base import (
    GRACE,
    CheckContext,
    Due,
    ScanContext,
    TriggerRegistry,
    TriggerType,
    same_value,
)

__all__ = [
    "GRACE",
    "CheckContext",
    "DateRelative",
    "Due",
    "Inactivity",
    "InboundWebhook",
    "ProcessEventTrigger",
    "RecordEventTrigger",
    "ScanContext",
    "Schedule",
    "SegmentEventTrigger",
    "TriggerRegistry",
    "TriggerType",
    "builtin_triggers",
]


# -- record events ----------------------------------------------------------------------------
class RecordEventTrigger(TriggerType):
    model = RecordTrigger

    def __init__(self, key: str) -> None:
        self.key = key  # type: ignore[misc]

    def check(self, spec: RecordTrigger, ctx: CheckContext) -> None:
        for i, k in enumerate(spec.fields):
            ctx.field(k, f"fields.{i}")
        if (spec.from_ is not None or spec.to is not None) and (
            spec.type != "record.updated" or len(spec.fields) != 1
        ):
            raise Invalid.on(f"{ctx.loc}.fields", "rule.from_to_one_field")

    def matches(self, spec: RecordTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != spec.type:
            return False
        if spec.type != "record.updated" or not spec.fields:
            return True
        changes = payload.get("changes") or {}
        changed = [k for k in spec.fields if k in changes]
        if not changed:
            return False
        if spec.from_ is None and spec.to is None:
            return True
        before, after = changes[spec.fields[0]]
        if spec.from_ is not None and not same_value(before, spec.from_):
            return False
        return spec.to is None or same_value(after, spec.to)


# -- inbound webhook --------------------------------------------------------------------------
class InboundWebhook(TriggerType):
    key = "webhook"
    model = WebhookTrigger
    kind = "webhook"

    def check(self, spec: WebhookTrigger, ctx: CheckContext) -> None:
        if not spec.mapping:
            raise Invalid.on(f"{ctx.loc}.mapping", "rule.mapping_empty")
        for k in spec.mapping:
            f = ctx.field(k, f"mapping.{k}")
            if not ctx.schema.types[f.id].writable:
                raise Invalid.on(f"{ctx.loc}.mapping.{k}", "field.read_only")
        if spec.match is not None:
            ctx.field(spec.match, "match")
            if spec.match not in spec.mapping:
                raise Invalid.on(f"{ctx.loc}.match", "rule.match_unmapped", field=spec.match)

    @staticmethod
    def extract(spec: WebhookTrigger, body: Any) -> dict[str, Any]:
        """The record input the JSON body maps to (a missing path leaves the field out)."""
        out: dict[str, Any] = {}
        for key, path in spec.mapping.items():
            v: Any = body
            found = True
            for part in path.split("."):
                if isinstance(v, dict) and part in v:
                    v = v[part]
                elif isinstance(v, list) and part.isdecimal() and int(part) < len(v):
                    v = v[int(part)]
                else:
                    found = False
                    break
            if found:
                out[key] = v
        return out


class ProcessEventTrigger(TriggerType):
    """An event of the process engine on a record of the rule's table: a task overdue, or a
    process completed (``completed``, ``rejected``, ``withdrawn`` or ``cancelled`` in the
    payload's ``status``); ``process`` narrows it to one process key."""

    model = ProcessTrigger

    def __init__(self, key: str) -> None:
        self.key = key  # type: ignore[misc]

    def matches(self, spec: ProcessTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != spec.type:
            return False
        return spec.process is None or payload.get("definition") == spec.process


class SegmentEventTrigger(TriggerType):
    """A record entered or left a segment of the rule's table (``insight.segments``); saving
    checks that the segment is on the table (``ports.Saving.segment_on_table``)."""

    model = SegmentTrigger

    def __init__(self, key: str) -> None:
        self.key = key  # type: ignore[misc]

    def check(self, spec: SegmentTrigger, ctx: CheckContext) -> None:
        if ctx.saving is not None and not ctx.saving.segment_on_table(spec.segment, ctx.schema.id):
            raise Invalid.on(f"{ctx.loc}.segment", "rule.segment_unknown", segment=spec.segment)

    def matches(self, spec: SegmentTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        return event_type == spec.type and payload.get("segment_id") == spec.segment


def builtin_triggers() -> TriggerRegistry:
    r = TriggerRegistry()
    for key in (
        "record.created",
        "record.updated",
        "record.deleted",
        "record.merged",  # One-ID: the record is the survivor (payload: loser_id, merge_id)
        "record.unmerged",  # the record is the loser, back again
    ):
        r.register(RecordEventTrigger(key))
    for key in ("process.task_overdue", "process.completed"):
        r.register(ProcessEventTrigger(key))
    for key in ("segment.entered", "segment.exited"):
        r.register(SegmentEventTrigger(key))
    for t in (
        DateRelative(),
        Schedule(),
        Inactivity(),
        InboundWebhook(),
        ScoreBandEntered(),
        ScoreDropped(),
    ):
        r.register(t)
    return r
