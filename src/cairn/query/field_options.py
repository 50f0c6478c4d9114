"""A field's options as users write them (keys of tables and fields, formula text) → as stored
(ids, canonical formula text, what it uses), checked against the catalog; and the checks of a
table's validation rules. No writes: the services store what these return."""

from __future__ import annotations

from typing import Any

from cairn.core import Clock, Invalid, NotFound
from cairn.formula import FormulaError, SqlEnvironment
from cairn.formula.compile_sql import compile_typed
from cairn.meta.fieldtypes.formula import SHOWN_OPTIONS
from cairn.query.formula import CatalogSource, canonical, environment
from cairn.store import Catalog, TableSchema

MAX_RULES = 50


def relation_options(
    catalog: Catalog, s: TableSchema, raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A relation's options with its target table's id, and what its reverse field asks
    (``_target``: the target table's key)."""
    raw = dict(raw)
    target = raw.pop("target_table", None)
    reverse = raw.pop("reverse", None) or {}
    if not isinstance(reverse, dict):
        raise Invalid.on(
            "options.reverse", "field.option_invalid", detail="reverse must be an object"
        )
    try:
        ts = catalog.table(s.app.key, target) if isinstance(target, str) else None
    except NotFound:
        ts = None
    if ts is None:
        raise Invalid.on("options.target_table", "table.not_found", table=target)
    if ts.parent is not None and ts.parent_field is not None:
        # A sub-form's rows are reached through their parent record.
        raise Invalid.on(
            "options.target_table",
            "subform.relation_target",
            table=ts.parent.table.name,
            field=ts.parent_field.name,
        )
    raw["target_table_id"] = ts.id
    return raw, {**reverse, "_target": ts.table.key}


def derived_options(
    catalog: Catalog, s: TableSchema, raw: dict[str, Any], rollup: bool = False
) -> dict[str, Any]:
    """A lookup's or a rollup's options with the ids of its relation (or sub-form) and target
    field. A rollup over a sub-form may also aggregate a formula column with a number result
    (a line's ``{qty}*{price}``)."""
    raw = dict(raw)
    rel_key = raw.pop("relation", None)
    rel = s.by_key.get(rel_key) if isinstance(rel_key, str) else None
    if rel is None or not rel.reaches_rows or rel.reached_table_id is None:
        raise Invalid.on("options.relation", "expand.field", field=rel_key)
    raw["relation_field_id"] = rel.id
    target = catalog.schema(rel.reached_table_id)
    tkey = raw.pop("field", None)
    if tkey is not None:
        tf = target.by_key.get(tkey) if isinstance(tkey, str) else None
        computed_number = (
            tf is not None
            and rollup
            and rel.is_subform
            and tf.is_formula
            and tf.options.get("result_type") == "number"
        )
        if tf is None or not (target.type_of(tf).stored or computed_number):
            raise Invalid.on("options.field", "field.unknown", key=tkey)
        fn = raw.get("function", "count")
        if tf.sensitive and fn in ("min", "max"):
            raise Invalid.on("options.field", "field.sensitive_rollup", field=tf.name)
        if (
            fn in ("sum", "avg")
            and target.type_of(tf).value_type != "number"
            and not computed_number
        ):
            raise Invalid.on(
                "options.field",
                "field.option_invalid",
                detail="sum and avg need a number field",
            )
        raw["target_field_id"] = tf.id
    return raw


def formula_options(
    cat: Catalog,
    s: TableSchema,
    raw: dict[str, Any],
    field_id: int | None,
    clock: Clock,
    dialect: str,
) -> dict[str, Any]:
    """Type-check the formula, store it with field ids, its result type and what it uses;
    refuse one that refers to itself through other formulas or is too deep for the database.
    ``cat``: the catalog with the working calendar's days (WORKDAY in SQL)."""
    text = raw.get("formula")
    if not isinstance(text, str) or not text.strip():
        raise Invalid.on("options.formula", "formula.empty", column=1)
    unknown = set(raw) - {"formula", "result_type", "uses", *SHOWN_OPTIONS}
    if unknown:
        raise Invalid.on("options", "field.option_invalid", detail=f"unknown {sorted(unknown)}")
    stored, formula, uses = canonical(cat, s, text, "options.formula")
    if formula.type.is_list:
        raise FormulaError("formula.list_result", formula.tree.span, "options.formula")
    if field_id is not None:
        check_formula_cycle(cat, field_id, uses)
    senv = SqlEnvironment.of(environment(cat, clock), dialect, cat.calendar_table)
    try:
        compile_typed(formula.typed, CatalogSource(cat, s, s.sa_table, senv), senv)
    except FormulaError as e:
        raise e.at("options.formula") from None
    shown = {k: raw[k] for k in SHOWN_OPTIONS if raw.get(k) is not None}
    if shown and formula.type.kind != "number":
        raise Invalid.on(f"options.{next(iter(shown))}", "formula.format_not_number")
    return {"formula": stored, "result_type": formula.type.kind, "uses": uses, **shown}


def check_formula_cycle(cat: Catalog, field_id: int, uses: list[int]) -> None:
    seen: set[int] = set()
    stack = [(u, [u]) for u in uses]
    while stack:
        fid, path = stack.pop()
        if fid == field_id:
            names = [cat.all_fields[i].key for i in [field_id, *path] if i in cat.all_fields]
            raise Invalid.on("options.formula", "formula.cycle", fields=" → ".join(names))
        if fid in seen:
            continue
        seen.add(fid)
        f = cat.all_fields.get(fid)
        if f is not None and f.is_formula and f.deleted_at is None:
            stack.extend((u, [*path, u]) for u in f.options.get("uses", []))
