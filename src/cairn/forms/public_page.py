"""The public side of a published form: the publication at an address, and what its page
needs.

Nothing else of the app is reachable from here: a visitor is nobody (no session, no token);
the page gets the form's offered fields, its layout and linkage, the values it starts with
(defaults, a signed link's values) and a proof-of-work challenge. A visitor's submission is
``submissions.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.auth.form_proofs import issue_challenge, read_prefill
from cairn.core import Invalid, NotFound
from cairn.forms.offering import Offering, offering
from cairn.forms.ports import Work
from cairn.forms.runtime import compiled, env_json, environment, start_values
from cairn.meta.public_forms import CHALLENGE_SECONDS, public_field
from cairn.store import TableSchema
from cairn.store import public_forms as store


@dataclass(frozen=True)
class Published:
    row: Any
    schema: TableSchema
    offering: Offering


def published(work: Work, token: str, address: str | None = None) -> Published:
    """The enabled publication at ``token``, its table and what it offers (its owner acting
    from ``address``); the same "not found" for an unknown token and a disabled one."""
    row = store.by_token(work.conn, token) if 0 < len(token) <= 64 else None
    if row is None or not row.enabled:
        raise NotFound("public_form.not_found")
    s = work.catalog.schemas.get(row.table_id)  # live tables of live apps only
    if s is None:
        raise NotFound("public_form.not_found")
    off = offering(work, s, row, address)
    if off.owner is None or not off.fields:
        raise NotFound("public_form.closed")
    return Published(row, s, off)


def carried(row: Any, off: Offering, token: str | None, now: datetime) -> dict[str, Any]:
    """The values a signed link carries, by field key (checked: signature, expiry, and that
    the publication still lets links fill those fields in)."""
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


def page(work: Work, token: str, prefill: str | None, now: datetime) -> dict[str, Any]:
    """What the public page shows: the form's title, its fields (labels, types, options,
    required), layout and linkage, the values it starts with (what a signed link carries is
    ``locked``), a fresh proof-of-work challenge and the thank-you texts."""
    p = published(work, token)
    row, s, off = p.row, p.schema, p.offering
    brought = carried(row, off, prefill, now)
    assert off.owner is not None
    view = work.viewed_as(off.owner)
    form = compiled(view, s, row.form_key)
    env = environment(view, form)
    shown = {f.key for f in off.fields}
    start = start_values(s, form, env, brought)
    wanted = shown | set(form.kinds) | set(brought)
    challenge = issue_challenge(row.secret, row.id, row.difficulty, now)
    return {
        "title": off.title,
        "fields": [public_field(f) for f in off.fields],
        "layout": off.layout,
        "linkage": _linkage(form.browser(), shown | set(form.kinds)),
        "env": env_json(env),
        "values": {k: v for k, v in start.items() if k in wanted},
        "locked": sorted(brought),
        "challenge": {
            "token": challenge.token,
            "difficulty": challenge.difficulty,
            "min_seconds": row.min_fill_seconds,
            "expires_in": CHALLENGE_SECONDS,
        },
        "thank_you": row.thank_you,
        "max_bytes": row.max_bytes,
    }


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
