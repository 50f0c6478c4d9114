"""Tags by import: a column mapped to the records' tags (names split on , ， ; ； 、 |), an
unknown name refusing its row, or created with "create missing tags" on; source import."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.services import Services

A = "/api/v1/apps/crm"
IMPORTS = f"{A}/tables/customers/imports"
R = f"{A}/tables/customers/records"
CSV = "客户名称,标签\n张三,VIP，华东\n李四,VIP|沉睡\n王五,\n赵六,VIP;VIP\n"


def upload(c: TestClient, text: str = CSV) -> dict:
    r = c.post(IMPORTS, files={"file": ("客户.csv", text.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    return r.json()


def tags_by_name(c: TestClient) -> dict[str, list[tuple[str, str]]]:
    out = {}
    for rec in c.get(R).json()["items"]:
        got = c.get(f"{R}/{rec['id']}/tags").json()["items"]
        out[rec["name"]] = sorted((t["name"], t["source"]) for t in got)
    return out


def test_a_tags_column_tags_the_imported_records(crm: TestClient, services: Services) -> None:
    for name in ("VIP", "华东"):
        assert crm.post(f"{A}/tags", json={"name": name}).status_code == 201
    up = upload(crm)
    assert up["suggested"] == ["name", "_tags"]
    assert {"key": "_tags"}.items() <= next(f for f in up["fields"] if f["key"] == "_tags").items()
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json={})
    assert r.status_code == 202, r.text
    services.import_runs.work()
    job = crm.get(f"{IMPORTS}/{up['id']}").json()
    assert job["counts"] == {"created": 3, "updated": 0, "skipped": 0, "refused": 1}
    assert tags_by_name(crm) == {
        "张三": [("VIP", "import"), ("华东", "import")],
        "王五": [],
        "赵六": [("VIP", "import")],
    }
    lines = crm.get(f"{IMPORTS}/{up['id']}/errors.csv").content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("李四,VIP|沉睡,3,") and "沉睡" in lines[1]


def test_missing_tags_are_created_when_asked(crm: TestClient, services: Services) -> None:
    crm.post(f"{A}/tags", json={"name": "VIP"})
    up = upload(crm, "客户名称,标签\n李四,VIP、沉睡\n")
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json={"create_missing_tags": True})
    assert r.status_code == 202, r.text
    services.import_runs.work()
    assert tags_by_name(crm) == {"李四": [("VIP", "import"), ("沉睡", "import")]}
    assert sorted(t["name"] for t in crm.get(f"{A}/tags").json()["items"]) == ["VIP", "沉睡"]
