from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services
from factories import make_user

T = "/api/v1/apps/crm/tables/customers"


def test_attachment_upload_limits_and_link(crm: TestClient) -> None:
    r = crm.post(
        f"{T}/fields",
        json={
            "key": "docs",
            "type": "attachment",
            "options": {"max_size_mb": 0.001, "allowed_types": ["image/*", ".pdf"]},
        },
    )
    assert r.status_code == 201, r.text
    ok = crm.post(
        f"{T}/fields/docs/files", files={"file": ("cert.pdf", b"%PDF-1.4 tiny", "application/pdf")}
    )
    assert ok.status_code == 201, ok.text
    big = crm.post(f"{T}/fields/docs/files", files={"file": ("big.png", b"x" * 5000, "image/png")})
    assert big.status_code == 422 and big.json()["errors"][0]["field"] == "file"
    exe = crm.post(
        f"{T}/fields/docs/files", files={"file": ("run.exe", b"MZ", "application/octet-stream")}
    )
    assert exe.status_code == 422
    fid = ok.json()["id"]
    rec = crm.post(f"{T}/records", json={"name": "A", "docs": [fid]})
    assert rec.status_code == 201, rec.text
    doc = rec.json()["docs"][0]
    assert doc["id"] == fid and doc["name"] == "cert.pdf" and doc["mime"] == "application/pdf"
    # A record read back and sent again keeps its files.
    again = crm.patch(
        f"{T}/records/{rec.json()['id']}", json={"version": 1, "docs": rec.json()["docs"]}
    )
    assert again.status_code == 200 and again.json()["version"] == 1
    r = crm.post(f"{T}/records", json={"name": "B", "docs": ["nope"]})
    assert r.status_code == 422
    dl = crm.get(f"/api/v1/files/{fid}")
    assert dl.status_code == 200 and dl.content == b"%PDF-1.4 tiny"


# -- a file id is not a key ---------------------------------------------------------------------


@pytest.fixture
def members(services: Services, crm: TestClient) -> Iterator[dict[str, TestClient]]:
    """sam and eve edit their own customers only; ``docs`` is an attachment field."""
    r = crm.post(f"{T}/fields", json={"key": "docs", "type": "attachment"})
    assert r.status_code == 201, r.text
    app = create_app(services)
    clients: dict[str, TestClient] = {}
    for name in ("sam", "eve"):
        _, token = make_user(services, name)
        clients[name] = TestClient(
            app, headers={"authorization": f"Bearer {token}", "accept-language": "en"}
        )
    body = {
        "key": "own_customers",
        "name": "own customers",
        "tables": [
            {
                "app": "crm",
                "table": "customers",
                "actions": ["create", "read", "update"],
                "row_scope": "own",
            }
        ],
        "members": ["sam", "eve"],
    }
    assert crm.post("/api/v1/roles", json=body).status_code == 201
    yield clients
    for c in clients.values():
        c.close()


