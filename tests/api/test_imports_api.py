"""Record imports over HTTP: upload and preview, dry run, run with progress, the error file,
cancel, saved mappings, and who may import."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cairn.services import Services
from factories import make_user

IMPORTS = "/api/v1/apps/crm/tables/customers/imports"
M = "/api/v1/apps/crm/tables/customers/import-mappings"
CSV = "客户名称,手机,等级\n张三,13800138000,VIP\n李四,bad,VIP\n王五,13900139000,金卡\n"


def upload(client: TestClient, text: str = CSV, encoding: str = "gbk") -> dict:
    files = {"file": ("客户.csv", text.encode(encoding), "text/csv")}
    r = client.post(IMPORTS, files=files)
    assert r.status_code == 201, r.text
    return r.json()


def test_upload_dry_run_run_and_error_file(crm: TestClient, services: Services) -> None:
    up = upload(crm)
    assert up["status"] == "uploaded"
    assert up["source"]["header"] == ["客户名称", "手机", "等级"]
    assert up["suggested"] == ["name", "phone", "tier"]
    assert up["preview"][1] == ["李四", "bad", "VIP"]
    body = {"mode": "upsert", "key": "phone"}
    r = crm.post(f"{IMPORTS}/{up['id']}/dry-run", json=body)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    services.import_runs.work()
    dry = crm.get(f"{IMPORTS}/{up['id']}").json()
    assert dry["counts"] == {"created": 1, "updated": 0, "skipped": 0, "refused": 2}
    assert crm.get("/api/v1/apps/crm/tables/customers/records").json()["items"] == []
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json=body)
    assert r.status_code == 202
    services.import_runs.work()
    job = crm.get(f"{IMPORTS}/{up['id']}").json()
    assert (job["status"], job["phase"], job["rows_done"]) == ("done", "run", 3)
    assert job["counts"]["created"] == 1
    assert job["report"]["dry_run"]["rows"][0] == {"row": 2, "outcome": "created"}
    r = crm.get(f"{IMPORTS}/{up['id']}/errors.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "客户名称,手机,等级,Row,Reason"
    assert lines[1].startswith("李四,bad,VIP,3,")
    assert lines[2].startswith("王五,13900139000,金卡,4,")
    assert [j["id"] for j in crm.get(IMPORTS).json()["items"]] == [up["id"]]


def test_bad_settings_are_refused_with_the_field(crm: TestClient) -> None:
    up = upload(crm)
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json={"mode": "upsert"})
    assert r.status_code == 422 and "key" in r.text
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json={"mode": "upsert", "key": "name"})
    assert r.status_code == 422  # not unique
    r = crm.post(f"{IMPORTS}/{up['id']}/run", json={"mapping": ["name", "name", None]})
    assert r.status_code == 422 and "mapping.1" in r.text
    r = crm.post(IMPORTS, files={"file": ("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x")})
    assert r.status_code == 422 and ".xlsx" in r.text
    assert crm.get(f"{IMPORTS}/999999").status_code == 404


def test_cancel_a_queued_import(crm: TestClient, services: Services) -> None:
    up = upload(crm)
    crm.post(f"{IMPORTS}/{up['id']}/run", json={})
    r = crm.post(f"{IMPORTS}/{up['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert services.import_runs.work() == 0
    assert crm.get("/api/v1/apps/crm/tables/customers/records").json()["items"] == []


def test_saved_mappings_crud(crm: TestClient) -> None:
    r = crm.post(M, json={"name": "DMS", "mapping": {"名字": "name", "电话": "phone", "x": None}})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = crm.put(f"{M}/{mid}", json={"name": "DMS 月度", "mapping": {"名字": "name"}})
    assert r.json()["mapping"] == {"名字": "name"}
    assert [m["name"] for m in crm.get(M).json()["items"]] == ["DMS 月度"]
    up = upload(crm, "名字,备注\n甲,x\n")
    assert up["suggested"] == ["name", None]
    r = crm.post(M, json={"name": "bad", "mapping": {"名字": "nope"}})
    assert r.status_code == 422
    assert crm.delete(f"{M}/{mid}").status_code == 204
    assert crm.get(M).json()["items"] == []


def test_a_reader_may_not_import_and_sees_no_other_jobs(
    crm: TestClient, services: Services
) -> None:
    up = upload(crm)
    _, token = make_user(services, "reader")
    crm.post(
        "/api/v1/roles",
        json={
            "key": "readers",
            "name": "Readers",
            "members": ["reader"],
            "tables": [{"app": "crm", "table": "customers", "actions": ["read"], "scope": "all"}],
        },
    )
    h = {"authorization": f"Bearer {token}"}
    files = {"file": ("c.csv", CSV.encode(), "text/csv")}
    assert crm.post(IMPORTS, files=files, headers=h).status_code == 403
    assert crm.get(f"{IMPORTS}/{up['id']}", headers=h).status_code == 404
    assert crm.get(IMPORTS, headers=h).json()["items"] == []


def test_the_preview_lists_the_fields_a_column_may_fill(crm: TestClient) -> None:
    f = "/api/v1/apps/crm/tables/customers/fields"
    formula = {
        "key": "score",
        "name": "合计",
        "type": "formula",
        "options": {"formula": "{credit} * 2"},
    }
    assert crm.post(f, json=formula).status_code == 201
    assert crm.post(f, json={"key": "docs", "type": "attachment"}).status_code == 201
    up = upload(crm)
    fields = {f["key"]: f for f in up["fields"]}
    assert fields["phone"] == {
        "key": "phone",
        "name": "手机",
        "type": "phone",
        "unique": True,
        "required": False,
    }
    assert fields["name"]["required"] is True and fields["name"]["unique"] is False
    assert "score" not in fields and "docs" not in fields  # computed; files
    again = crm.post(f"{IMPORTS}/{up['id']}/source", json={"header_rows": 1}).json()
    assert again["fields"] == up["fields"]


def test_an_import_names_who_uploaded_it(crm: TestClient, services: Services) -> None:
    uid, token = make_user(services, "clerk", display_name="王小二", is_admin=True)
    h = {"authorization": f"Bearer {token}"}
    files = {"file": ("c.csv", CSV.encode(), "text/csv")}
    up = crm.post(IMPORTS, files=files, headers=h).json()
    assert (up["created_by"], up["created_by_name"]) == (uid, "王小二")
    assert crm.get(f"{IMPORTS}/{up['id']}").json()["created_by_name"] == "王小二"
    listed = {j["id"]: j for j in crm.get(IMPORTS).json()["items"]}
    assert (listed[up["id"]]["created_by"], listed[up["id"]]["created_by_name"]) == (uid, "王小二")
