"""Tasks as use cases, wired to the process engine: acting on a task
(``process.acting``), an administrator's reassignment (``process.reassigning``), a task with
its step form (``process.task_reads``), the inbox and its counts (``process.inbox``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Principal
from cairn.core import Forbidden
from cairn.process import acting, inbox, reassigning, task_reads
from cairn.services.uow import unit_of_work

if TYPE_CHECKING:
    from cairn.process.runtime import Runtime
    from cairn.services.context import Services


class ProcessTasks:
    s: Services
    runtime: Runtime

    def act(
        self, task_id: int, action: str, body: dict[str, Any], principal: Principal
    ) -> dict[str, Any]:
        return acting.act(self.runtime, self.s.task_actions, task_id, action, body, principal)

    def reassign(self, body: dict[str, Any], principal: Principal) -> dict[str, int]:
        return reassigning.reassign(self.runtime, body, principal)

    def task(self, task_id: int, principal: Principal, with_record: bool = True) -> dict[str, Any]:
        return task_reads.task(self.runtime, task_id, principal, with_record)

    def inbox(
        self, principal: Principal, box: str, filters: dict[str, Any], limit: int, offset: int
    ) -> dict[str, Any]:
        """A page of one of the caller's boxes (``process.inbox.page``)."""
        inbox.check_box(box)
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return inbox.page(uow, principal.user_id, box, filters, limit, offset)

    def counts(self, principal: Principal) -> dict[str, int]:
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return inbox.counts(uow, principal.user_id)
