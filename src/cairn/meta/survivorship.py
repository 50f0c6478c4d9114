"""The survivorship option of a field (One-ID merges): which record's value the merged record
keeps. Stored in the field's options as ``survivorship``::

    {"rule": "master" | "recent" | "complete" | "source",
     "source_field": "<field key>",      # "source" only: the field naming a record's source
     "order": ["DMS", "WMS", ...]}       # "source" only: preferred sources, best first

- ``master`` (the default, also when the option is absent): the survivor's value; a blank
  one is filled from the loser;
- ``recent``: the value of the record updated last;
- ``complete``: the value of the record with more fields filled in;
- ``source``: the value of the record whose source (``source_field``) comes first in ``order``.

Every rule falls back to the other record's value when the winner's is blank, and list values
(multiple choices, attachments) are united whatever the rule. The rules themselves are applied
by ``cairn.identity.survivorship``; this module only checks the option's shape (the field it
names is checked against the table by ``services.fields``)."""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid

RULES = ("master", "recent", "complete", "source")
DEFAULT_RULE = "master"
MAX_ORDER = 50
LOC = "options.survivorship"


def check_survivorship(raw: Any) -> dict[str, Any] | None:
    """The option as stored (None: the default rule, stored as no option), or ``Invalid``
    naming the part at fault."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"rule", "source_field", "order"}:
        raise Invalid.on(LOC, "merge.survivorship_shape")
    rule = raw.get("rule", DEFAULT_RULE)
    if rule not in RULES:
        raise Invalid.on(f"{LOC}.rule", "merge.survivorship_rule", rules=", ".join(RULES))
    if rule != "source":
        if raw.get("source_field") is not None or raw.get("order"):
            raise Invalid.on(f"{LOC}.rule", "merge.survivorship_source_only")
        return None if rule == DEFAULT_RULE else {"rule": rule}
    source, order = raw.get("source_field"), raw.get("order")
    if not isinstance(source, str) or not source.strip():
        raise Invalid.on(f"{LOC}.source_field", "field.required")
    if (
        not isinstance(order, list)
        or not order
        or len(order) > MAX_ORDER
        or not all(isinstance(v, str) and v.strip() and len(v) <= 200 for v in order)
        or len({v.strip() for v in order}) != len(order)
    ):
        raise Invalid.on(f"{LOC}.order", "merge.survivorship_order", max=MAX_ORDER)
    return {"rule": "source", "source_field": source.strip(), "order": [v.strip() for v in order]}


def rule_of(options: dict[str, Any]) -> dict[str, Any]:
    """A field's survivorship as a dict with ``rule`` always set."""
    sv = options.get("survivorship")
    return dict(sv) if isinstance(sv, dict) and sv.get("rule") in RULES else {"rule": DEFAULT_RULE}
