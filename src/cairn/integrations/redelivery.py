"""Sending a recorded delivery again, from what it kept (``payload``) and with the same
idempotency key: the worker's retries when one is due (``retry_due``) and an administrator's
replay (``replay``: any status, one more attempt each time, recorded with who asked; of one
stored delivery, ``replay_stored``, or of every failed one of a channel or rule,
``replay_failed``). A WeCom / DingTalk to-do (kind ``todo``) is not replayed here: the task
sync (``todo_push``) pushes it again.

The recipient is resolved again from the label the caller gave ("user:12" → the user's e-mail
address now), the channel's settings and secrets are read from its config as they are now."""

from __future__ import annotations

from typing import Any

from cairn.core import Conflict, NotFound
from cairn.integrations.channels import ChannelConfig, ChannelError, ChannelMessage, InAppChannel
from cairn.integrations.outbound import Attempt
from cairn.integrations.recipients import Target, resolve
from cairn.integrations.sending import Sender
from cairn.store import deliveries as dstore

#: Replaying every failed delivery takes their ids this many at a time.
REPLAY_BATCH = 200


def replay(sender: Sender, row: Any, replay_by: int | None = None) -> Attempt:
    """One more attempt of the delivery ``row`` now, whatever its status."""
    kind = row["channel"].partition(":")[0]
    if kind not in sender.channels or isinstance(sender.channels.get(kind), InAppChannel):
        return gone(sender, row, replay_by)
    ch = sender.channel(row["channel"])
    payload = dict(row["payload"] or {})
    with sender.tx.unit(write=False) as work:
        config = sender.config(work.conn, ch, row["channel"])
        if ch.recipient_kind:
            target = resolve(work.conn, ch.recipient_kind, row["channel"], row["recipient"])
        elif ch.key == "webhook":
            url = payload.get("url") or (config.settings.get("url") if config else None) or ""
            target = Target(row["recipient"], str(url))
        else:  # a robot: its group, the recipients @mentioned as first resolved
            target = Target(
                row["channel"], row["channel"], mentions=tuple(payload.get("mentions") or ())
            )
    problem = sender.unusable(ch, config, row["channel"], row["recipient"]) or target.error
    cm = ChannelMessage(
        recipient=target.address,
        subject=payload.get("subject") or "",
        body=payload.get("body") or "",
        link=payload.get("link"),
        data=payload.get("data") or {},
        url=payload.get("url"),
        idempotency_key=row["idempotency_key"] or f"delivery:{row['id']}",
        mentions=target.mentions,
    )
    usable = config or ChannelConfig(row["channel"], ch.key)
    return sender.attempt(ch, usable, cm, row["id"], problem, replay_by)


def gone(sender: Sender, row: Any, replay_by: int | None) -> Attempt:
    """A delivery whose kind of channel this installation no longer has: dead, recorded."""
    error = ChannelError("this kind of channel is not installed", False, channel=row["channel"])
    with sender.tx.unit() as work:
        dstore.record(
            work.conn,
            row["id"],
            work.now,
            status=dstore.DEAD,
            error=str(error),
            response=None,
            ms=0,
            replay_by=replay_by,
        )
    return Attempt(row["id"], dstore.DEAD, error=error)


def retry_due(sender: Sender, limit: int = 100) -> dict[str, int]:
    """The retries that are due, each taken under a lease (two workers never send the same
    one at once): how many were tried, sent, and are retrying or dead after it."""
    with sender.tx.unit(write=False) as work:
        rows = dstore.due(work.conn, work.now, limit)
    out = {"tried": 0, dstore.SENT: 0, dstore.RETRYING: 0, dstore.DEAD: 0}
    for row in rows:
        with sender.tx.unit() as work:
            if not dstore.claim(work.conn, row, work.now, work.now + sender.policy.lease):
                continue
        done = replay(sender, row)
        out["tried"] += 1
        out[done.status] += 1
    return out


def replay_stored(sender: Sender, delivery_id: int, replay_by: int | None) -> tuple[Any, Attempt]:
    """One more attempt of the stored delivery ``delivery_id`` now (``replay``): the row as
    it was before and the attempt. ``NotFound``; ``Conflict`` for a to-do."""
    with sender.tx.unit(write=False) as work:
        row = dstore.get(work.conn, delivery_id)
    if row is None:
        raise NotFound("delivery.not_found", id=delivery_id)
    if row["kind"] == "todo":
        raise Conflict("delivery.todo_replay")
    return row, replay(sender, row, replay_by)


def replay_failed(
    sender: Sender, channel: str | None, rule_id: int | None, replay_by: int | None
) -> dict[str, int]:
    """Replay every ``retrying`` or ``dead`` delivery of ``channel`` and/or ``rule_id``: how
    many were replayed, sent and failed again. Only what failed before the replay began: a
    replay that fails again is not taken a second time."""
    f = dstore.Filter(status=dstore.FAILED, channel=channel, rule_id=rule_id)
    with sender.tx.unit(write=False) as work:
        todo: list[int] = []
        after = 0
        while batch := dstore.ids(work.conn, f, after=after, limit=REPLAY_BATCH):
            todo.extend(batch)
            after = batch[-1]
    out = {"replayed": 0, "sent": 0, "failed": 0}
    for delivery_id in todo:
        with sender.tx.unit(write=False) as work:
            row = dstore.get(work.conn, delivery_id)
        if row is None or row["status"] not in dstore.FAILED or row["kind"] == "todo":
            continue  # sent meanwhile (a worker's retry)
        done = replay(sender, row, replay_by)
        out["replayed"] += 1
        out["sent" if done.status == dstore.SENT else "failed"] += 1
    return out
