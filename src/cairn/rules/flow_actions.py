"""The flow actions: ``wait`` (the run pauses, then goes on) and ``start_process`` (one of the
app's processes started on the record)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cairn.rules.action_base import ActionType, RunContext
from cairn.rules.ports import Also, RulePorts
from cairn.rules.spec import StartProcessAction, WaitAction


class Wait(ActionType):
    """Handled by the executor: the run pauses (a job row), then goes on with the next action."""

    key = "wait"
    model = WaitAction

    def resolve(self, spec: WaitAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {"seconds": spec.seconds, "recheck": spec.recheck}

    @staticmethod
    def delay(spec: WaitAction) -> timedelta:
        return timedelta(seconds=spec.seconds)


class StartProcess(ActionType):
    """Start one of the app's processes on the record (the process engine's own instance,
    with its assignees, deadlines and escalations)."""

    key = "start_process"
    model = StartProcessAction

    def resolve(self, spec: StartProcessAction, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {"app": c.rule["app"], "process": spec.process, "record_id": c.record_id}

    def apply(
        self,
        spec: StartProcessAction,
        effect: dict[str, Any],
        ports: RulePorts,
        key: str,
        also: Also,
    ) -> dict[str, Any]:
        iid = ports.start_process(effect["app"], effect["process"], effect["record_id"], also)
        return {"instance_id": iid}
