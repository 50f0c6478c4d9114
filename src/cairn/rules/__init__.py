"""The rule engine (规则引擎): IF-THEN automations on record events, dates and schedules.

A rule (``spec.RuleSpec``) has a trigger, an optional condition (a formula) and actions run in
order. Triggers and actions are registries with one class per type (``triggers``, ``actions``);
conditions and action values are formulas computed in SQL over the record (``evaluate``);
date, schedule and inactivity triggers plan SQL scans with a fired-once key per record
(``triggers``); ``runlog`` has the run-log shapes, idempotency keys and loop depth. What the
engine needs from the platform is in ``ports``; ``services.rules`` runs it.
"""

from cairn.core.i18n import register_messages
from cairn.rules.actions import (
    ActionCheck,
    ActionRegistry,
    ActionType,
    RunContext,
    builtin_actions,
)
from cairn.rules.evaluate import condition_formula, evaluate, evaluate_many, truth
from cairn.rules.messages import MESSAGES
from cairn.rules.ports import Notifier, RecordPorts, RulePorts
from cairn.rules.spec import RuleIn, RuleSpec, dump_spec, parse_spec
from cairn.rules.triggers import (
    GRACE,
    CheckContext,
    Due,
    ScanContext,
    TriggerRegistry,
    TriggerType,
    builtin_triggers,
)

register_messages(MESSAGES)

__all__ = [
    "GRACE",
    "ActionCheck",
    "ActionRegistry",
    "ActionType",
    "CheckContext",
    "Due",
    "Notifier",
    "RecordPorts",
    "RuleIn",
    "RulePorts",
    "RuleSpec",
    "RunContext",
    "ScanContext",
    "TriggerRegistry",
    "TriggerType",
    "builtin_actions",
    "builtin_triggers",
    "condition_formula",
    "dump_spec",
    "evaluate",
    "evaluate_many",
    "parse_spec",
    "truth",
]
