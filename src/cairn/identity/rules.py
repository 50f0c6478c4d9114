"""Match rules: what makes two records of a table one customer.

A rule is ``exact`` (one part: a key field equal, e.g. the mobile, or the VIN of the linked
vehicle) or ``combo`` (every part compared: exact parts must be equal, fuzzy parts score by
string similarity, e.g. name + company + city). A part names a field of the table, or with
``via`` a relation field of the table and ``field`` a field of the related table (the VIN
*through* the vehicle). ``threshold`` (0–100) is the least score a pair needs; ``action``
says what happens to a pair: ``suggest`` (the review queue) or ``auto_merge``.

Rules are stored with field ids (``identity_rules.parts``) and spoken with field keys (the
API); ``check_rule`` turns a spec with keys into the stored columns, refusing with errors
that name the part and field at fault, and ``compile_rule`` binds a stored rule to the
table's current fields (the normaliser of each part) for blocking and scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cairn.core import FieldErrors, Message
from cairn.identity.keys import key_fields
from cairn.identity.names import normalise_name
from cairn.meta import Field, FieldTypeRegistry
from cairn.store import Catalog, TableSchema

KINDS = ("exact", "combo")
COMPARES = ("exact", "fuzzy")
ACTIONS = ("suggest", "auto_merge")
#: Parts in one combination rule (each adds a column read and a comparison per pair).
MAX_PARTS = 5
MAX_NAME = 200
RULE_ATTRS = frozenset({"name", "kind", "parts", "threshold", "action", "enabled", "position"})


@dataclass(frozen=True)
class Part:
    field_id: int
    via_id: int | None
    compare: str


@dataclass(frozen=True)
class Rule:
    """A stored rule (a row of ``identity_rules``)."""

    id: int
    table_id: int
    name: str
    kind: str
    parts: tuple[Part, ...]
    threshold: float
    action: str
    enabled: bool
    position: int


def rule_from_row(row: Any) -> Rule:
    parts = tuple(
        Part(int(p["field"]), int(p["via"]) if p.get("via") else None, p["compare"])
        for p in row.parts
    )
    return Rule(
        row.id,
        row.table_id,
        row.name,
        row.kind,
        parts,
        float(row.threshold),
        row.action,
        bool(row.enabled),
        int(row.position),
    )


# -- checking a spec --------------------------------------------------------------------------
def check_rule(
    spec: Any,
    s: TableSchema,
    cat: Catalog,
    types: FieldTypeRegistry,
    previous: Rule | None = None,
) -> dict[str, Any]:
    """The stored columns of the rule ``spec`` describes (keys → ids); ``previous``: the rule
    a partial change applies to. Raises Invalid naming each attribute (``parts.1.via``) at
    fault, all at once."""
    errors = FieldErrors()
    if not isinstance(spec, dict):
        errors.add("body", Message("filter.shape", {}))
        errors.raise_if_any()
    for k in sorted(set(spec) - RULE_ATTRS):
        errors.add(k, Message("identity.rule_attr", {"attr": k}))
    out: dict[str, Any] = {}
    base = _spec_of(previous, cat) if previous is not None else {}
    merged = {**base, **spec}
    name = merged.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.add("name", Message("identity.rule_name", {"max": MAX_NAME}))
    else:
        out["name"] = name.strip()
    kind = merged.get("kind")
    if kind not in KINDS:
        errors.add("kind", Message("identity.rule_kind", {"kinds": ", ".join(KINDS)}))
    action = merged.get("action", "suggest")
    if action not in ACTIONS:
        errors.add("action", Message("identity.rule_action", {"actions": ", ".join(ACTIONS)}))
    out["action"] = action
    threshold = merged.get("threshold", 100)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 100
    ):
        errors.add("threshold", Message("identity.rule_threshold", {}))
    else:
        out["threshold"] = float(threshold)
    enabled = merged.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.add("enabled", Message("value.boolean", {}))
    out["enabled"] = enabled
    position = merged.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        errors.add("position", Message("identity.rule_position", {}))
    out["position"] = position
    out["parts"] = _check_parts(merged.get("parts"), kind, s, cat, types, errors)
    out["kind"] = kind
    errors.raise_if_any()
    return out


def _check_parts(
    parts: Any,
    kind: Any,
    s: TableSchema,
    cat: Catalog,
    types: FieldTypeRegistry,
    errors: FieldErrors,
) -> list[dict[str, Any]]:
    if not isinstance(parts, list) or not parts or len(parts) > MAX_PARTS:
        errors.add("parts", Message("identity.rule_parts", {"max": MAX_PARTS}))
        return []
    if kind == "exact" and len(parts) != 1:
        errors.add("parts", Message("identity.rule_exact_one", {}))
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, int | None]] = set()
    for i, p in enumerate(parts):
        at = f"parts.{i}"
        if not isinstance(p, dict):
            errors.add(at, Message("filter.shape", {}))
            continue
        compare = p.get("compare", "exact")
        if compare not in COMPARES:
            errors.add(f"{at}.compare", Message("identity.part_compare", {}))
            continue
        if kind == "exact" and compare != "exact":
            errors.add(f"{at}.compare", Message("identity.rule_exact_one", {}))
        home, via = s, None
        via_key = p.get("via")
        if via_key is not None:
            via = s.by_key.get(via_key) if isinstance(via_key, str) else None
            target = cat.schemas.get(via.reached_table_id or 0) if via is not None else None
            if via is None or not via.is_relation or target is None:
                errors.add(f"{at}.via", Message("identity.part_via", {"field": str(via_key)}))
                continue
            home = target
        fkey = p.get("field")
        f = home.by_key.get(fkey) if isinstance(fkey, str) else None
        if f is None or f.deleted_at is not None:
            errors.add(f"{at}.field", Message("identity.part_field", {"field": str(fkey)}))
            continue
        ft = types.get(f.type) if f.type in types else None
        is_key = ft is not None and ft.identity_key(f) is not None
        if ft is None or not ft.stored or f.sensitive or not (is_key or ft.holds_text):
            errors.add(f"{at}.field", Message("identity.part_type", {"field": f.key}))
            continue
        if compare == "fuzzy" and is_key:
            errors.add(f"{at}.compare", Message("identity.part_fuzzy_key", {"field": f.key}))
            continue
        ident = (f.id, via.id if via is not None else None)
        if ident in seen:
            errors.add(f"{at}.field", Message("identity.part_twice", {"field": f.key}))
            continue
        seen.add(ident)
        out.append({"field": f.id, "via": ident[1], "compare": compare})
    return out


def _spec_of(rule: Rule, cat: Catalog) -> dict[str, Any]:
    """A stored rule as a spec with keys (a PATCH changes some attributes of it)."""
    return {
        "name": rule.name,
        "kind": rule.kind,
        "parts": public_parts(rule, cat),
        "threshold": rule.threshold,
        "action": rule.action,
        "enabled": rule.enabled,
        "position": rule.position,
    }


def public_parts(rule: Rule, cat: Catalog) -> list[dict[str, Any]]:
    """The parts with field keys (a field since deleted shows as None)."""
    out = []
    for p in rule.parts:
        f = cat.all_fields.get(p.field_id)
        via = cat.all_fields.get(p.via_id) if p.via_id is not None else None
        out.append(
            {
                "field": f.key if f is not None else None,
                "via": via.key if via is not None else None,
                "compare": p.compare,
            }
        )
    return out


# -- compiled rules ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledPart:
    """A part bound to its fields: ``field`` (on the table, or on the related table through
    ``via``), how a raw value becomes comparable text, and whether that text is a key."""

    field: Field
    via: Field | None
    compare: str
    normalise: Callable[[Any], str | None]
    is_key: bool

    def from_storage(self, value: Any) -> str | None:
        """A stored value as comparable text: a key field stores its canonical text already
        (every write path normalises it), so only other text is normalised again."""
        if self.is_key:
            return value if isinstance(value, str) and value else None
        return self.normalise(value)


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    parts: tuple[CompiledPart, ...]

    @property
    def id(self) -> int:
        return self.rule.id

    @property
    def exact(self) -> list[int]:
        return [i for i, p in enumerate(self.parts) if p.compare == "exact"]

    @property
    def fuzzy(self) -> list[int]:
        return [i for i, p in enumerate(self.parts) if p.compare == "fuzzy"]

    @property
    def keyed(self) -> bool:
        """An exact part is an identity key: its equality alone is selective enough to block
        on (``blocking``)."""
        return any(p.is_key and p.compare == "exact" for p in self.parts)


def _text(value: Any, company: bool) -> str | None:
    return normalise_name(value, company=company) or None


def compile_rule(rule: Rule, cat: Catalog, types: FieldTypeRegistry) -> CompiledRule | None:
    """The rule bound to the table's fields now; None when a field it names is gone (the
    rule then matches nothing until it is fixed)."""
    parts = []
    for p in rule.parts:
        f = cat.all_fields.get(p.field_id)
        via = cat.all_fields.get(p.via_id) if p.via_id is not None else None
        if f is None or f.deleted_at is not None or f.type not in types:
            return None
        if p.via_id is not None and (via is None or via.deleted_at is not None):
            return None
        keys = key_fields([f], types)
        if keys:
            kf = keys[0]
            parts.append(CompiledPart(f, via, p.compare, kf.normalise, True))
        else:
            company = p.compare == "fuzzy"
            parts.append(CompiledPart(f, via, p.compare, lambda v, c=company: _text(v, c), False))
    return CompiledRule(rule, tuple(parts))
