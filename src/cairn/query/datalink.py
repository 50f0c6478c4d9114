"""Data linkage in field options, as users write them (field keys, option values) and as stored
(ids), checked against the catalog:

- a single relation's ``fill``: ``[{"from": <field of the linked table>, "to": <field of this
  table>}]``: choosing a linked record copies those values (``services/record_fill.py``);
- a choice field's ``parent`` (a single-select field of the same table) and ``cascade``
  (``{<parent option>: [<option of this field>, …]}``): the options allowed under each parent
  option (``store/cascades.py`` enforces them).

No writes: the field service stores what these return."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cairn.core import FieldErrors, Invalid, Message
from cairn.meta import Field, FieldType
from cairn.meta.conversions import copyable, fill_compatible
from cairn.store import Catalog, TableSchema

#: The option keys of data linkage, per kind of field.
FILL_KEYS = ("fill",)
CASCADE_KEYS = ("parent", "cascade")
#: The value types of choice fields (one option, several): their options may cascade.
CHOICES = ("choice", "choices")


def linked_keys(ft: FieldType) -> tuple[str, ...]:
    """The data-linkage option keys a field of type ``ft`` may have."""
    if ft.derived_from == "relation":
        return FILL_KEYS
    if ft.value_type in CHOICES and "parent" in ft.Options.model_fields:
        return CASCADE_KEYS
    return ()


def datalink_options(
    cat: Catalog,
    s: TableSchema,
    field_key: str,
    field_id: int | None,
    ft: FieldType,
    raw: dict[str, Any],
    validate: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """``validate(raw)`` (the type's own checks) with the data-linkage options of ``raw``
    checked and stored with ids. ``field_id``: None for a field being created."""
    keys = linked_keys(ft)
    if not keys or not isinstance(raw, dict):
        return validate(raw)
    linked = {k: raw[k] for k in keys if k in raw}
    if not linked:
        return validate(raw)
    options = validate({k: v for k, v in raw.items() if k not in keys})
    if keys == FILL_KEYS:
        fill = fill_ids(cat, s, field_key, field_id, options, linked.get("fill"))
        return validate({**options, "fill": fill}) if fill else options
    parent, cascade = cascade_ids(cat, s, field_key, field_id, options, linked)
    if parent is None:
        return options
    return validate({**options, "parent": parent, "cascade": cascade})


def fill_ids(
    cat: Catalog,
    s: TableSchema,
    field_key: str,
    field_id: int | None,
    options: dict[str, Any],
    raw: Any,
) -> list[dict[str, int]]:
    """A relation's fill pairs as field ids, every error keyed ``options.fill.<i>.from|to``."""
    if raw is None or raw == []:
        return []
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise Invalid.on("options.fill", "field.fill_shape")
    if options.get("multiple", True):
        raise Invalid.on("options.fill", "field.fill_multiple")
    if len(raw) > 50:
        raise Invalid.on("options.fill", "value.max", max=50)
    target = cat.schemas.get(int(options["target_table_id"]))
    if target is None:
        raise Invalid.on("options.target_table", "table.not_found", table=None)
    errors = FieldErrors()
    out: list[dict[str, int]] = []
    seen: set[int] = set()
    for i, pair in enumerate(raw):
        loc = f"options.fill.{i}"
        unknown = set(pair) - {"from", "to"}
        if unknown:
            errors.add(loc, Message("field.fill_shape"))
            continue
        src = _field(target, pair.get("from"))
        dst = _field(s, pair.get("to"))
        if src is None:
            params = {"key": pair.get("from"), "table": target.table.name}
            errors.add(f"{loc}.from", Message("field.fill_unknown", params))
        elif not copyable(target.type_of(src)):
            errors.add(f"{loc}.from", Message("field.fill_source", {"field": src.name}))
        if dst is None:
            if pair.get("to") == field_key:
                errors.add(f"{loc}.to", Message("field.fill_self"))
            else:
                params = {"key": pair.get("to"), "table": s.table.name}
                errors.add(f"{loc}.to", Message("field.fill_unknown", params))
            continue
        dst_type = s.type_of(dst)
        if dst.id == field_id:
            errors.add(f"{loc}.to", Message("field.fill_self"))
        elif not copyable(dst_type) or not dst_type.writable or dst_type.sequenced:
            errors.add(f"{loc}.to", Message("field.fill_target", {"field": dst.name}))
        elif dst.id in seen:
            errors.add(f"{loc}.to", Message("field.fill_duplicate", {"field": dst.name}))
        elif src is not None and copyable(target.type_of(src)):
            if not fill_compatible(target.type_of(src), dst_type):
                params = {
                    "source": src.type,
                    "target": dst.type,
                    "from": src.name,
                    "to": dst.name,
                }
                errors.add(f"{loc}.to", Message("field.fill_type", params))
            elif src.sensitive and not dst.sensitive:
                params = {"from": src.name, "to": dst.name}
                errors.add(f"{loc}.to", Message("field.fill_sensitive", params))
            else:
                out.append({"from": src.id, "to": dst.id})
        seen.add(dst.id)
    errors.raise_if_any()
    return out


def cascade_ids(
    cat: Catalog,
    s: TableSchema,
    field_key: str,
    field_id: int | None,
    options: dict[str, Any],
    raw: dict[str, Any],
) -> tuple[int | None, dict[str, list[str]]]:
    """A choice field's parent field id and its cascade as option ids, every error keyed
    ``options.parent`` or ``options.cascade[.<parent option>]``."""
    parent_ref = raw.get("parent")
    cascade = raw.get("cascade")
    if parent_ref is None or parent_ref == "":
        if cascade:
            raise Invalid.on("options.parent", "field.cascade_no_parent")
        return None, {}
    parent = _field(s, parent_ref)
    if parent is None or parent.id == field_id or parent.key == field_key:
        raise Invalid.on("options.parent", "field.cascade_parent")
    if not parent.is_single_select:
        raise Invalid.on("options.parent", "field.cascade_parent")
    if field_id is not None:
        chain = [field_key, parent.key]
        seen = {parent.id}
        up = parent.options.get("parent")
        while up is not None:
            chain.append(s.by_id[up].key if up in s.by_id else str(up))
            if up == field_id:
                raise Invalid.on("options.parent", "field.cascade_cycle", fields=" → ".join(chain))
            if up in seen or up not in s.by_id:
                break
            seen.add(up)
            up = s.by_id[up].options.get("parent")
    if cascade is None:
        cascade = {}
    if not isinstance(cascade, dict) or not all(
        isinstance(k, str) and isinstance(v, list) for k, v in cascade.items()
    ):
        raise Invalid.on("options.cascade", "field.cascade_shape")
    parent_ids = _option_ids(parent.options.get("choices", []))
    own_ids = _option_ids(options.get("choices", []))
    errors = FieldErrors()
    out: dict[str, list[str]] = {}
    for pv, children in cascade.items():
        loc = f"options.cascade.{pv}"
        pid = parent_ids.get(pv)
        if pid is None:
            errors.add(loc, Message("field.cascade_option", {"value": pv, "field": parent.name}))
            continue
        ids: list[str] = []
        for cv in children:
            cid = own_ids.get(cv) if isinstance(cv, str) else None
            if cid is None:
                params = {"value": cv if isinstance(cv, str) else str(cv), "field": field_key}
                errors.add(loc, Message("field.cascade_option", params))
            elif cid not in ids:
                ids.append(cid)
        out.setdefault(pid, [])
        out[pid] += [c for c in ids if c not in out[pid]]
    errors.raise_if_any()
    order = {c["id"]: i for i, c in enumerate(options.get("choices", []))}
    return parent.id, {
        pid: sorted(ids, key=lambda c: order.get(c, 0))
        for pid, ids in sorted(out.items(), key=lambda kv: _position(parent, kv[0]))
    }


def datalink_public(cat: Catalog, f: Field, o: dict[str, Any]) -> None:
    """``o`` (a copy of ``f``'s options) with its data linkage as users write it: field keys
    and option values (references to what no longer exists are left out)."""
    if f.is_relation and o.get("fill"):
        target = cat.schemas.get(int(f.options.get("target_table_id") or 0))
        here = cat.schemas.get(f.table_id)
        pairs = []
        for p in o["fill"]:
            src = target.by_id.get(p["from"]) if target else None
            dst = here.by_id.get(p["to"]) if here else None
            if src is not None and dst is not None:
                pairs.append({"from": src.key, "to": dst.key})
        o["fill"] = pairs
    elif o.get("parent") is not None:
        here = cat.schemas.get(f.table_id)
        parent = here.by_id.get(o["parent"]) if here else None
        if parent is None:
            o.pop("parent")
            o.pop("cascade", None)
            return
        o["parent"] = parent.key
        parent_values = {c["id"]: c["value"] for c in parent.options.get("choices", [])}
        own_values = {c["id"]: c["value"] for c in f.options.get("choices", [])}
        o["cascade"] = {
            parent_values[pid]: [own_values[c] for c in ids if c in own_values]
            for pid, ids in (o.get("cascade") or {}).items()
            if pid in parent_values
        }


def _field(s: TableSchema, ref: Any) -> Field | None:
    """A field of ``s`` by key (as users write it) or by id (as stored)."""
    if isinstance(ref, str):
        return s.by_key.get(ref)
    if isinstance(ref, int) and not isinstance(ref, bool):
        return s.by_id.get(ref)
    return None


def _option_ids(choices: list[dict[str, Any]]) -> dict[str, str]:
    """Option value or id → id (a value wins over an id that looks the same)."""
    out = {c["id"]: c["id"] for c in choices if c.get("id")}
    out.update({c["value"]: c["id"] for c in choices if c.get("id")})
    return out


def _position(f: Field, option_id: str) -> int:
    ids = [c["id"] for c in f.options.get("choices", [])]
    return ids.index(option_id) if option_id in ids else len(ids)
