"""Processes: the use cases of the process engine (``cairn.process``) over the services:
definitions (``process_definitions``), instances (``process_instances``), tasks and the inbox
(``process_tasks``), the worker's scan, and the outbox handler (``process_events``).

The instance lifecycle, the task actions, service tasks and timers are the engine's
(``process.runtime``, ``process.task_actions``, ``process.service_tasks``,
``process.timers``); this module wires them to the services (``process_ports``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.process import builtin_task_actions
from cairn.process.inbox import MAX_PAGE
from cairn.process.runtime import Runtime
from cairn.process.timers import Timers
from cairn.services.process_definitions import ProcessDefinitions
from cairn.services.process_instances import ProcessInstances
from cairn.services.process_ports import ServicesProcessPorts
from cairn.services.process_tasks import ProcessTasks

if TYPE_CHECKING:
    from cairn.services.context import Services

#: The task actions, in the order the API lists them.
ACTIONS = tuple(builtin_task_actions().keys())

__all__ = ["ACTIONS", "MAX_PAGE", "ProcessService"]


class ProcessService(ProcessDefinitions, ProcessInstances, ProcessTasks):
    def __init__(self, services: Services) -> None:
        self.s = services
        self.runtime = Runtime(
            ServicesProcessPorts(services), services.process_cache, services.clock
        )

    def tick(self) -> dict[str, int]:
        """Fire what has come due: BPMN timers, then reminders, breaches and escalations. What
        came due while nothing ran fires now, in order. Safe to run from several workers."""
        return Timers(self.runtime).tick()
