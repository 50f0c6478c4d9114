"""A field newly marked as an identity key (or of another kind) has its stored values brought
to the key's canonical form (issue 21), on SQLite and PostgreSQL: the reply counts what
changed and lists what is no valid key (kept as it was); a unique field whose values would
collide is refused with nothing changed (the reply through HTTP and a sensitive field:
``tests/api/test_key_renormalise_api.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.core import Invalid
from cairn.services import Services


def mark(services: Services, key: str, kind: str | None, **options: Any) -> dict[str, Any]:
    body = {"options": {**options, "identity_key": kind} if kind else options}
    return services.schema.update_field("crm", "customers", key, body)


def values(services: Services, key: str) -> list[Any]:
    rows = services.records.query("crm", "customers", sort=[{"field": "id"}], limit=100)
    return [r[key] for r in rows["items"]]


def test_marking_a_text_field_as_a_key_renormalises_and_reports(services: Services) -> None:
    services.schema.create_field(
        "crm", "customers", {"key": "mob", "name": "手机2", "type": "text"}
    )
    for v in ("138 0013 8000", "+86 139-0013-9000", "not a phone", "+8613700137000"):
        services.records.create("crm", "customers", {"name": "x", "mob": v})
    out = mark(services, "mob", "mobile")
    report = out["renormalised"]
    assert (report["changed"], report["invalid"]) == (2, 1)
    assert [v["value"] for v in report["invalid_values"]] == ["not a phone"]
    assert values(services, "mob") == [
        "+8613800138000",
        "+8613900139000",
        "not a phone",  # kept, not lost
        "+8613700137000",
    ]
    # the same kind again: nothing to do; another kind: again
    assert "renormalised" not in mark(services, "mob", "mobile", max_length=200)
    assert mark(services, "mob", "email")["renormalised"]["invalid"] == 4


def test_a_unique_key_whose_values_collide_is_refused(services: Services) -> None:
    spec = {"key": "plate", "name": "车牌", "type": "text", "unique": True}
    services.schema.create_field("crm", "customers", spec)
    services.records.create("crm", "customers", {"name": "a", "plate": "京A 12345"})
    services.records.create("crm", "customers", {"name": "b", "plate": "京a12345"})
    with pytest.raises(Invalid):
        mark(services, "plate", "plate")
    assert values(services, "plate") == ["京A 12345", "京a12345"]
    field = next(f for f in services.schema.list_fields("crm", "customers") if f["key"] == "plate")
    assert "identity_key" not in field["options"]
