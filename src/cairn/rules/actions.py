"""Actions: one class per ``action.type``, registered by key.

Each action ``check``s its spec against the catalogue when a rule is saved (and names the
formulas it needs), ``resolve``s what it would do for one record (field values, recipients,
rendered text: what a dry run shows) and ``apply``s that through the ports. What they share is
``action_base``; the families are ``record_actions`` (update, create), ``message_actions``
(notify, webhook; their recipients in ``recipients``) and ``flow_actions`` (wait, start a
process).
"""

from __future__ import annotations

from cairn.rules.action_base import ActionCheck, ActionRegistry, ActionType, RunContext
from cairn.rules.flow_actions import StartProcess, Wait
from cairn.rules.message_actions import Notify, Webhook
from cairn.rules.record_actions import CreateRecord, UpdateRecord
from cairn.rules.tag_actions import AddTag, RemoveTag

__all__ = [
    "ActionCheck",
    "ActionRegistry",
    "ActionType",
    "RunContext",
    "builtin_actions",
]


def builtin_actions() -> ActionRegistry:
    r = ActionRegistry()
    for a in (
        UpdateRecord(),
        CreateRecord(),
        Notify(),
        Webhook(),
        Wait(),
        StartProcess(),
        AddTag(),
        RemoveTag(),
    ):
        r.register(a)
    return r
