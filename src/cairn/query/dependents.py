"""Who uses a definition: the fields and validation rules that would break if a table or a
field went to the recycle bin or a field became ciphertext (read from the catalog)."""

from __future__ import annotations

from cairn.core import Invalid
from cairn.meta import Field
from cairn.store import Catalog, TableSchema


def table_users(cat: Catalog, s: TableSchema) -> list[str]:
    """The live relation fields of other live tables that point at ``s`` (``table.field``)."""
    return [
        f"{cat.all_tables[f.table_id].key}.{f.key}"
        for f in cat.all_fields.values()
        if f.deleted_at is None
        and f.is_relation
        and f.table_id != s.id
        and f.options.get("target_table_id") == s.id
        and cat.all_tables[f.table_id].deleted_at is None
    ]


def field_users(cat: Catalog, f: Field, pair: list[int]) -> list[str]:
    """What uses ``f`` (or, for a relation, either side of ``pair``) outside that pair: fields
    (``table.field``) and validation rules (``table.validation_rules.<i>``)."""
    users = [
        f"{cat.all_tables[d.table_id].key}.{d.key}" for d in cat.dependents(f) if d.id not in pair
    ]
    if pair and len(pair) > 1:
        other = cat.all_fields[next(p for p in pair if p != f.id)]
        users += [
            f"{cat.all_tables[d.table_id].key}.{d.key}"
            for d in cat.dependents(other)
            if d.id not in pair
        ]
    ids = pair or [f.id]
    for t in cat.all_tables.values():
        for i, rule in enumerate(t.validation_rules or []):
            if set(rule.get("uses", [])) & set(ids):
                users.append(f"{t.key}.validation_rules.{i}")
    return users


def check_not_used(cat: Catalog, f: Field) -> None:
    """A field whose value SQL computes with (formulas, validation rules, min/max rollups,
    directly or through a lookup) cannot become ciphertext."""
    through = [f.id] + [d.id for d in cat.dependents(f) if d.is_lookup]
    users: list[str] = []
    for fid in through:
        for d in cat.dependents(cat.all_fields[fid]):
            if d.is_formula or (d.is_rollup and d.options.get("function") in ("min", "max")):
                users.append(f"{cat.all_tables[d.table_id].key}.{d.key}")
    for t in cat.all_tables.values():
        if t.deleted_at is not None:
            continue
        for i, rule in enumerate(t.validation_rules or []):
            if set(rule.get("uses", [])) & set(through):
                users.append(f"{t.key}.validation_rules.{i}")
    if users:
        raise Invalid.on(
            "options.sensitive", "field.sensitive_used", field=f.name, uses=", ".join(users)
        )
