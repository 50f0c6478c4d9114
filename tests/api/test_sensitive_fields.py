"""Sensitive fields through HTTP: encrypted at rest, read back in clear by whoever may see them,
found by equality through the blind index, unique, rotated, never in history or the audit log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock, Settings
from cairn.core.crypto import KeyRing
from cairn.services import Services, build_services
from cairn.services.keys import rotate
from factories import make_admin, make_crm, make_user

T = "/api/v1/apps/crm/tables"
C = f"{T}/customers/records"
K1 = "k1:" + base64.b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.b64encode(b"2" * 32).decode()
PHONE = "13800138001"
E164 = "+8613800138001"


def _services(db_url: str, data: Path, clock: FrozenClock, keys: str) -> Services:
    return build_services(
        Settings(data_dir=data, database_url=db_url, encryption_keys=keys), clock=clock
    )


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Services]:
    s = _services(db_url, tmp_path / "data", frozen_clock, K1)
    yield s
    s.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    make_crm(services)
    token = make_admin(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def _sensitive(client: TestClient, key: str, **extra: object) -> dict:
    r = client.patch(f"{T}/customers/fields/{key}", json={"options": {"sensitive": True}, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _raw(services: Services, field_key: str) -> list[tuple]:
    with services.engine.connect() as conn:
        s = services.catalogs.get(conn).table("crm", "customers")
        f = s.by_key[field_key]
        t = sa.table(
            s.table.sql_name,
            sa.column("id"),
            sa.column(f.column_name),
            sa.column(f"{f.column_name}_bi"),
        )
        return list(
            conn.execute(
                sa.select(t.c.id, t.c[f.column_name], t.c[f"{f.column_name}_bi"]).order_by(t.c.id)
            )
        )


def _dump_tables(services: Services, *names: str) -> str:
    with services.engine.connect() as conn:
        return "\n".join(str(list(conn.execute(sa.text(f"SELECT * FROM {n}")))) for n in names)


def test_values_are_encrypted_at_rest_and_read_back(services: Services, client: TestClient) -> None:
    f = _sensitive(client, "phone")
    assert f["options"]["sensitive"] is True
    _sensitive(client, "email")
    r = client.post(C, json={"name": "A", "phone": PHONE, "email": "Ann@Example.COM"})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["phone"] == E164 and rec["email"] == "Ann@example.com"
    [(rid, phone, bi)] = _raw(services, "phone")
    assert phone.startswith("enc1:k1:") and PHONE not in phone and len(bi) == 32
    [(_, email, _)] = _raw(services, "email")
    assert "Ann" not in email
    assert client.get(f"{C}/{rid}").json()["phone"] == E164
    assert client.get(C).json()["items"][0]["email"] == "Ann@example.com"
    csv = client.post(
        f"{C}/export", json={"filter": {"field": "phone", "op": "eq", "value": PHONE}}
    ).text
    assert E164 in csv
    # The export is audited with its filter, the sensitive value in it redacted.
    assert PHONE not in _dump_tables(services, "audit_log")
    # Updated in place: a new ciphertext, the same blind index.
    v = client.patch(f"{C}/{rid}", json={"version": rec["version"], "name": "B"}).json()["version"]
    r = client.patch(f"{C}/{rid}", json={"version": v, "phone": "13800138002"})
    assert r.status_code == 200 and r.json()["phone"] == "+8613800138002"
    [(_, phone2, bi2)] = _raw(services, "phone")
    assert phone2 != phone and bi2 != bi


def test_equality_filters_use_the_blind_index_and_others_are_refused(client: TestClient) -> None:
    _sensitive(client, "phone")
    _sensitive(client, "email")
    for i, p in enumerate(["13800138001", "13800138002", None]):
        body = {"name": f"c{i}", "phone": p, "email": f"c{i}@x.cn"}
        assert client.post(C, json=body).status_code == 201

    def names(flt: dict) -> list[str]:
        r = client.post(f"{C}/query", json={"filter": flt})
        assert r.status_code == 200, r.text
        return sorted(x["name"] for x in r.json()["items"])

    assert names({"field": "phone", "op": "eq", "value": "138-0013-8001"}) == ["c0"]
    assert names({"field": "phone", "op": "eq", "value": "+86 138 0013 8002"}) == ["c1"]
    assert names({"field": "phone", "op": "ne", "value": PHONE}) == ["c1", "c2"]
    assert names({"field": "phone", "op": "in", "value": [PHONE, "13800138002"]}) == ["c0", "c1"]
    assert names({"field": "phone", "op": "is_empty"}) == ["c2"]
    assert names({"field": "email", "op": "eq", "value": "C1@X.CN"}) == ["c1"]
    r = client.post(
        f"{C}/query", json={"filter": {"field": "phone", "op": "contains", "value": "138"}}
    )
    assert r.status_code == 422
    assert "encrypted" in r.text and "contains" in r.text
    zh = client.post(
        f"{C}/query",
        json={"filter": {"field": "phone", "op": "starts_with", "value": "138"}},
        headers={"accept-language": "zh-CN"},
    )
    assert zh.status_code == 422 and "加密" in zh.text
    r = client.post(f"{C}/query", json={"sort": [{"field": "phone"}]})
    assert r.status_code == 422 and "sorted" in r.text


def test_unique_sensitive_field_refuses_duplicates(services: Services, client: TestClient) -> None:
    _sensitive(client, "phone")  # phone is unique in the crm fixture
    first = client.post(C, json={"name": "A", "phone": PHONE}).json()
    r = client.post(C, json={"name": "B", "phone": "+86 138 0013 8001"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["phone"]
    r = client.post(
        f"{C}/bulk",
        json={
            "records": [
                {"name": "C", "phone": "13800138009"},
                {"name": "D", "phone": "13800138009"},
            ]
        },
    )
    assert r.status_code == 422
    # A record in the recycle bin frees its value; restoring it while taken is refused.
    assert client.delete(f"{C}/{first['id']}").status_code == 204
    assert client.post(C, json={"name": "E", "phone": PHONE}).status_code == 201
    r = client.post(f"{C}/{first['id']}/restore")
    assert r.status_code == 422, r.text
    with services.engine.connect() as conn:
        names = {
            "postgresql": "SELECT indexname FROM pg_indexes",
            "sqlite": "SELECT name FROM sqlite_master WHERE type='index'",
        }
        idx = set(conn.execute(sa.text(names[conn.dialect.name])).scalars())
    s = services.catalogs.get(services.engine.connect()).table("crm", "customers")
    assert f"ux_t{s.id}_f{s.by_key['phone'].id}" in idx


def test_enabling_on_existing_data_encrypts_it_and_disabling_decrypts(
    services: Services, client: TestClient
) -> None:
    rid = client.post(C, json={"name": "A", "phone": PHONE, "email": "a@x.cn"}).json()["id"]
    client.patch(f"{C}/{rid}", json={"version": 1, "phone": "13800138002"})
    before = client.get(f"{C}/{rid}/history").json()["items"]
    assert any(
        c["field"] == "phone" and c["after"] == "+8613800138002"
        for e in before
        for c in e["changes"]
    )
    _sensitive(client, "phone")
    [(_, token, bi)] = _raw(services, "phone")
    assert token.startswith("enc1:") and bi
    assert client.get(f"{C}/{rid}").json()["phone"] == "+8613800138002"
    # The history kept from before no longer holds the number.
    assert "13800138002" not in _dump_tables(services, "history")
    hist = client.get(f"{C}/{rid}/history").json()["items"]
    assert [c["after"] for e in hist for c in e["changes"] if c["field"] == "phone"] == ["****"]
    r = client.post(
        f"{C}/query", json={"filter": {"field": "phone", "op": "eq", "value": "13800138002"}}
    )
    assert [x["id"] for x in r.json()["items"]] == [rid]
    # Off again: plaintext in the column, contains works, the index column is gone.
    r = client.patch(f"{T}/customers/fields/phone", json={"options": {"sensitive": False}})
    assert r.status_code == 200, r.text
    assert "sensitive" not in r.json()["options"]
    with services.engine.connect() as conn:
        s = services.catalogs.get(conn).table("crm", "customers")
        col = s.by_key["phone"].column_name
        assert conn.execute(sa.text(f"SELECT {col} FROM t_{s.id}")).scalar() == "+8613800138002"
        cols = [c["name"] for c in sa.inspect(conn).get_columns(f"t_{s.id}")]
        assert f"{col}_bi" not in cols
    r = client.post(
        f"{C}/query", json={"filter": {"field": "phone", "op": "contains", "value": "0013"}}
    )
    assert [x["id"] for x in r.json()["items"]] == [rid]


def test_audit_history_and_events_hold_no_plaintext(services: Services, client: TestClient) -> None:
    _sensitive(client, "phone")
    rid = client.post(C, json={"name": "A", "phone": PHONE}).json()["id"]
    r = client.patch(f"{C}/{rid}", json={"version": 1, "phone": "13800138002"})
    assert r.status_code == 200
    dump = _dump_tables(services, "history", "audit_log", "outbox")
    assert "138001380" not in dump.replace("-", "")
    hist = client.get(f"{C}/{rid}/history").json()["items"]
    changes = [c for e in hist for c in e["changes"] if c["field"] == "phone"]
    assert changes == [{"field": "phone", "name": "手机", "before": "****", "after": "****"}]


def test_masked_role_sees_the_decrypted_value_masked(
    services: Services, client: TestClient
) -> None:
    _sensitive(client, "phone")
    rid = client.post(C, json={"name": "A", "phone": PHONE}).json()["id"]
    _, token = make_user(services, "rita")
    body = {
        "key": "masked",
        "name": "masked",
        "members": ["rita"],
        "tables": [
            {
                "app": "crm",
                "table": "customers",
                "actions": ["read", "export"],
                "row_scope": "all",
                "fields": {"phone": "masked"},
            }
        ],
    }
    assert client.post("/api/v1/roles", json=body).status_code == 201
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as rita:
        got = rita.get(f"{C}/{rid}").json()
        assert got["phone"] == "+86*******8001"
        assert "enc1" not in rita.post(f"{C}/export", json={}).text


def test_only_text_like_types_and_only_with_keys(
    db_url: str, tmp_path: Path, frozen_clock: FrozenClock, client: TestClient
) -> None:
    r = client.patch(f"{T}/customers/fields/credit", json={"options": {"sensitive": True}})
    assert r.status_code == 422 and "cannot be sensitive" in r.text
    r = client.post(
        f"{T}/customers/fields",
        json={"key": "note", "type": "number", "options": {"sensitive": True}},
    )
    assert r.status_code == 422
    r = client.post(
        f"{T}/customers/fields",
        json={"key": "id_no", "type": "text", "options": {"sensitive": True}},
    )
    assert r.status_code == 201, r.text
    r = client.post(C, json={"name": "A", "id_no": "110101199003071234"})
    assert r.status_code == 201 and r.json()["id_no"] == "110101199003071234"
    # Without CAIRN_ENCRYPTION_KEYS nothing can be made sensitive.
    bare = _services(db_url, tmp_path / "bare", frozen_clock, "")
    try:
        with TestClient(
            create_app(bare),
            headers={
                "authorization": f"Bearer {make_admin(bare, 'root')}",
                "accept-language": "en",
            },
        ) as c:
            r = c.patch(f"{T}/customers/fields/email", json={"options": {"sensitive": True}})
            assert r.status_code == 422 and "CAIRN_ENCRYPTION_KEYS" in r.text
            r = c.post(
                f"{T}/customers/fields",
                json={"key": "x", "type": "text", "options": {"sensitive": True}},
            )
            assert r.status_code == 422
            # A field already sensitive cannot be read without the keys: a clear 409.
            r = c.get(C)
            assert r.status_code == 409 and "CAIRN_ENCRYPTION_KEYS" in r.text
    finally:
        bare.close()


def test_formulas_cannot_use_a_sensitive_field(client: TestClient) -> None:
    _sensitive(client, "phone")
    r = client.post(
        f"{T}/customers/fields",
        json={"key": "f", "type": "formula", "options": {"formula": "LEN({phone})"}},
    )
    assert r.status_code == 422 and "encrypted" in r.text
    r = client.post(f"{C}/query", json={"filter": {"formula": '{phone} = "1"'}})
    assert r.status_code == 422 and "encrypted" in r.text
    # And a field a formula uses cannot become sensitive.
    r = client.post(
        f"{T}/customers/fields",
        json={"key": "g", "type": "formula", "options": {"formula": "LEN({email})"}},
    )
    assert r.status_code == 201, r.text
    r = client.patch(f"{T}/customers/fields/email", json={"options": {"sensitive": True}})
    assert r.status_code == 422 and "customers.g" in r.text


def test_lookups_show_the_plaintext(services: Services, client: TestClient) -> None:
    _sensitive(client, "phone")
    r = client.post(
        f"{T}/orders/fields",
        json={
            "key": "cphone",
            "type": "lookup",
            "options": {"relation": "customer", "field": "phone"},
        },
    )
    assert r.status_code == 201, r.text
    cid = client.post(C, json={"name": "A", "phone": PHONE}).json()["id"]
    o = client.post(f"{T}/orders/records", json={"title": "o", "customer": cid}).json()
    assert client.get(f"{T}/orders/records/{o['id']}").json()["cphone"] == E164
    # Changing the phone changes the order's lookup: its computed event says so without it.
    r = client.patch(f"{C}/{cid}", json={"version": 1, "phone": "13800138002"})
    assert r.status_code == 200, r.text
    dump = _dump_tables(services, "outbox", "history", "audit_log")
    assert "13800138001" not in dump and "13800138002" not in dump
    assert "'cphone': ['****', '****']" in dump or '"cphone": ["****", "****"]' in dump
    rollup = {"key": "r", "type": "rollup", "options": {"relation": "customer", "field": "phone"}}
    rollup["options"]["function"] = "min"
    r = client.post(f"{T}/orders/fields", json=rollup)
    assert r.status_code == 422 and "min or max" in r.text
    rollup["options"]["function"] = "count"
    assert client.post(f"{T}/orders/fields", json=rollup).status_code == 201
    got = client.get(f"{C}/{cid}", params={"expand": "orders"})
    assert got.status_code == 200
    r = client.post(
        f"{T}/orders/records/query",
        json={"filter": {"field": "cphone", "op": "eq", "value": PHONE}},
    )
    assert r.status_code == 422


def test_rotation_reencrypts_and_keeps_the_index(
    db_url: str, tmp_path: Path, frozen_clock: FrozenClock, services: Services, client: TestClient
) -> None:
    _sensitive(client, "phone")
    for i in range(5):
        client.post(C, json={"name": f"c{i}", "phone": f"1380013800{i}"})
    before = _raw(services, "phone")
    assert all(t.startswith("enc1:k1:") for _, t, _ in before)
    rotated = _services(db_url, tmp_path / "data", frozen_clock, f"{K2},{K1}")
    try:
        report = rotate(rotated, batch=2)
        assert (report.fields, report.scanned, report.reencrypted, report.reindexed) == (1, 5, 5, 0)
        again = rotate(rotated, batch=2)
        assert (again.reencrypted, again.reindexed) == (0, 0)
        after = _raw(rotated, "phone")
        assert all(t.startswith("enc1:k2:") for _, t, _ in after)
        assert [b for *_, b in after] == [b for *_, b in before]
        with TestClient(
            create_app(rotated), headers={"authorization": f"Bearer {make_admin(rotated, 'root')}"}
        ) as c:
            r = c.post(
                f"{C}/query",
                json={"filter": {"field": "phone", "op": "eq", "value": "13800138003"}},
            )
            assert [x["name"] for x in r.json()["items"]] == ["c3"]
    finally:
        rotated.close()
    # The old key alone cannot read what is now under k2.
    assert KeyRing.parse(K1) is not None


def test_app_package_round_trip_keeps_the_flag(client: TestClient) -> None:
    _sensitive(client, "phone")
    text = client.get("/api/v1/apps/crm/export").text
    first = yaml.safe_load(text)
    [customers] = [t for t in first["tables"] if t["key"] == "customers"]
    [phone] = [f for f in customers["fields"] if f["key"] == "phone"]
    assert phone["options"]["sensitive"] is True
    r = client.post(
        "/api/v1/apps/import?key=copy",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    second = yaml.safe_load(client.get("/api/v1/apps/copy/export").text)
    second["app"].pop("key")
    first["app"].pop("key")
    assert second == first
    copy = "/api/v1/apps/copy/tables/customers/records"
    assert client.post(copy, json={"name": "A", "phone": PHONE}).json()["phone"] == E164
    r = client.post(
        f"{copy}/query", json={"filter": {"field": "phone", "op": "contains", "value": "1"}}
    )
    assert r.status_code == 422


def test_reports_refuse_a_sensitive_field(client: TestClient) -> None:
    _sensitive(client, "phone")
    r = client.post(
        "/api/v1/apps/crm/reports/datasets/query",
        json={
            "table": "customers",
            "dimensions": [{"field": "phone"}],
            "measures": [{"agg": "count"}],
        },
    )
    assert r.status_code == 422, r.text
    assert "encrypted" in r.text
