"""A visitor's submission to a published form.

It is refused, creating nothing, when it is too large, comes too often from one address, lacks
a solved challenge, comes too soon after the challenge was issued, or reuses a spent one;
otherwise it becomes a record created through the normal write path (``ports.RecordWrites``)
as the publication's owner, with the form's linkage rules enforced, so history, rules,
processes and the outbox see it as any record. The spent challenge is marked in the same
transaction as the record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.auth.form_proofs import Challenge, proof_ok, read_challenge
from cairn.auth.throttle import locked_until, record_failure
from cairn.core import (
    Clock,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Settings,
    TooLarge,
    TooManyRequests,
)
from cairn.forms.ports import RecordWrites, Transactions, Work
from cairn.forms.public_page import Published, carried, published
from cairn.meta.public_forms import CHALLENGE_SECONDS
from cairn.store import public_forms as store

BODY_KEYS = frozenset({"values", "challenge", "proof", "prefill"})


class Submissions:
    """Submissions to the published forms: checked, throttled per address (the limits are
    ``settings``' ``public_form_submissions`` per ``public_form_window_minutes``), written."""

    def __init__(
        self, tx: Transactions, writes: RecordWrites, clock: Clock, settings: Settings
    ) -> None:
        self.tx = tx
        self.writes = writes
        self.clock = clock
        self.settings = settings

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def submit(self, token: str, body: bytes, address: str | None) -> dict[str, Any]:
        """A visitor's submission (the raw request body): checked, then created as a record of
        the publication's owner. The reply has the thank-you texts and nothing else."""
        now = self._now()
        with self.tx.unit(write=False) as work:
            row = published(work, token, address).row
        self._throttle(address)
        if len(body) > row.max_bytes:
            raise TooLarge("public_form.too_large", size=len(body), max=row.max_bytes)
        data = _parse(body)
        challenge = read_challenge(row.secret, row.id, data["challenge"], now, CHALLENGE_SECONDS)
        if not proof_ok(challenge, data["proof"]):
            raise Invalid.on("proof", "public_form.bad_proof")
        if now.timestamp() - challenge.issued < row.min_fill_seconds:
            raise Invalid("public_form.too_fast", seconds=row.min_fill_seconds)
        with self.tx.unit(write=False) as work:
            if store.proof_spent(work.conn, challenge.id):
                raise Conflict("public_form.repeated")
            p = published(work, token, address)
            brought = carried(p.row, p.offering, data.get("prefill"), now)
            values = _values(p, data["values"], brought)
        off = p.offering
        assert off.owner is not None
        try:
            self.writes.create(
                p.schema.app.key,
                p.schema.table.key,
                values,
                principal=off.owner,
                form=off.form,
                event_meta={"public_form": p.row.id},
                before_commit=lambda work: _spend(work, p.row, challenge),
            )
        except (Forbidden, NotFound):
            # The owner may no longer write here (or the table went): nothing to tell.
            raise NotFound("public_form.closed") from None
        return {"received": True, "thank_you": p.row.thank_you}

    def _throttle(self, address: str | None) -> None:
        """Count a submission from ``address``; refused (429) once there were too many."""
        if not address:
            return
        key = "pf:" + address[:180]
        now = self._now().replace(tzinfo=None)
        window = timedelta(minutes=self.settings.public_form_window_minutes)
        for attempt in (1, 2):
            try:
                with self.tx.unit() as work:
                    until = locked_until(work.conn, [key], now)
                    if until is None:
                        limit = self.settings.public_form_submissions
                        record_failure(work.conn, [(key, 1)], now, limit, window)
                break
            except sa.exc.IntegrityError:
                if attempt == 2:  # a first count from this address made at the same time
                    raise
        if until is not None:
            seconds = max(1, int((until - now).total_seconds()))
            raise TooManyRequests(
                "public_form.rate_limited", retry_after=seconds, minutes=-(-seconds // 60)
            )


def _values(p: Published, raw: Any, brought: dict[str, Any]) -> dict[str, Any]:
    """The record to create: what the visitor typed in the offered fields, under what a signed
    link carries (not theirs to change)."""
    if not isinstance(raw, dict):
        raise Invalid.on("values", "invalid.object")
    offered = {f.key for f in p.offering.fields}
    for key in raw:
        if key not in offered:
            raise Invalid.on(str(key)[:100], "public_form.field_not_offered", key=str(key)[:100])
    return {**{k: v for k, v in raw.items() if k not in brought}, **brought}


def _spend(work: Work, row: Any, challenge: Challenge) -> None:
    """In the record's transaction: the challenge is used, once (a rival that spent it first
    makes this whole submission fail, creating nothing)."""
    expires = datetime.fromtimestamp(challenge.issued + CHALLENGE_SECONDS, UTC)
    store.purge_proofs(work.conn, work.now)
    if not store.spend_proof(work.conn, challenge.id, row.id, expires.replace(tzinfo=None)):
        raise Conflict("public_form.repeated")


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("invalid.json") from None
    if (
        not isinstance(data, dict)
        or set(data) - BODY_KEYS
        or not {"values", "challenge", "proof"} <= set(data)
    ):
        raise Invalid.on("body", "public_form.body_shape")
    if data.get("prefill") is not None and not isinstance(data["prefill"], str):
        raise Invalid.on("prefill", "public_form.prefill_bad")
    return data
