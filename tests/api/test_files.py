from __future__ import annotations

from fastapi.testclient import TestClient

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
