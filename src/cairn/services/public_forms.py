"""The public side of a published form: what its page needs, and a visitor's submission.

Nothing else of the app is reachable from here: a visitor is nobody (no session, no token);
the page gets the form's offered fields, its layout and linkage, the values it starts with
(defaults, a signed link's values) and a proof-of-work challenge. A submission is refused,
creating nothing, when it is too large, comes too often from one address, lacks a solved
challenge, comes too soon after the challenge was issued, or reuses a spent one; otherwise
it becomes a record created through the normal write path as the publication's owner, with
the form's linkage rules enforced, so history, rules, processes and the outbox see it as any
record. The spent challenge is marked in the same transaction as the record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth.form_proofs import (
    Challenge,
    issue_challenge,
    proof_ok,
    read_challenge,
    read_prefill,
)
from cairn.auth.throttle import locked_until, record_failure
from cairn.core import Conflict, Forbidden, Invalid, NotFound, TooLarge, TooManyRequests
from cairn.meta.form_runtime import run
from cairn.meta.public_forms import CHALLENGE_SECONDS, public_field
from cairn.services.form_publications import Offering, PublicationService
from cairn.services.forms import env_json
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import public_forms as store

if TYPE_CHECKING:
    from cairn.services.context import Services

BODY_KEYS = frozenset({"values", "challenge", "proof", "prefill"})


@dataclass(frozen=True)
class _Published:
    row: Any
    schema: TableSchema
    offering: Offering


class PublicFormService:
    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def _publications(self) -> PublicationService:
        return self.s.form_publications

    def _now(self) -> datetime:
        return self.s.clock.now().astimezone(UTC)

    def _published(self, uow: UnitOfWork, token: str, address: str | None = None) -> _Published:
        """The enabled publication at ``token``, its table and what it offers; the same
        "not found" for an unknown token and a disabled one."""
        row = store.by_token(uow.conn, token) if 0 < len(token) <= 64 else None
        if row is None or not row.enabled:
            raise NotFound("public_form.not_found")
        s = uow.catalog.schemas.get(row.table_id)  # live tables of live apps only
        if s is None:
            raise NotFound("public_form.not_found")
        off = self._publications.offering(uow, s, row, address)
        if off.owner is None or not off.fields:
            raise NotFound("public_form.closed")
        return _Published(row, s, off)

    # -- the page ---------------------------------------------------------------------------
    def read(self, token: str, prefill: str | None = None) -> dict[str, Any]:
        """What the public page shows: the form's title, its fields (labels, types, options,
        required), layout and linkage, the values it starts with (what a signed link carries
        is ``locked``), a fresh proof-of-work challenge and the thank-you texts."""
        now = self._now()
        with unit_of_work(self.s, write=False) as uow:
            p = self._published(uow, token)
            row, s, off = p.row, p.schema, p.offering
            carried = self._prefill(row, off, prefill, now)
            assert off.owner is not None
            view = uow.viewed_as(off.owner)
            forms = self.s.forms
            compiled = forms.compiled(view, s, row.form_key)
            env = forms.environment(view, compiled)
            shown = {f.key for f in off.fields}
            start: dict[str, Any] = {}
            for f in s.fields:
                if f.default is not None and s.types[f.id].writable:
                    start[f.key] = f.default
            start.update(carried)
            start.update(forms.formula_defaults(s, env, start))
            if compiled.rules:
                state = run(compiled, start, env)
                start.update({k: state.values[k] for k in state.set_by})
            wanted = shown | set(compiled.kinds) | set(carried)
            challenge = issue_challenge(row.secret, row.id, row.difficulty, now)
            return {
                "title": off.title,
                "fields": [public_field(f) for f in off.fields],
                "layout": off.layout,
                "linkage": _linkage(compiled.browser(), shown | set(compiled.kinds)),
                "env": env_json(env),
                "values": {k: v for k, v in start.items() if k in wanted},
                "locked": sorted(carried),
                "challenge": {
                    "token": challenge.token,
                    "difficulty": challenge.difficulty,
                    "min_seconds": row.min_fill_seconds,
                    "expires_in": CHALLENGE_SECONDS,
                },
                "thank_you": row.thank_you,
                "max_bytes": row.max_bytes,
            }

    def _prefill(self, row: Any, off: Offering, token: str | None, now: datetime) -> dict[str, Any]:
        """The values a signed link carries, by field key (checked: signature, expiry, and
        that the publication still lets links fill those fields in)."""
        if not token:
            return {}
        values = read_prefill(row.secret, token, now)
        out: dict[str, Any] = {}
        for fid, value in values.items():
            f = off.prefill.get(fid)
            if f is None:
                raise Invalid.on("prefill", "public_form.prefill_unknown", key=str(fid))
            out[f.key] = value
        return out

    # -- a submission -------------------------------------------------------------------------
    def submit(self, token: str, body: bytes, address: str | None) -> dict[str, Any]:
        """A visitor's submission (the raw request body): checked, then created as a record
        of the publication's owner. The reply has the thank-you texts and nothing else."""
        now = self._now()
        with unit_of_work(self.s, write=False) as uow:
            row = self._published(uow, token, address).row
        self._throttle(address)
        if len(body) > row.max_bytes:
            raise TooLarge("public_form.too_large", size=len(body), max=row.max_bytes)
        data = _parse(body)
        challenge = read_challenge(row.secret, row.id, data["challenge"], now, CHALLENGE_SECONDS)
        if not proof_ok(challenge, data["proof"]):
            raise Invalid.on("proof", "public_form.bad_proof")
        if now.timestamp() - challenge.issued < row.min_fill_seconds:
            raise Invalid("public_form.too_fast", seconds=row.min_fill_seconds)
        with unit_of_work(self.s, write=False) as uow:
            if store.proof_spent(uow.conn, challenge.id):
                raise Conflict("public_form.repeated")
            p = self._published(uow, token, address)
            carried = self._prefill(p.row, p.offering, data.get("prefill"), now)
            values = self._values(p, data["values"], carried)
        off = p.offering
        assert off.owner is not None
        try:
            self.s.records.bulk(
                p.schema.app.key,
                p.schema.table.key,
                [values],
                single=True,
                return_items=False,
                principal=off.owner,
                form=off.form,
                event_meta={"public_form": p.row.id},
                before_commit=lambda uow: self._spend(uow, p.row, challenge),
            )
        except (Forbidden, NotFound):
            # The owner may no longer write here (or the table went): nothing to tell.
            raise NotFound("public_form.closed") from None
        return {"received": True, "thank_you": p.row.thank_you}

    def _throttle(self, address: str | None) -> None:
        """Count a submission from ``address``; refused (429) once there were too many."""
        if not address:
            return
        settings = self.s.settings
        key = "pf:" + address[:180]
        now = self._now().replace(tzinfo=None)
        window = timedelta(minutes=settings.public_form_window_minutes)
        for attempt in (1, 2):
            try:
                with unit_of_work(self.s) as uow:
                    until = locked_until(uow.conn, [key], now)
                    if until is None:
                        limit = settings.public_form_submissions
                        record_failure(uow.conn, [(key, 1)], now, limit, window)
                break
            except sa.exc.IntegrityError:
                if attempt == 2:  # a first count from this address made at the same time
                    raise
        if until is not None:
            seconds = max(1, int((until - now).total_seconds()))
            raise TooManyRequests(
                "public_form.rate_limited", retry_after=seconds, minutes=-(-seconds // 60)
            )

    @staticmethod
    def _values(p: _Published, raw: Any, carried: dict[str, Any]) -> dict[str, Any]:
        """The record to create: what the visitor typed in the offered fields, under what a
        signed link carries (not theirs to change)."""
        if not isinstance(raw, dict):
            raise Invalid.on("values", "invalid.object")
        offered = {f.key for f in p.offering.fields}
        for key in raw:
            if key not in offered:
                raise Invalid.on(
                    str(key)[:100], "public_form.field_not_offered", key=str(key)[:100]
                )
        return {**{k: v for k, v in raw.items() if k not in carried}, **carried}

    def _spend(self, uow: UnitOfWork, row: Any, challenge: Challenge) -> None:
        """In the record's transaction: the challenge is used, once (a rival that spent it
        first makes this whole submission fail, creating nothing)."""
        expires = datetime.fromtimestamp(challenge.issued + CHALLENGE_SECONDS, UTC)
        store.purge_proofs(uow.conn, uow.now)
        if not store.spend_proof(uow.conn, challenge.id, row.id, expires.replace(tzinfo=None)):
            raise Conflict("public_form.repeated")


def _linkage(linkage: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The form's rules as the browser runs them, naming no field the page neither shows nor
    reads: the fields a section holds, a rule shows, hides, requires or locks are cut down to
    those (the conditions and set values read only fields the rules need)."""
    linkage["sections"] = {k: [f for f in v if f in known] for k, v in linkage["sections"].items()}
    linkage["show_fields"] = [f for f in linkage["show_fields"] if f in known]
    for rule in linkage["rules"]:
        for action in rule["actions"]:
            if "fields" in action:
                action["fields"] = [f for f in action["fields"] if f in known]
    return linkage


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
