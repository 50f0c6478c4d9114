"""The format of app packages: an app's whole definition as YAML, checked and read here (no
database); ``services/packages.py`` exports and imports them.

Format ``cairn.app/1``::

    format: cairn.app/1
    app: {key, name, description}
    tables:
      - key, name, description, display_field
        fields: [{key, name, type, options, required, unique, default, help_text}, ...]
        layout: {sections: [{key, title, collapsed, rows: [[field key or null, ...], ...]}],
                 rules: [{name, when, actions}, ...]}   # the default form, with its linkage
        forms: [{key, name, layout, roles: [role key, ...], position}, ...]   # form variants
        publications: [{form, enabled, owner: user name, thank_you, prefill: [field key, ...],
                        min_fill_seconds, max_bytes, difficulty}, ...]   # public forms
    kpi_mappings: [{kpi, params}, ...]   # the KPIs' tables and fields in this app
    dashboards: [...]
    processes: [{key, name, table, auto_start, bpmn}, ...]   # the latest version of each
    rules: [...]
    alerts: [{key, name, kpi | dataset, op, threshold, period, schedule, actions}, ...]
    customer_view: {table, metrics: [field key, ...], sections: [{relation}, ...],
                    timeline: {sources, notable_fields, system}, last_contact_field}  # if set
    tags: [{name, colour, group, description, position}, ...]   # the tag vocabulary, if any;
          # rules name tags by name (add_tag / remove_tag, _tags conditions)
    segments: [{name, description, table, kind, filter, refresh}, ...]   # definitions only
    score_models: [{name, table, enabled, kind, inputs, bands}, ...]   # always weighted: a
          # learned model is trained again on the importing app's own history
          # a rule's segment.* / score.* trigger names its segment or model by name

Relations appear on both sides: the owning side names its ``reverse_field``; the reverse side
has ``owner: false`` and is created together with its owner. A sub-form field names the table
of its rows (``options.table``); that table is listed among the tables with ``parent: {table,
field}`` and its own fields, and is created with the field (so before any other field). Data
linkage names fields by key and options by value: a relation's ``fill: [{from, to}]``, a choice
field's ``parent`` and ``cascade: {parent option: [option, ...]}`` (created after its parent).
Ids never appear except select option ids, so renaming an option in one installation keeps matching data in another.
"""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid

FORMAT = "cairn.app/1"
MAX_PACKAGE_BYTES = 5_000_000


def phase(f: dict[str, Any]) -> str:
    """When a field of a package is created: sub-forms (with the tables of their rows), plain
    fields, relations, lookups and rollups, formulas."""
    if f.get("type") == "subform":
        return "subform"
    if f.get("type") == "relation":
        return "relation"
    if f.get("type") in ("lookup", "rollup"):
        return "derived"
    if f.get("type") == "formula":
        return "formula"
    return "plain"


def in_cascade_order(fields: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """A table's fields (position, field) in the order they are created: a choice field whose
    options depend on another (``options.parent``) after that one, the rest as listed."""
    by_key = {f.get("key"): f for f in fields}

    def depth(f: dict[str, Any], seen: tuple[str, ...] = ()) -> int:
        parent = (f.get("options") or {}).get("parent")
        if not isinstance(parent, str) or parent not in by_key or parent in seen:
            return 0
        return 1 + depth(by_key[parent], (*seen, parent))

    return sorted(enumerate(fields), key=lambda item: depth(item[1]))


def field_spec(f: dict[str, Any], table_key: str, tables: dict[str, Any]) -> dict[str, Any]:
    """A package's field as ``create_field`` takes it (a relation with its reverse side)."""
    spec = {
        k: f[k]
        for k in ("key", "name", "type", "required", "unique", "default", "help_text")
        if k in f
    }
    options = dict(f.get("options") or {})
    if f.get("type") == "relation":
        rev_key = options.pop("reverse_field", None)
        options.pop("owner", None)
        target = tables.get(options.get("target_table"))
        rev = None
        if target and rev_key:
            rev = next((x for x in target.get("fields") or [] if x.get("key") == rev_key), None)
        if rev is not None:
            options["reverse"] = {
                "key": rev_key,
                "name": rev.get("name", rev_key),
                "multiple": (rev.get("options") or {}).get("multiple", True),
            }
    if f.get("type") == "subform":
        options.pop("totals", None)  # set once the rows' table has its columns
    spec["options"] = options
    return spec


def check_shape(data: Any) -> dict[str, Any]:
    """The parts of a package, after checking its shape."""

    def bad(detail: str) -> Invalid:
        return Invalid.on("package", "package.shape", detail=detail)

    if not isinstance(data, dict):
        raise bad("the package must be a mapping")
    if data.get("format") != FORMAT:
        raise bad(f"format must be {FORMAT}")
    if not isinstance(data.get("app"), dict):
        raise bad("app must be a mapping with key and name")
    tables = data.get("tables", [])
    if not isinstance(tables, list):
        raise bad("tables must be a list")
    for i, t in enumerate(tables):
        if not isinstance(t, dict) or not isinstance(t.get("key"), str):
            raise bad(f"tables[{i}] must be a mapping with a key")
        fields = t.get("fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise bad(f"tables[{i}].fields must be a list of mappings")
        for j, f in enumerate(fields):
            if f.get("options") is not None and not isinstance(f.get("options"), dict):
                raise bad(f"tables[{i}].fields[{j}].options must be a mapping")
        if t.get("forms") is not None and not isinstance(t.get("forms"), list):
            raise bad(f"tables[{i}].forms must be a list")
        parent = t.get("parent")
        if parent is not None and not (
            isinstance(parent, dict)
            and isinstance(parent.get("table"), str)
            and isinstance(parent.get("field"), str)
        ):
            raise bad(f"tables[{i}].parent must be a mapping with a table and a field")
        if t.get("publications") is not None and not isinstance(t.get("publications"), list):
            raise bad(f"tables[{i}].publications must be a list")
        if t.get("identity_rules") is not None and not isinstance(t.get("identity_rules"), list):
            raise bad(f"tables[{i}].identity_rules must be a list")
    return {
        "app": data["app"],
        "tables": tables,
        "kpi_mappings": data.get("kpi_mappings") or [],
        "dashboards": data.get("dashboards") or [],
        "processes": data.get("processes") or [],
        "rules": data.get("rules") or [],
        "alerts": data.get("alerts") or [],
        "customer_view": data.get("customer_view"),
        "tags": data.get("tags"),
        "segments": data.get("segments"),
        "score_models": data.get("score_models"),
    }
