"""The rule engine (规则引擎): IF-THEN automations on record events, dates and schedules.

A rule (``spec.RuleSpec``) has a trigger, an optional condition (a formula) and actions run in
order. Triggers and actions are registries with one class per type (``triggers``; the scanned
ones in ``date_trigger``, ``schedule_trigger``, ``inactivity_trigger``; ``actions``, the
families in ``record_actions``, ``message_actions``, ``flow_actions``;
``trigger_base`` has what triggers share);
conditions and action values are formulas computed in SQL over the record (``evaluate``);
date, schedule and inactivity triggers plan SQL scans with a fired-once key per record
(each due record a fired-once row and an outbox event in one transaction: ``scanner``);
``runlog`` has the run-log shapes, idempotency keys and loop depth.

The runtime: ``compiled`` checks a rule against the catalogue; ``runner.RuleEngine`` is the
outbox handler that runs rules (one run in ``execute``, in-app-only runs together in ``batch``),
``scanner`` fires what scanned rules have due; ``service_actions`` lets the process engine's
service tasks run rule actions; ``public`` has the API shapes.

The definitions: ``definitions`` saves, changes and packages rules (checked by ``saving``),
``drafts`` checks and runs the editor's drafts (validate, dry run, forecast), ``runs`` pages
the run log. What the engine needs from the platform is in ``ports`` (``services.rule_ports``
supplies it); ``services.rules`` opens each use case's unit of work and checks the caller.
"""

from cairn.core.i18n import register_messages
from cairn.rules.actions import (
    ActionCheck,
    ActionRegistry,
    ActionType,
    RunContext,
    builtin_actions,
)
from cairn.rules.compiled import Compiled, compile_rule, rule_info
from cairn.rules.evaluate import condition_formula, evaluate, evaluate_many, truth
from cairn.rules.messages import MESSAGES
from cairn.rules.ports import HandledEvent, Notifier, RecordPorts, RulePorts, Runtime, Work
from cairn.rules.public import last_run_public, rule_public, run_public
from cairn.rules.runner import RuleEngine
from cairn.rules.spec import RuleIn, RuleSpec, dump_spec, parse_spec
from cairn.rules.trigger_base import (
    GRACE,
    CheckContext,
    Due,
    ScanContext,
    TriggerRegistry,
    TriggerType,
)
from cairn.rules.triggers import builtin_triggers

register_messages(MESSAGES)

__all__ = [
    "GRACE",
    "ActionCheck",
    "ActionRegistry",
    "ActionType",
    "CheckContext",
    "Compiled",
    "Due",
    "HandledEvent",
    "Notifier",
    "RecordPorts",
    "RuleEngine",
    "RuleIn",
    "RulePorts",
    "RuleSpec",
    "RunContext",
    "Runtime",
    "ScanContext",
    "TriggerRegistry",
    "TriggerType",
    "Work",
    "builtin_actions",
    "builtin_triggers",
    "compile_rule",
    "condition_formula",
    "dump_spec",
    "evaluate",
    "evaluate_many",
    "last_run_public",
    "parse_spec",
    "rule_info",
    "rule_public",
    "run_public",
    "truth",
]