def _upload(c: TestClient, name: str, data: bytes) -> str:
    r = c.post(f"{T}/fields/docs/files", files={"file": (name, data, "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_file_the_member_cannot_read_is_not_attached(
    crm: TestClient, members: dict[str, TestClient]
) -> None:
    sam, eve = members["sam"], members["eve"]
    secret = _upload(eve, "secret.pdf", b"%PDF eve's contract")
    r = eve.post(f"{T}/records", json={"name": "Eve Co", "docs": [secret]})
    assert r.status_code == 201, r.text
    assert sam.get(f"/api/v1/files/{secret}").status_code == 404
    mine = sam.post(f"{T}/records", json={"name": "Sam Co"}).json()
    # Attaching it by id to a record sam may edit: answered as a file that does not exist.
    stolen = sam.patch(f"{T}/records/{mine['id']}", json={"version": 1, "docs": [secret]})
    missing = sam.patch(f"{T}/records/{mine['id']}", json={"version": 1, "docs": ["nope"]})
    assert stolen.status_code == missing.status_code == 422
    assert stolen.json()["errors"][0]["message"] == missing.json()["errors"][0]["message"].replace(
        "nope", secret
    )
    assert sam.post(f"{T}/records", json={"name": "X", "docs": [secret]}).status_code == 422
    assert sam.get(f"/api/v1/files/{secret}").status_code == 404
    assert crm.get(f"{T}/records/{mine['id']}").json()["docs"] == []
    # An administrator may attach any file.
    ok = crm.post(f"{T}/records", json={"name": "Admin Co", "docs": [secret]})
    assert ok.status_code == 201, ok.text


def test_own_fresh_upload_and_files_the_member_reads_are_attached(
    crm: TestClient, members: dict[str, TestClient]
) -> None:
    sam = members["sam"]
    fresh = _upload(sam, "mine.pdf", b"%PDF sam's own")
    r = sam.post(f"{T}/records", json={"name": "Sam Co", "docs": [fresh]})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert [d["id"] for d in rec["docs"]] == [fresh]
    assert sam.get(f"/api/v1/files/{fresh}").content == b"%PDF sam's own"
    # A file on a record sam reads: may be attached to another of his records too.
    other = sam.post(f"{T}/records", json={"name": "Sam Two", "docs": [fresh]})
    assert other.status_code == 201, other.text
    # A file the record holds already stays when the record is saved again, even one sam
    # could not attach anew (an administrator put it there).
    foreign = _upload(crm, "admin.pdf", b"%PDF admin")
    crm.post(f"{T}/records", json={"name": "Hidden", "docs": [foreign]})
    r = crm.patch(f"{T}/records/{rec['id']}", json={"version": 1, "docs": [fresh, foreign]})
    assert r.status_code == 200, r.text
    r = sam.patch(
        f"{T}/records/{rec['id']}",
        json={"version": 2, "name": "Sam Co 2", "docs": r.json()["docs"]},
    )
    assert r.status_code == 200, r.text
    # Once the record that held sam's upload is no longer his, the upload is no key either.
    eve_rec = members["eve"].post(f"{T}/records", json={"name": "Eve Co"}).json()
    again = _upload(sam, "again.pdf", b"%PDF again")
    crm.patch(f"{T}/records/{eve_rec['id']}", json={"version": 1, "docs": [again]})
    r = sam.patch(f"{T}/records/{other.json()['id']}", json={"version": 1, "docs": [fresh, again]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "docs"


def test_a_file_put_into_another_field_meets_that_fields_limits(
    crm: TestClient, members: dict[str, TestClient]
) -> None:
    """A file is checked against the field it was uploaded for; put into another attachment
    field, it must meet that field's own limits too (else the limits are skipped by uploading
    to the laxest field). A file there is readable through the record that holds it."""
    r = crm.post(
        f"{T}/fields",
        json={
            "key": "photos",
            "type": "attachment",
            "options": {"max_size_mb": 0.001, "allowed_types": ["image/*"]},
        },
    )
    assert r.status_code == 201, r.text
    sam, eve = members["sam"], members["eve"]
    pdf = _upload(sam, "scan.pdf", b"%PDF scan")
    big = sam.post(
        f"{T}/fields/docs/files", files={"file": ("big.png", b"x" * 5000, "image/png")}
    ).json()["id"]
    small = sam.post(
        f"{T}/fields/docs/files", files={"file": ("ok.png", b"png", "image/png")}
    ).json()["id"]
    for fid, message in ((pdf, "not accepted"), (big, "at most")):
        r = sam.post(f"{T}/records", json={"name": "Sam Co", "photos": [fid]})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "photos"
        assert message in r.json()["errors"][0]["message"]
    r = sam.post(f"{T}/records", json={"name": "Sam Co", "photos": [small]})
    assert r.status_code == 201, r.text
    # Eve reads every customer through a second role: the file is hers to read through the
    # photos field that holds it (it was uploaded for docs, where no record holds it).
    role = {
        "key": "readers",
        "name": "readers",
        "tables": [{"app": "crm", "table": "customers", "actions": ["read"], "row_scope": "all"}],
        "members": ["eve"],
    }
    assert crm.post("/api/v1/roles", json=role).status_code == 201
    assert eve.get(f"/api/v1/files/{small}").status_code == 200
