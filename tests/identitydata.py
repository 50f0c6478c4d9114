"""A One-ID test world: ``people`` (name, mobile key, company, city, a vehicle) and
``vehicles`` (VIN key), beside the crm app of ``factories.make_crm``."""

from __future__ import annotations

from typing import Any

from cairn.services import Services

VINS = ("1M8GDM9AXKP042788", "LSVAU2180N2183294")


def make_people(services: Services) -> None:
    services.schema.create_table(
        "crm",
        {
            "key": "vehicles",
            "name": "车辆",
            "fields": [
                {"key": "vin", "name": "VIN", "type": "vin", "options": {"identity_key": "vin"}}
            ],
        },
    )
    services.schema.create_table(
        "crm",
        {
            "key": "people",
            "name": "客户",
            "fields": [
                {"key": "name", "name": "姓名", "type": "text"},
                {
                    "key": "mobile",
                    "name": "手机",
                    "type": "phone",
                    "options": {"identity_key": "mobile"},
                },
                {"key": "company", "name": "公司", "type": "text"},
                {"key": "city", "name": "城市", "type": "text"},
            ],
        },
    )
    services.schema.create_field(
        "crm",
        "people",
        {
            "key": "vehicle",
            "name": "车辆",
            "type": "relation",
            "options": {"target_table": "vehicles", "multiple": False},
        },
    )


def mobile_rule(**over: Any) -> dict[str, Any]:
    return {
        "name": "手机相同",
        "kind": "exact",
        "parts": [{"field": "mobile", "compare": "exact"}],
        **over,
    }


def name_rule(**over: Any) -> dict[str, Any]:
    return {
        "name": "姓名+城市",
        "kind": "combo",
        "parts": [
            {"field": "name", "compare": "fuzzy"},
            {"field": "city", "compare": "exact"},
        ],
        "threshold": 80,
        **over,
    }
