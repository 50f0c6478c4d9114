"""Test data for the rule engine: an operations app for the rule scenarios: customers, aircraft, tickets, interactions,
transport orders and tasks; users for the account manager and the service director."""

from __future__ import annotations

from typing import Any

from cairn.services import Services
from cairn.worker.dispatch import Dispatcher
from factories import make_user


def choices(*values: str) -> dict[str, Any]:
    return {"choices": [{"value": v} for v in values]}


def make_ops(s: Services) -> dict[str, int]:
    s.apps.create({"key": "ops", "name": "运营"})
    manager, _ = make_user(s, "manager", email="manager@example.com")
    director, _ = make_user(s, "director", email="director@example.com")
    s.schema.create_table(
        "ops",
        {
            "key": "customers",
            "name": "客户",
            "fields": [
                {"key": "name", "name": "客户名称", "type": "text", "required": True},
                {"key": "phone", "name": "手机", "type": "phone"},
                {"key": "email", "name": "邮箱", "type": "email"},
                {"key": "manager", "name": "负责人", "type": "user"},
                {"key": "birthday", "name": "生日", "type": "date"},
                {"key": "insurance_expiry", "name": "商业险到期", "type": "date"},
                {"key": "policy_history", "name": "保单记录", "type": "long_text"},
            ],
        },
    )
    s.schema.create_table(
        "ops",
        {
            "key": "tasks",
            "name": "任务",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "assignee", "name": "负责人", "type": "user"},
                {"key": "due", "name": "截止", "type": "date"},
                {"key": "description", "name": "说明", "type": "long_text"},
            ],
        },
    )
    s.schema.create_table(
        "ops",
        {
            "key": "aircraft",
            "name": "飞机",
            "fields": [
                {"key": "reg", "name": "注册号", "type": "text"},
                {"key": "inspection_date", "name": "定检日期", "type": "date"},
                {"key": "account_manager", "name": "客户经理", "type": "user"},
                {"key": "customer_email", "name": "客户邮箱", "type": "email"},
            ],
        },
    )
    s.schema.create_table(
        "ops",
        {
            "key": "tickets",
            "name": "工单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {
                    "key": "priority",
                    "name": "优先级",
                    "type": "single_select",
                    "options": choices("高", "中", "低"),
                },
                {
                    "key": "status",
                    "name": "状态",
                    "type": "single_select",
                    "options": choices("处理中", "已解决", "重新打开"),
                },
                {"key": "phone", "name": "客户手机", "type": "phone"},
            ],
        },
    )
    s.schema.create_table(
        "ops",
        {
            "key": "interactions",
            "name": "互动记录",
            "fields": [{"key": "note", "name": "内容", "type": "text"}],
        },
    )
    s.schema.create_field(
        "ops",
        "interactions",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "interactions", "name": "互动记录", "multiple": True},
            },
        },
    )
    s.schema.create_table(
        "ops",
        {
            "key": "transport_orders",
            "name": "运输单",
            "fields": [
                {"key": "no", "name": "单号", "type": "text"},
                {
                    "key": "status",
                    "name": "状态",
                    "type": "single_select",
                    "options": choices("待派车", "已派车"),
                },
            ],
        },
    )
    return {"manager": manager, "director": director}


class Worker:
    """The worker's part, run by hand: the periodic scan and the outbox dispatcher."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.dispatcher = Dispatcher(services, services.event_handlers)

    def drain(self) -> int:
        return self.dispatcher.drain()

    def tick(self) -> dict[str, int]:
        """One periodic scan, then everything it caused."""
        out = self.s.rules.scan()
        self.drain()
        return out
