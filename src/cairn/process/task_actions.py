"""Task actions: what a user does to a task (complete, approve, reject, return, transfer,
delegate, add a signer, comment, attach, claim), one class each, registered by a stable key.

``acting.act`` checks who may act, takes the task, writes the step's form and loads the
instance; then the action's ``run`` moves it on through the runtime's public API, and ``act``
saves the instance in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cairn.core import Conflict, Forbidden, Invalid, Registry, TypeDef
from cairn.process import assignees as people
from cairn.process import repo
from cairn.process.instance import Loaded
from cairn.process.mirror import groups
from cairn.process.model import Step
from cairn.store import users as store_users

if TYPE_CHECKING:
    import sqlalchemy as sa

    from cairn.auth import Principal
    from cairn.process.ports import Work
    from cairn.process.runtime import Runtime


@dataclass
class TaskCall:
    """One action on task ``task`` (a ``tasks`` row, taken by this transaction)."""

    work: Work
    L: Loaded
    task: Any
    step: Step
    user: int | None
    comment: str | None
    files: list[str]
    body: dict[str, Any]


class TaskAction(TypeDef):
    #: The step's form may be written with it (``data``).
    writes_form: ClassVar[bool] = False
    #: It decides the step: the step's required fields must be filled.
    decides: ClassVar[bool] = False
    #: It takes a task offered to a group (the others act on their own task).
    claims: ClassVar[bool] = False

    def run(self, rt: Runtime, call: TaskCall) -> None:
        raise NotImplementedError


class TaskActionRegistry(Registry[TaskAction]):
    def __init__(self) -> None:
        super().__init__("task action")


def claimed_by(conn: sa.Connection, t: Any) -> Conflict:
    """409 for a task somebody else holds now, naming them (``params.holder``: the UI says
    "already taken by …")."""
    holder = store_users.display_names(conn, [t.assignee_id]).get(t.assignee_id, "")
    error = Conflict("task.claimed", holder=holder)
    error.extra = {"params": {"holder": holder, "holder_id": t.assignee_id}}
    return error


def check_actor(
    conn: sa.Connection, t: Any, action: TaskAction, principal: Principal, taken: bool = False
) -> None:
    """May ``principal`` do ``action`` on task ``t`` (``taken``: this transaction holds it)?"""
    if t.status != "open" and not taken:
        raise Conflict("task.not_open")
    user = principal.user_id
    if action.claims:
        if t.assignee_id is not None:
            raise claimed_by(conn, t)
        if user is None or t.candidate not in groups(conn, user, principal.is_admin):
            raise Forbidden("task.not_candidate")
        return
    if t.assignee_id is None:
        raise Conflict("task.claim_first")
    if t.assignee_id != user and not principal.is_admin:
        raise Forbidden("task.not_assignee")


def _target_user(conn: sa.Connection, body: dict[str, Any], key: str = "to") -> int:
    uid = people.user_id(conn, body.get(key))
    if uid is None:
        raise Invalid.on(key, "task.user_unknown")
    return uid


class Complete(TaskAction):
    key = "complete"
    writes_form = True
    decides = True

    def run(self, rt: Runtime, c: TaskCall) -> None:
        work, L, t, user, action = c.work, c.L, c.task, c.user, self.key
        rt.mirror.finish_item(work, t, user, action, c.comment, c.files)
        files = {"attachments": c.files} if c.files else None
        rt.mirror.event(work, L, t, user, action, c.comment, files)
        if t.kind == "return":
            rt.mirror.resume(work, L, t)
            return
        siblings = [
            r
            for r in repo.instance_tasks(work.conn, L.row.id, ["open", "waiting"])
            if r.engine_task_id == t.engine_task_id and r.id != t.id
        ]
        if c.step.sign == "all" and action != "reject" and siblings:
            return  # a countersign waits for everyone
        if c.step.sign == "sequence":
            if action != "reject" and rt.mirror.next_signer(work, L, t):
                return  # signed in turn: the next signer's task is open now
            rt.mirror.drop_queue(L, t.engine_task_id)  # a reject decides the step
        repo.close_tasks(work.conn, [r.id for r in siblings], "cancelled", work.now)
        L.meta.setdefault("completed_by", {})[t.step_id] = user
        L.meta["last_actor"] = user
        if action == "reject" and c.step.on_reject == "end":
            rt.end(work, L, "rejected", user, c.comment)
            return
        decision = {
            "action": action,
            "comment": c.comment or "",
            "approved": action != "reject",
            "rejected": action == "reject",
        }
        task = t.engine_task_id
        redo = {"type": action, "task": task, "task_step": t.step_id, "task_id": t.id}
        rt.engine_step(work, L, lambda: L.run.complete(task, decision), {**redo, "data": decision})


class Approve(Complete):
    key = "approve"


class Reject(Complete):
    key = "reject"
    decides = False


class Return(TaskAction):
    """Back to an earlier step the instance has passed (chosen by the assignee)."""

    key = "return"
    writes_form = True

    def run(self, rt: Runtime, c: TaskCall) -> None:
        work, L, t, step, user = c.work, c.L, c.task, c.step, c.user
        target = c.body.get("to_step")
        passed = [sid for _, sid in L.run.passed()]
        if not isinstance(target, str) or target not in passed or target == t.step_id:
            raise Invalid.on("to_step", "task.return_target")
        if step.return_to and target not in step.return_to:
            raise Invalid.on("to_step", "task.return_target")
        if not c.comment:
            raise Invalid.on("comment", "task.comment_required")
        repo.update_task(
            work.conn,
            t.id,
            status="returned",
            action="return",
            comment=c.comment,
            attachments=c.files or None,
            completed_at=work.now,
            completed_by=user,
            alarm_at=None,
        )
        details = {"to_step": target, "policy": step.return_policy}
        rt.mirror.event(work, L, t, user, "return", c.comment, details)
        previous = L.meta.get("completed_by", {}).get(target)
        if step.return_policy == "resume":
            # The returning step waits; the earlier step's owner redoes it, then it comes back.
            others = [
                r
                for r in repo.instance_tasks(work.conn, L.row.id, ["open"])
                if r.engine_task_id == t.engine_task_id
            ]
            for r in others:
                repo.update_task(work.conn, r.id, status="waiting", alarm_at=None)
            target_step = L.definition.model.step(target)
            [detour] = rt.mirror.open_step(
                work,
                L,
                t.engine_task_id,
                target,
                target_step.name,
                {},
                kind="return",
                only=previous if previous is not None else L.row.initiator_id,
            )
            L.meta.setdefault("detours", {})[str(detour)] = {"back_to": t.id, "by": user}
            return
        # Re-run: the engine goes back to the target; the steps in between run again (a step
        # signed in turn starts over with its first signer).
        rt.mirror.drop_queue(L, t.engine_task_id)
        if previous is not None:
            L.meta.setdefault("returned", {})[target] = previous
        still = repo.instance_tasks(work.conn, L.row.id, ["open", "waiting"])
        repo.close_tasks(work.conn, [r.id for r in still], "cancelled", work.now)
        redo = {"type": "return", "to_step": target, "task_step": t.step_id, "task_id": t.id}
        rt.engine_step(work, L, lambda: L.run.rerun_from(target), redo)


class Transfer(TaskAction):
    key = "transfer"

    def run(self, rt: Runtime, c: TaskCall) -> None:
        t = c.task
        to = _target_user(c.work.conn, c.body)
        repo.update_task(c.work.conn, t.id, assignee_id=to, delegated_from=t.assignee_id)
        details = {"from": t.assignee_id, "to": to}
        rt.mirror.event(c.work, c.L, t, c.user, self.key, c.comment, details)


class Delegate(Transfer):
    key = "delegate"


class AddSigner(TaskAction):
    key = "add_signer"

    def run(self, rt: Runtime, c: TaskCall) -> None:
        t = c.task
        if not c.step.sign:
            raise Invalid.on("action", "task.not_countersign")
        to = _target_user(c.work.conn, c.body)
        open_same = [
            r
            for r in repo.instance_tasks(c.work.conn, c.L.row.id, ["open"])
            if r.engine_task_id == t.engine_task_id and r.assignee_id == to
        ]
        in_turn = c.step.sign == "sequence"
        if open_same or (in_turn and to in rt.mirror.queue(c.L, t.engine_task_id)):
            raise Conflict("task.signer_exists")
        details: dict[str, Any] = {"signer": to}
        if in_turn:  # signs right after the current signer
            rt.mirror.insert_signer(c.L, t, to)
            details["queued"] = rt.mirror.queue(c.L, t.engine_task_id)
        else:
            rt.mirror.open_step(
                c.work, c.L, t.engine_task_id, t.step_id, t.step_name, {}, only=to, kind="signer"
            )
        rt.mirror.event(c.work, c.L, t, c.user, "add_signer", c.comment, details)


class Comment(TaskAction):
    key = "comment"

    def run(self, rt: Runtime, c: TaskCall) -> None:
        if not c.comment and not c.files:
            raise Invalid.on("comment", "task.comment_required")
        details = {"attachments": c.files} if c.files else None
        rt.mirror.event(c.work, c.L, c.task, c.user, "comment", c.comment, details)


class Attach(TaskAction):
    key = "attach"

    def run(self, rt: Runtime, c: TaskCall) -> None:
        if not c.files:
            raise Invalid.on("attachments", "task.file_unknown", id="")
        details = {"attachments": c.files}
        rt.mirror.event(c.work, c.L, c.task, c.user, "attach", c.comment, details)


class Claim(TaskAction):
    key = "claim"
    claims = True

    def run(self, rt: Runtime, c: TaskCall) -> None:
        work, t = c.work, c.task
        repo.update_task(work.conn, t.id, assignee_id=c.user, candidate=None, claimed_at=work.now)
        siblings = [
            r
            for r in repo.instance_tasks(work.conn, c.L.row.id, ["open"])
            if r.engine_task_id == t.engine_task_id and r.id != t.id and r.assignee_id is None
        ]
        repo.close_tasks(work.conn, [r.id for r in siblings], "cancelled", work.now)
        rt.mirror.event(work, c.L, t, c.user, "claim", c.comment, {"candidate": t.candidate})


def builtin_task_actions() -> TaskActionRegistry:
    r = TaskActionRegistry()
    for cls in (
        Complete,
        Approve,
        Reject,
        Return,
        Transfer,
        Delegate,
        AddSigner,
        Comment,
        Attach,
        Claim,
    ):
        r.register(cls())
    return r
