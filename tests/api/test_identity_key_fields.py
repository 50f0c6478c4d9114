"""Key fields over HTTP: a bad VIN, ID number or credit code is refused naming the field and
the rule (single write, update and bulk) and nothing is saved; a good key is stored canonical;
the ``identity_key`` option is kept on a field. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cairn.services import Services
from support.http import created, make_table

T = "/api/v1/apps/crm/tables"
R = f"{T}/vehicles/records"
VIN = "1M8GDM9AXKP042788"
ID = "11010519491231002X"
USCC = "91110000600037341L"


@pytest.fixture
def vehicles(services: Services, crm: TestClient) -> TestClient:
    make_table(
        crm,
        "crm",
        "vehicles",
        "车辆",
        [
            {"key": "vin", "name": "车架号", "type": "vin", "options": {"identity_key": "vin"}},
            {"key": "owner_id_no", "name": "车主身份证号", "type": "id_number"},
            {"key": "fleet_code", "name": "车队信用代码", "type": "credit_code"},
            {"key": "plate", "name": "车牌", "type": "text", "options": {"identity_key": "plate"}},
        ],
    )
    return crm


def test_keys_are_stored_canonical(vehicles: TestClient) -> None:
    rec = created(
        vehicles,
        R,
        {
            "vin": "1m8gdm9a-xkp042788",
            "owner_id_no": "110105491231002",
            "fleet_code": "9111 0000 6000 3734 1l",
            "plate": "粤b·12345",
        },
    )
    assert (rec["vin"], rec["owner_id_no"], rec["fleet_code"], rec["plate"]) == (
        VIN,
        ID,
        USCC,
        "粤B12345",
    )
    found = vehicles.post(
        f"{R}/query", json={"filter": {"field": "vin", "op": "eq", "value": VIN.lower()}}
    )
    assert [x["id"] for x in found.json()["items"]] == [rec["id"]]


def test_bad_keys_are_refused_naming_field_and_rule(vehicles: TestClient) -> None:
    r = vehicles.post(
        R,
        json={
            "vin": "1M8GDM9A1KP042788",
            "owner_id_no": "110105194912310021",
            "fleet_code": "91110000600037341M",
            "plate": "粤I12345",
        },
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {
        "vin": "'1M8GDM9A1KP042788' fails the VIN check digit: position 9 should be X (a character is mistyped).",
        "owner_id_no": "'110105194912310021' fails the ID number check character: the last should be X (a digit is mistyped).",
        "fleet_code": "'91110000600037341M' fails the credit code check character: the last should be L (a character is mistyped).",
        "plate": "'粤I12345' is not a Chinese plate number: a province, the office letter, then 5 characters (6 for new energy).",
    }
    codes = {e["field"]: e["code"] for e in r.json()["errors"]}
    assert codes["owner_id_no"] == "value.id_number_check"
    assert vehicles.get(R).json()["items"] == []


def test_refusal_in_chinese(vehicles: TestClient) -> None:
    r = vehicles.post(R, json={"vin": "1M8GDM9AXKP0427O8"}, headers={"accept-language": "zh-CN"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "vin",
            "code": "value.vin_chars",
            "message": "“1M8GDM9AXKP0427O8”不是车辆识别代号：只能含数字和除 I、O、Q 外的字母（出现了 O）。",
        }
    ]


def test_update_and_bulk_go_through_the_same_rules(vehicles: TestClient) -> None:
    rec = vehicles.post(R, json={"vin": VIN}).json()
    r = vehicles.patch(f"{R}/{rec['id']}", json={"version": 1, "owner_id_no": "110105194902300021"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "owner_id_no"
    r = vehicles.post(
        f"{R}/bulk",
        json={"records": [{"vin": "11111111111111111"}, {"fleet_code": "9111000060003734IL"}]},
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["records.1.fleet_code"]
    assert len(vehicles.get(R).json()["items"]) == 1


def test_identity_key_option_kept_and_checked(vehicles: TestClient) -> None:
    field = created(
        vehicles,
        f"{T}/customers/fields",
        {
            "key": "passport",
            "name": "护照",
            "type": "text",
            "options": {"identity_key": "passport"},
        },
    )
    assert field["options"]["identity_key"] == "passport"
    r = vehicles.post(
        f"{T}/customers/fields",
        json={"key": "hp", "name": "HP", "type": "number", "options": {"identity_key": "mobile"}},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "options.identity_key"
