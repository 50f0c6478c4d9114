"""Builders for test data: services over a database URL, an app with a customers table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cairn.auth import Principal, cli
from cairn.core import FrozenClock, Settings
from cairn.services import Services, build_services

CUSTOMER_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "客户名称", "type": "text", "required": True},
    {"key": "phone", "name": "手机", "type": "phone", "unique": True},
    {"key": "email", "name": "邮箱", "type": "email"},
    {
        "key": "tier",
        "name": "等级",
        "type": "single_select",
        "options": {
            "choices": [
                {"value": "VIP", "color": "#d4380d"},
                {"value": "Gold"},
                {"value": "Standard"},
            ]
        },
    },
    {"key": "flight_hours", "name": "飞行小时", "type": "number", "options": {"min": 0}},
    {"key": "credit", "name": "授信额度", "type": "currency"},
    {"key": "signed_on", "name": "签约日期", "type": "date"},
    {"key": "last_contact", "name": "最近联系", "type": "datetime"},
    {"key": "active", "name": "有效", "type": "boolean"},
    {
        "key": "customer_no",
        "name": "客户编号",
        "type": "auto_number",
        "options": {"prefix": "C-", "digits": 5},
    },
]


def make_services(db_url: str, data_dir: Path, clock: FrozenClock | None = None) -> Services:
    return build_services(
        Settings(data_dir=data_dir, database_url=db_url), clock=clock or FrozenClock()
    )


def make_crm(services: Services, app: str = "crm") -> None:
    """An app ``crm`` with ``customers`` and ``orders`` (order.customer: one customer, many orders)."""
    services.apps.create({"key": app, "name": "客户管理"})
    services.schema.create_table(
        app, {"key": "customers", "name": "客户", "fields": CUSTOMER_FIELDS}
    )
    services.schema.create_table(
        app,
        {
            "key": "orders",
            "name": "订单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "amount", "name": "金额", "type": "currency"},
            ],
        },
    )
    services.schema.create_field(
        app,
        "orders",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "orders", "name": "订单", "multiple": True},
            },
        },
    )


def make_user(services: Services, username: str, **fields: Any) -> tuple[int, str]:
    """A user (no password unless given) and an API token for them: (user id, token)."""
    user = services.directory.create_user(cli(), {"username": username, **fields})
    _, token = services.auth.create_token(cli(), user["id"], "tests")
    return user["id"], token


def reader_without(services: Services, client: Any, field: str, username: str = "li") -> Any:
    """A user who reads crm's customers (every row) with ``field`` hidden, as a principal."""

    uid, _ = make_user(services, username)
    role = {
        "key": "sales",
        "name": "Sales",
        "members": [username],
        "tables": [
            {
                "app": "crm",
                "table": "customers",
                "actions": ["read"],
                "row_scope": "all",
                "fields": {field: "hidden"},
            }
        ],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    return Principal(uid, username, False, "token")


def make_admin(services: Services, username: str = "admin") -> str:
    """An administrator's API token."""
    return make_user(services, username, is_admin=True)[1]
