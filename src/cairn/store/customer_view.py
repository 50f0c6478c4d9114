"""The customer 360° view of an app as an app setting: which table holds the customers, which
of its fields are the key metrics, and which relations appear on the page, in order."""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid, Message, NotFound

KEY = "customer_view"
EMPTY: dict[str, Any] = {"table": None, "metrics": [], "sections": []}


def checked(catalog: Any, app_key: str, data: Any) -> dict[str, Any]:
    """The view as stored, once its table, metrics and sections are known (else ``Invalid``)."""
    if not isinstance(data, dict) or set(data) - {"table", "metrics", "sections", "timeline"}:
        raise Invalid.on("body", "customer_view.shape")
    table = data.get("table")
    metrics = data.get("metrics") or []
    sections = data.get("sections") or []
    if table is None:
        if metrics or sections or data.get("timeline"):
            raise Invalid.on("table", "field.required")
        return dict(EMPTY)
    if (
        not isinstance(table, str)
        or not isinstance(metrics, list)
        or not isinstance(sections, list)
    ):
        raise Invalid.on("body", "customer_view.shape")
    schema = catalog.table(app_key, table)  # NotFound → 404 naming the table
    errors: dict[str, list[Message]] = {}
    for i, key in enumerate(metrics):
        if not isinstance(key, str) or key not in schema.by_key:
            errors.setdefault(f"metrics.{i}", []).append(Message("field.unknown", {"key": key}))
        elif metrics.index(key) != i:
            errors.setdefault(f"metrics.{i}", []).append(
                Message("customer_view.duplicate", {"field": key})
            )
    relations: list[str] = []
    for i, section in enumerate(sections):
        rel = section.get("relation") if isinstance(section, dict) else None
        f = schema.by_key.get(rel) if isinstance(rel, str) else None
        if f is None or not f.is_relation:
            errors.setdefault(f"sections.{i}.relation", []).append(
                Message("customer_view.relation", {"field": rel})
            )
        elif rel in relations:
            errors.setdefault(f"sections.{i}.relation", []).append(
                Message("customer_view.duplicate", {"field": rel})
            )
        else:
            relations.append(rel)
    if errors:
        raise Invalid("invalid.input", errors)
    out = {
        "table": table,
        "metrics": list(metrics),
        "sections": [{"relation": r} for r in relations],
    }
    # The timeline part is checked by the insight engine (``insight.timeline_config``).
    if data.get("timeline") is not None:
        out["timeline"] = data["timeline"]
    return out


def current(catalog: Any, app_key: str, value: dict[str, Any]) -> dict[str, Any]:
    """The stored view less what was deleted since (a table, a field)."""
    table = value.get("table")
    if not table:
        return dict(EMPTY)
    try:
        schema = catalog.table(app_key, table)
    except NotFound:  # the table went to the recycle bin
        return dict(EMPTY)
    out = {
        "table": table,
        "metrics": [k for k in value.get("metrics", []) if k in schema.by_key],
        "sections": [
            s
            for s in value.get("sections", [])
            if (f := schema.by_key.get(s.get("relation"))) is not None and f.is_relation
        ],
    }
    if value.get("timeline") is not None:
        out["timeline"] = value["timeline"]
    return out
