"""The tag actions: ``add_tag`` and ``remove_tag`` put tags of the app's vocabulary on the
triggering record or take them off (source ``rule``). Idempotent: a tag the record has is not
added twice, one it lacks is not removed, and a replay of a done action is skipped by the
executor (its mark is written in the same transaction as the tags)."""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid
from cairn.rules.action_base import ActionCheck, ActionType, RunContext
from cairn.rules.ports import Also, RulePorts
from cairn.rules.spec import AddTagAction, RemoveTagAction


class _TagAction(ActionType):
    adds: bool = True

    def check(self, spec: Any, c: ActionCheck) -> None:
        if not spec.tags:
            raise Invalid.on(f"{c.loc}.tags", "tag.choose")
        if c.saving is None:
            return
        known = c.saving.tags_exist(c.schema.app.id, spec.tags)
        for i, tid in enumerate(spec.tags):
            if tid not in known:
                raise Invalid.on(f"{c.loc}.tags.{i}", "tag.unknown", id=tid)

    def resolve(self, spec: Any, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        ids = [c.record_id] if c.record_id is not None else []
        tags = list(dict.fromkeys(spec.tags))
        return {
            "app": c.rule["app"],
            "table": c.rule["table"],
            "ids": ids,
            "add": tags if self.adds else [],
            "remove": [] if self.adds else tags,
        }

    def apply(
        self, spec: Any, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        changed = ports.tag_records(
            effect["app"], effect["table"], effect["ids"], effect["add"], effect["remove"], also
        )
        return {"tagged" if self.adds else "untagged": changed}


class AddTag(_TagAction):
    key = "add_tag"
    model = AddTagAction
    adds = True


class RemoveTag(_TagAction):
    key = "remove_tag"
    model = RemoveTagAction
    adds = False
