"""Form layouts: sections of 1-, 2- and 3-column rows of fields, set by schema managers through
the API, checked at the edge, kept by field id, audited, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables/customers"
L = f"{T}/layout"

LAYOUT: dict[str, Any] = {
    "sections": [
        {"title": "基本信息", "collapsed": False, "rows": [["name", "phone"], ["tier"]]},
        {"title": "Contract", "collapsed": True, "rows": [["credit", "signed_on", None]]},
    ]
}


def keys(crm: TestClient) -> list[str]:
    return [f["key"] for f in crm.get(f"{T}/fields").json()["items"]]


def test_the_default_layout_is_one_field_per_row(crm: TestClient) -> None:
    r = crm.get(L)
    assert r.status_code == 200
    assert r.json()["layout"] is None
    [section] = r.json()["effective"]["sections"]
    assert section["rows"] == [[k] for k in keys(crm)]
    assert crm.get(T).json()["layout"] == r.json()["effective"]


def test_a_layout_is_saved_and_unplaced_fields_come_after_it(crm: TestClient) -> None:
    r = crm.put(L, json=LAYOUT)
    assert r.status_code == 200, r.text
    assert r.json()["layout"] == LAYOUT
    effective = r.json()["effective"]["sections"]
    assert effective[:2] == LAYOUT["sections"]
    placed = {"name", "phone", "tier", "credit", "signed_on"}
    assert effective[2] == {
        "title": "",
        "collapsed": False,
        "rows": [[k] for k in keys(crm) if k not in placed],
    }
    # A new field is never hidden: it comes after the layout.
    crm.post(f"{T}/fields", json={"key": "vip_note", "type": "text"})
    shown = crm.get(T).json()["layout"]["sections"]
    assert shown[-1]["rows"][-1] == ["vip_note"]
    assert crm.get(L).json()["layout"] == LAYOUT
    # After an open section without a title they simply continue it.
    plain = {"sections": [{"rows": [["phone"]]}]}
    r = crm.put(L, json=plain)
    assert r.json()["layout"] == {
        "sections": [{"title": "", "collapsed": False, "rows": [["phone"]]}]
    }
    [section] = r.json()["effective"]["sections"]
    assert section["rows"] == [["phone"]] + [[k] for k in keys(crm) if k != "phone"]


def test_renaming_deleting_and_restoring_fields_keep_the_layout(crm: TestClient) -> None:
    crm.put(L, json=LAYOUT)
    assert crm.patch(f"{T}/fields/phone", json={"key": "mobile"}).status_code == 200
    assert crm.get(L).json()["layout"]["sections"][0]["rows"][0] == ["name", "mobile"]
    fid = next(f["id"] for f in crm.get(f"{T}/fields").json()["items"] if f["key"] == "tier")
    assert crm.delete(f"{T}/fields/tier").status_code == 204
    assert crm.delete(f"{T}/fields/mobile").status_code == 204
    rows = crm.get(L).json()["layout"]["sections"][0]["rows"]
    assert rows == [["name", None]]  # the tier row is gone: no field left in it
    effective = crm.get(L).json()["effective"]["sections"]
    shown = {c for s in effective for row in s["rows"] for c in row if c}
    assert "tier" not in shown and "mobile" not in shown
    r = crm.post(f"{T}/recycle-bin/fields/{fid}/restore")
    assert r.status_code == 200, r.text
    assert crm.get(L).json()["layout"]["sections"][0]["rows"] == [["name", None], ["tier"]]


def test_bad_layouts_are_refused_and_change_nothing(crm: TestClient) -> None:
    assert crm.put(L, json=LAYOUT).status_code == 200
    cases: list[tuple[Any, str]] = [
        ({"sections": [{"rows": [["name", "nope"]]}]}, "sections.0.rows.0.1"),
        (
            {"sections": [{"rows": [["name"]]}, {"rows": [["phone", "name"]]}]},
            "sections.1.rows.0.1",
        ),
        ({"sections": [{"rows": [["name", "phone", "email", "tier"]]}]}, "sections.0.rows.0"),
        ({"sections": [{"rows": [[]]}]}, "sections.0.rows.0"),
        ({"sections": [{"rows": [[None, None]]}]}, "sections.0.rows.0"),
        ({"sections": [{"title": "x" * 201, "rows": []}]}, "sections.0.title"),
        ({"sections": [{"collapsed": "yes", "rows": []}]}, "sections.0.collapsed"),
        ({"sections": [{"rows": [[1]]}]}, "sections.0.rows.0.0"),
        ({"sections": [{"rows": "name"}]}, "sections.0.rows"),
        ({"sections": [{"colour": "red"}]}, "sections.0"),
        ({"sections": "all"}, "layout"),
        ({"columns": 2}, "layout"),
        ([["name"]], "layout"),
    ]
    for body, where in cases:
        r = crm.put(L, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        errors = r.json()["errors"]
        assert where in {e["field"] for e in errors}, (body, errors)
    r = crm.put(L, json={"sections": [{"rows": [["name", "phone", "email", "tier"]]}]})
    assert "1, 2 or 3 columns" in str(r.json()["errors"])
    r = crm.put(L, json={"sections": [{"rows": [["name"], ["name"]]}]})
    assert "more than once" in str(r.json()["errors"])
    assert crm.get(L).json()["layout"] == LAYOUT


def test_null_resets_to_the_default(crm: TestClient) -> None:
    crm.put(L, json=LAYOUT)
    r = crm.put(L, json=None)
    assert r.status_code == 200 and r.json()["layout"] is None
    assert crm.put(L, json=LAYOUT).status_code == 200
    assert crm.put(L, json={"sections": []}).json()["layout"] is None


def test_only_schema_managers_change_layouts_and_changes_are_audited(
    services: Services, crm: TestClient
) -> None:
    _, token = make_user(services, "bob")
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as bob:
        r = bob.put(L, json=LAYOUT)
        assert r.status_code == 403, r.text
    assert crm.get(L).json()["layout"] is None
    assert crm.put(L, json=LAYOUT).status_code == 200
    items = crm.get("/api/v1/audit", params={"action": "table.layout"}).json()["items"]
    assert len(items) == 1
    assert items[0]["target_type"] == "table" and items[0]["actor_name"] == "admin"
    assert items[0]["details"]["layout"] == LAYOUT


def test_a_layout_error_is_in_the_users_language(crm: TestClient) -> None:
    r = crm.put(
        L,
        json={"sections": [{"rows": [["name", "phone", "email", "tier"]]}]},
        headers={"accept-language": "zh-CN"},
    )
    assert r.status_code == 422
    assert "1、2 或 3 列" in str(r.json()["errors"])
