"""A notification's recipients: each ``to`` entry checked when a rule is saved, and resolved
over the record when it runs (``field:<key>``, ``owner``, ``manager:owner``, ``role:<key>``,
``user:<id>``, an e-mail address, a phone number)."""

from __future__ import annotations

import re
from typing import Any

from cairn.core import Invalid
from cairn.rules.action_base import ActionCheck, RunContext
from cairn.rules.ports import RecipientPorts

#: Field types a ``field:<key>`` recipient may name (a user, an address, a looked-up one).
RECIPIENT_FIELDS = frozenset({"user", "email", "phone", "lookup"})
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,30}$")


def check_recipient(c: ActionCheck, r: str, loc: str) -> None:
    """One ``to`` entry of a notification: ``user:<id or username>``, ``role:<key>``,
    ``field:<key>`` (a user, e-mail or phone field), ``owner``, ``manager:owner``, an e-mail
    address or a phone number. Users and roles are looked up when the rule is saved."""
    r = r.strip()
    kind, sep, value = r.partition(":")
    if r in ("owner", "manager:owner"):
        return
    if sep and kind == "field":
        f = c.schema.by_key.get(value)
        if f is None:
            raise Invalid.on(loc, "field.unknown", key=value)
        if f.type not in RECIPIENT_FIELDS:
            raise Invalid.on(loc, "rule.recipient_field", field=value)
        return
    if sep and kind == "user":
        if c.saving is not None and not c.saving.user_exists(value.strip()):
            raise Invalid.on(loc, "rule.recipient_user", user=value)
        return
    if sep and kind == "role":
        if c.saving is not None and not c.saving.role_exists(value.strip()):
            raise Invalid.on(loc, "rule.recipient_role", role=value)
        return
    if "@" in r and " " not in r and not r.startswith("@"):
        return
    if _PHONE.match(r):
        return
    raise Invalid.on(loc, "rule.recipient", recipient=r)


def recipients(
    c: RunContext, to: list[str], types: dict[str, str], ports: RecipientPorts | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """``to`` resolved over the record: ``field:<key>``, ``owner``, ``manager:owner`` and
    (with ``ports``) ``role:<key>`` become ``user:<id>``, e-mail addresses and phone numbers;
    anything else stays as given. Also, per entry, what it resolved to (what a dry run
    shows: an empty list says why no one gets the message)."""
    out: list[str] = []
    sources: list[dict[str, Any]] = []

    def add(item: Any, user: bool, found: list[str]) -> None:
        if item is None or item == "" or item == []:
            return
        if isinstance(item, list):
            for x in item:
                add(x, user, found)
            return
        if isinstance(item, dict):
            item = item.get("id", item.get("value"))
        text = f"user:{item}" if user else str(item)
        found.append(text)
        if text not in out:
            out.append(text)

    for r in to:
        found: list[str] = []
        if r == "owner":
            add(c.record.get("owner_id"), True, found)
        elif r == "manager:owner":
            owner = c.record.get("owner_id")
            if isinstance(owner, dict):  # a user as the API shows one
                owner = owner.get("id")
            if ports is not None and str(owner).isdecimal():
                add(ports.manager_of(int(str(owner))), True, found)
        elif r.startswith("field:"):
            k = r[6:]
            add(c.record.get(k), types.get(k) == "user", found)
        elif r.startswith("role:") and ports is not None:
            add(ports.role_members(r[5:].strip()), True, found)
        else:
            add(r, False, found)
        sources.append({"to": r, "resolved": found})
    return out, sources
