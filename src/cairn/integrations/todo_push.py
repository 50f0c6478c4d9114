"""Process tasks as WeCom / DingTalk to-dos: a task opened for someone with an id on a work
platform whose channel config has ``push_tasks`` on becomes a DingTalk to-do (待办) or a
WeCom task card there; when the task is completed, cancelled or given to someone else in
Cairn, it is closed there (the to-do marked done, the card's button turned to 已处理).

How: the process engine emits ``process.tasks`` after each change of an instance (and the
administrators' reassign after theirs); this outbox handler compares the instance's open
tasks with what was pushed (``task_pushes``) and pushes or closes the difference. The
comparison makes it idempotent (an event seen twice finds nothing left to do); a push is
claimed with a row before the platform is called, so two workers never push one task twice.
A periodic scan (``sync(None)``) catches what no event announced (an escalation that moved a
task, a user given a platform id later). Each push and close is recorded as a delivery.

A platform failure worth retrying (time-out, 5xx, busy) raises, so the outbox hands the event
back later; a final one (unknown user, bad settings) is recorded on the push and not retried.
Transactions and the stored configs come through ``ports.py``; ``services`` wires it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from cairn.integrations.channels import (
    ChannelConfig,
    ChannelError,
    ChannelRegistry,
    TaskItem,
    WorkPlatform,
)
from cairn.integrations.ports import ChannelConfigs, Transactions
from cairn.integrations.recipients import delivery_key
from cairn.store import deliveries as dstore
from cairn.store import im
from cairn.store import notifications as configs_store
from cairn.store.outbox import OutboxEvent

log = logging.getLogger(__name__)

#: The event the process engine emits after changing an instance (its tasks may have moved).
EVENT = "process.tasks"


class TaskPushes:
    """The outbox handler (``Services.event_handlers``) and the periodic scan."""

    name = "im_tasks"

    def __init__(
        self, channels: ChannelRegistry, transactions: Transactions, configs: ChannelConfigs
    ) -> None:
        self.channels = channels
        self.tx = transactions
        self.stored = configs

    # -- outbox handler -----------------------------------------------------------------------
    def wants(self, event: OutboxEvent) -> bool:
        return event.type == EVENT

    def handle(self, event: OutboxEvent) -> None:
        self.sync([int(event.payload["instance_id"])])

    def handle_batch(self, events: Sequence[OutboxEvent]) -> dict[int, Exception]:
        """One comparison for the batch's instances; a retryable failure hands every event of
        the batch back (the comparison then finds only what is left)."""
        ids = sorted({int(e.payload["instance_id"]) for e in events})
        try:
            self.sync(ids)
        except ChannelError as e:
            return {ev.id: e for ev in events}
        return {}

    # -- the comparison ----------------------------------------------------------------------------
    def configs(self) -> list[tuple[WorkPlatform, ChannelConfig]]:
        """The enabled WeCom / DingTalk application configs that push tasks."""
        out = []
        with self.tx.unit(write=False) as work:
            for row in configs_store.list_configs(work.conn):
                ch = self.channels.get(row["kind"]) if row["kind"] in self.channels else None
                if not isinstance(ch, WorkPlatform) or not row["enabled"]:
                    continue
                if not (row["settings"] or {}).get("push_tasks"):
                    continue
                config = self.stored.load(work.conn, row["key"])
                if config is not None:
                    out.append((ch, config))
        return out

    def sync(self, instance_ids: Sequence[int] | None = None) -> dict[str, int]:
        """Push the open tasks not pushed yet and close the pushes of tasks no longer open
        for their user (of these instances; None: all). Counts; raises the first retryable
        failure after doing all the rest."""
        counts = {"pushed": 0, "closed": 0, "failed": 0}
        retry: ChannelError | None = None
        for ch, config in self.configs():
            with self.tx.unit(write=False) as work:
                todo = im.tasks_to_push(work.conn, config.key, ch.user_column, instance_ids)
                stale = im.pushes_to_close(work.conn, config.key, ch.user_column, instance_ids)
            outcomes = [self._close(ch, config, r) for r in stale]
            outcomes += [self._push(ch, config, r) for r in todo]
            for outcome in outcomes:
                if isinstance(outcome, ChannelError):
                    retry = retry or outcome
                else:
                    counts[outcome] += 1
        if retry is not None:
            raise retry
        return counts

    # -- one push, one close -------------------------------------------------------------------------
    def _record(self, config: ChannelConfig, row: Any, what: str, error: str | None) -> None:
        """The push or close on the deliveries page (kind ``todo``: the task sync, not the
        delivery retrier, tries it again)."""
        key = delivery_key(f"task:{row.task_id}:{what}", config.key, f"user:{row.user_id}")
        with self.tx.unit() as work:
            delivery_id, _ = dstore.start(
                work.conn,
                work.now,
                channel=config.key,
                kind="todo",
                recipient=f"user:{row.user_id}",
                subject=f"task {row.task_id}: {what}",
                payload={"task_id": row.task_id, "action": what},
                idempotency_key=key,
            )
            dstore.record(
                work.conn,
                delivery_id,
                work.now,
                status=dstore.SENT if error is None else dstore.DEAD,
                error=error,
                response=None,
                ms=0,
            )

    def _push(self, ch: WorkPlatform, config: ChannelConfig, t: Any) -> str | ChannelError:
        with self.tx.unit() as work:
            push_id = im.claim_push(
                work.conn, work.now, task_id=t.id, channel=config.key, user_id=t.user_id
            )
        if push_id is None:
            return "pushed"  # another worker has it
        item = TaskItem(
            task_id=t.id,
            title=t.step_name,
            description=t.record_title or "",
            link=f"/tasks/{t.id}",
            due_at=t.due_at,
        )
        row = _Ref(t.id, t.user_id)
        try:
            pushed = ch.push_task(config, t.userid, t.dingtalk_unionid, item)
        except ChannelError as e:
            with self.tx.unit() as work:
                if e.retryable:
                    im.drop_push(work.conn, push_id)
                else:
                    im.set_push(work.conn, push_id, work.now, state="failed", error=str(e)[:2000])
            self._record(config, row, "open", str(e))
            log.warning("task %s: push to %s failed: %s", t.id, config.key, e)
            return e if e.retryable else "failed"
        address = pushed.unionid or t.userid
        with self.tx.unit() as work:
            im.set_push(
                work.conn,
                push_id,
                work.now,
                state="open",
                remote_id=pushed.remote_id,
                address=address,
                error=None,
            )
            if pushed.unionid and pushed.unionid != t.dingtalk_unionid:
                im.keep_unionid(work.conn, t.user_id, pushed.unionid)
        self._record(config, row, "open", None)
        return "pushed"

    def _close(self, ch: WorkPlatform, config: ChannelConfig, p: Any) -> str | ChannelError:
        userid = p.userid or p.address or ""
        unionid = p.address if ch.user_column == "dingtalk_userid" else None
        try:
            ch.close_task(config, userid, unionid, p.remote_id or "")
            state, error = "closed", None
        except ChannelError as e:
            if e.retryable:
                self._record(config, p, "close", str(e))
                return e
            # Gone there already (deleted by its user): nothing is left to close.
            gone = getattr(e, "status_code", None) == 404
            state, error = ("closed", None) if gone else ("failed", str(e)[:2000])
        with self.tx.unit() as work:
            im.set_push(work.conn, p.id, work.now, state=state, error=error)
        self._record(config, p, "close", error)
        return "closed" if state == "closed" else "failed"


class _Ref(NamedTuple):
    """A push as ``_record`` names it: task and user."""

    task_id: int
    user_id: int
