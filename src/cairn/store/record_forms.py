"""A form's linkage rules enforced on a records write (``cairn.meta.form_runtime`` runs them).

Each item of the write is looked at as the record will be once written (its stored values
under what the item changes; a new record's defaults under what it gives). Then:

- what the rules ``set`` or ``clear`` is written (coerced as any input: a value the field
  refuses is an error at the field);
- a field a rule requires (and does not hide) that is blank: ``form.rule_required``;
- a field a rule makes read-only whose value the item changes: ``form.rule_readonly``;
- a choice a rule limits, written with another option: ``form.rule_options``;
- a hidden field is not required: the field's own ``required`` error is dropped.

Errors are collected under the item's prefix like every other input error; nothing is
written when there is one (the caller raises them before writing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cairn.core import FieldErrors, Message
from cairn.formula import Environment
from cairn.meta import BadValue, is_blank
from cairn.meta.form_model import CompiledForm, FormState
from cairn.meta.form_runtime import run
from cairn.meta.values import same
from cairn.store import records
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.record_input import Prepared, create_plan, prefix_of


def api_values(s: TableSchema, keys: Iterable[str], columns: dict[int, Any]) -> dict[str, Any]:
    """The values of the fields ``keys`` names (stored ones), as the API shows them."""
    out: dict[str, Any] = {}
    for key in keys:
        f = s.by_key.get(key)
        if f is None or f.id not in columns:
            continue
        v = columns[f.id]
        sealer = s.sealers.get(f.id)
        if sealer is not None:
            v = sealer.open(v)
        d = s.dumpers.get(f.id)
        out[key] = d(v) if d is not None and v is not None else v
    return out


def row_columns(s: TableSchema, row: Any) -> dict[int, Any]:
    """A record row's stored values by field id (sensitive ones still sealed)."""
    m = row._mapping
    return {f.id: m[f.column_name] for f in s.stored_fields if f.column_name in m}


def apply_form(
    conn: sa.Connection,
    cat: Catalog,
    s: TableSchema,
    form: CompiledForm,
    env: Environment,
    items: list[Any],
    prepared: list[Prepared],
    before: dict[int, Any],
    old_links: dict[int, dict[int, list[int]]],
    errors: FieldErrors,
    single: bool,
    shown: frozenset[str] | None = None,
) -> list[FormState]:
    """Run ``form`` over every prepared item (``items``: the write as sent, by index) and
    apply its rules; the states, in ``prepared`` order (an update whose record is not there,
    or at another version, is left to the caller's checks). ``shown``: the fields the form
    shows at all (a process step's); a rule does not require the others."""
    fillers = {f.id: (filler, has) for f, _stored, filler, has in create_plan(s)}
    if form.fields is not None:  # a variant: what it does not place is not on the form
        shown = form.fields if shown is None else shown & form.fields
    states: list[FormState] = []
    for p in prepared:
        raw = items[p.index] if isinstance(items[p.index], dict) else {}
        prefix = prefix_of(single, p.index)
        if p.record_id is not None:
            row = before.get(p.record_id)
            if row is None or row.version != p.version or row.deleted_at is not None:
                continue
            stored = row_columns(s, row)
        else:
            row, stored = None, {}
        now_columns = {**stored, **p.columns}
        state = run(form, api_values(s, form.kinds, now_columns), env)
        states.append(state)
        for key in state.set_by:
            f = s.by_key[key]
            try:
                p.columns[f.id] = s.coercers[f.id](state.values[key])
            except BadValue as e:
                errors.add(prefix + key, e.message)
                continue
            now_columns[f.id] = p.columns[f.id]
        current = _Current(conn, cat, s, p, stored, old_links)
        off_form = [f.key for f in s.fields if f.key not in shown] if shown is not None else []
        for key in (*state.hidden, *off_form):
            _drop_required(errors, prefix + key)
        for key, rule in state.required.items():
            f = s.by_key.get(key)
            if f is None or errors.errors.get(prefix + key) or (shown and key not in shown):
                continue
            if is_blank(current.value(f.id)):
                errors.add(prefix + key, Message("form.rule_required", {"rule": rule}))
        for key, rule in state.readonly.items():
            f = s.by_key.get(key)
            if f is None or key not in raw or key in state.set_by:
                continue
            was = current.before(f.id, fillers)
            if not _same(s, f.id, was, current.value(f.id)):
                errors.add(prefix + key, Message("form.rule_readonly", {"rule": rule}))
        for key, (allowed, rule) in state.options.items():
            f = s.by_key.get(key)
            if f is None or (key not in raw and key not in state.set_by) or f.id not in p.columns:
                continue
            shown = api_values(s, [key], {f.id: p.columns[f.id]}).get(key)
            for label in shown if isinstance(shown, list) else [shown]:
                if label is not None and label not in allowed:
                    msg = Message("form.rule_options", {"rule": rule, "value": label})
                    errors.add(prefix + key, msg)
    return states


def _drop_required(errors: FieldErrors, location: str) -> None:
    got = errors.errors.get(location)
    if not got:
        return
    kept = [m for m in got if m.key != "field.required"]
    if kept:
        errors.errors[location] = kept
    else:
        del errors.errors[location]


def _same(s: TableSchema, fid: int, a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return sorted(a or []) == sorted(b or [])
    if s.types[fid].value_type == "choices":  # stored as a JSON list of ids
        return (json.loads(a) if a else []) == (json.loads(b) if b else [])
    return same(a, b)


class _Current:
    """One item's field values as they will be, and as they were (coerced, unsealed)."""

    def __init__(
        self,
        conn: sa.Connection,
        cat: Catalog,
        s: TableSchema,
        p: Prepared,
        stored: dict[int, Any],
        old_links: dict[int, dict[int, list[int]]],
    ) -> None:
        self.conn, self.cat, self.s, self.p = conn, cat, s, p
        self.stored = stored
        self.old_links = old_links

    def value(self, fid: int) -> Any:
        p = self.p
        if fid in p.columns:
            return p.columns[fid]
        if fid in p.links:
            return p.links[fid]
        return self.before(fid, {})

    def before(self, fid: int, fillers: dict[int, tuple[Any, bool]]) -> Any:
        """The value before the write: the stored one, or a new record's default."""
        s, p = self.s, self.p
        f = s.by_id[fid]
        if p.record_id is None:
            filler, has = fillers.get(fid, (None, False))
            return filler if has else None
        if f.is_relation:
            links = self.old_links.get(fid)
            if links is None:  # a relation the write does not set: read its links now
                links = records.read_links(self.conn, self.cat, f, [p.record_id])
            return links.get(p.record_id, [])
        v = self.stored.get(fid)
        sealer = s.sealers.get(fid)
        return sealer.open(v) if sealer is not None else v
