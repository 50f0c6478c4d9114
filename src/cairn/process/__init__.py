"""The process engine (流程引擎): BPMN 2.0 definitions executed by SpiffWorkflow behind Cairn's
own adapter (formula conditions, Cairn's clock, state without the spec), with Cairn's step
settings (assignees, forms, deadlines, escalation, countersign, return) read from ``cairn:``
extension elements, and the runtime of instances.

Other layers use: ``Definition`` (a parsed, deployable version), ``Run`` (one instance's
workflow), ``ScriptContext``, ``parse_model``/``ProcessModel``/``Step``, ``deadlines``,
``assignees``, ``repo`` (the SQL), ``state`` (the versioned saved state), the runtime
(``runtime.Runtime``, ``timers``, ``record_events``, ``service_tasks``), the task actions
(``builtin_task_actions``) and the task use cases over them (``acting``, ``reassigning``,
``task_reads``, ``visibility``), and the ports.
"""

from cairn.core.i18n import register_messages
from cairn.process import assignees, deadlines, repo, state
from cairn.process.engine import Definition, ReadyTask, Run
from cairn.process.messages import MESSAGES
from cairn.process.model import CAIRN_NS, ProcessModel, Step, parse_duration, parse_model
from cairn.process.ports import Notifier, ServiceActions
from cairn.process.script_engine import ScriptContext, ScriptError
from cairn.process.task_actions import TaskAction, TaskActionRegistry, builtin_task_actions

register_messages(MESSAGES)

__all__ = [
    "CAIRN_NS",
    "Definition",
    "Notifier",
    "ProcessModel",
    "ReadyTask",
    "Run",
    "ScriptContext",
    "ScriptError",
    "ServiceActions",
    "Step",
    "TaskAction",
    "TaskActionRegistry",
    "assignees",
    "builtin_task_actions",
    "deadlines",
    "parse_duration",
    "parse_model",
    "repo",
    "state",
]
