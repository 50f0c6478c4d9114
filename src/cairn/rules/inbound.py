"""The inbound webhook of a webhook rule: a JSON delivery creates or updates a record (as the
rule's owner) and fires the rule on it."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from cairn.auth.secrets import same
from cairn.core import Event, Invalid, NotFound
from cairn.rules import runlog
from cairn.rules.compiled import Compiled
from cairn.rules.ports import Work
from cairn.rules.triggers import InboundWebhook
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine


def hooked(work: Work, rule_id: int, secret: str) -> Any:
    """The enabled webhook rule ``rule_id`` whose secret is ``secret`` (compared in constant
    time); a wrong secret or rule: ``NotFound``, nothing told."""
    row = store.get(work.conn, None, rule_id)
    ok = row is not None and row["secret"] and row["enabled"]
    if not same(secret, row["secret"] if ok else "x" * 32) or not ok:
        raise NotFound("rule.not_found", id=rule_id)
    return row


def receive(engine: RuleEngine, c: Compiled, body: Any) -> dict[str, Any]:
    """The record ``body`` makes (or updates, when the trigger's ``match`` field finds one),
    with a ``rule.fired`` event in the same transaction: the rule runs on it."""
    spec = c.spec.trigger
    assert spec.type == "webhook"
    if not isinstance(body, dict):
        raise Invalid.on("body", "filter.shape")
    values = InboundWebhook.extract(spec, body)
    owner = engine.owner(c)
    app, table = c.info["app"], c.info["table"]
    run_key = f"hook:{secrets.token_hex(12)}"
    record_id: int | None = None
    if spec.match is not None and values.get(spec.match) not in (None, ""):
        found = engine.runtime.find_record(app, table, spec.match, values[spec.match], owner)
        if found is not None:
            record_id = found["id"]
            values = {**values, "id": record_id, "version": found["version"]}

    def fire(work: Work) -> None:
        rid = record_id if record_id is not None else work.events[0].record_id
        work.emit(
            Event(
                runlog.FIRED,
                c.schema.app.id,
                c.schema.id,
                rid,
                {"rule_id": c.id, "run_key": run_key, "trigger": "webhook"},
            )
        )

    # a write as the owner whose events carry the rule (depth 0); with an id: an update
    rid = engine.ports(c, owner, 0).create_record(app, table, values, fire)
    return {"record_id": rid, "created": record_id is None}
