"""A small fixed after-sales data set: 5 customers and 10 tickets (7 in January 2026, 3 in
December 2025, local time Asia/Shanghai). The report and KPI tests compute their expected
numbers by hand from the rows written out here."""

from __future__ import annotations

from typing import Any

from cairn.services import Services


def select(*values: str) -> dict[str, Any]:
    return {"choices": [{"id": v, "value": v.upper()} for v in values]}


CUSTOMERS = [
    # name, province, tier, joined_on, churned, churned_on
    ("甲", "广东", "vip", "2025-06-01", False, None),
    ("乙", "广东", "gold", "2025-09-01", True, "2026-01-20"),
    ("丙", "浙江", "standard", "2025-11-15", True, "2025-12-10"),
    ("丁", "北京", "gold", "2026-01-10", False, None),
    ("戊", "浙江", "vip", "2025-10-01", True, "2026-01-05"),
]

# title, customer (1-based), channel, kind, opened_at, responded_at, resolved, nps, csat,
# amount, asset, due_at, delivered_at, stage — times are local (+08:00).
TICKETS = [
    ("t1", 1, "phone", "service", "2026-01-03 09:00", "2026-01-03 10:00", True, 10, 5, 100, "A1", "2026-01-04 18:00", "2026-01-04 12:00", "won"),
    ("t2", 1, "web", "complaint", "2026-01-03 20:00", "2026-01-04 00:00", False, 3, 2, None, "A1", "2026-01-05 18:00", "2026-01-06 10:00", "quoted"),
    ("t3", 2, "phone", "service", "2026-01-10 08:00", "2026-01-10 08:30", True, 9, 4, 250, "A2", "2026-01-12 18:00", "2026-01-12 18:00", "won"),
    ("t4", 2, "wechat", "service", "2026-01-15 14:00", "2026-01-15 16:00", True, 7, 3, 50, "A3", "2026-01-16 18:00", None, "contacted"),
    ("t5", 3, "phone", "complaint", "2026-01-31 23:30", "2026-02-01 01:30", False, 0, 1, None, "A4", None, None, "lead"),
    ("t6", 4, "web", "service", "2026-01-20 10:00", None, True, 10, 5, 400, "A2", "2026-01-22 18:00", "2026-01-21 10:00", "won"),
    ("t7", 5, "phone", "service", "2026-01-01 07:00", "2026-01-01 09:00", True, 8, 4, 80, "A5", "2026-01-02 18:00", "2026-01-03 07:00", "quoted"),
    ("t8", 1, "phone", "service", "2025-12-05 10:00", "2025-12-05 11:00", True, 10, 5, 120, "A1", "2025-12-06 18:00", "2025-12-06 10:00", "won"),
    ("t9", 3, "web", "complaint", "2025-12-09 10:00", "2025-12-09 15:00", False, 2, 2, None, "A4", "2025-12-10 18:00", None, "lead"),
    ("t10", 5, "phone", "service", "2025-12-31 22:00", "2025-12-31 23:00", True, 9, 4, 60, "A5", "2026-01-01 18:00", "2025-12-31 23:30", "won"),
]  # fmt: skip


def _local(value: str | None) -> str | None:
    return None if value is None else value.replace(" ", "T") + ":00+08:00"


def make_service_app(services: Services, app: str = "svc") -> dict[str, int]:
    """Creates the app and its records; returns ``{ticket title: record id}``."""
    services.apps.create({"key": app, "name": "售后服务"})
    services.schema.create_table(
        app,
        {
            "key": "customers",
            "name": "客户",
            "fields": [
                {"key": "name", "name": "名称", "type": "text"},
                {"key": "province", "name": "省份", "type": "text"},
                {"key": "tier", "name": "等级", "type": "single_select", "options": select("vip", "gold", "standard")},
                {"key": "joined_on", "name": "加入日期", "type": "date"},
                {"key": "churned", "name": "已流失", "type": "boolean"},
                {"key": "churned_on", "name": "流失日期", "type": "date"},
            ],
        },
    )  # fmt: skip
    services.schema.create_table(
        app,
        {
            "key": "tickets",
            "name": "工单",
            "fields": [
                {"key": "title", "name": "标题", "type": "text"},
                {"key": "channel", "name": "渠道", "type": "single_select", "options": select("phone", "web", "wechat")},
                {"key": "kind", "name": "类型", "type": "single_select", "options": select("service", "complaint")},
                {"key": "opened_at", "name": "受理时间", "type": "datetime"},
                {"key": "responded_at", "name": "首次响应", "type": "datetime"},
                {"key": "resolved", "name": "已解决", "type": "boolean"},
                {"key": "nps", "name": "推荐值", "type": "number"},
                {"key": "csat", "name": "满意度", "type": "number"},
                {"key": "amount", "name": "金额", "type": "currency"},
                {"key": "asset", "name": "设备", "type": "text"},
                {"key": "due_at", "name": "承诺时间", "type": "datetime"},
                {"key": "delivered_at", "name": "交付时间", "type": "datetime"},
                {"key": "stage", "name": "阶段", "type": "single_select", "options": select("lead", "contacted", "quoted", "won")},
            ],
        },
    )  # fmt: skip
    services.schema.create_field(
        app,
        "tickets",
        {
            "key": "customer",
            "name": "客户",
            "type": "relation",
            "options": {
                "target_table": "customers",
                "multiple": False,
                "reverse": {"key": "tickets", "name": "工单", "multiple": True},
            },
        },
    )
    made = services.records.bulk(
        app,
        "customers",
        [
            {"name": n, "province": p, "tier": t, "joined_on": j, "churned": c, "churned_on": co}
            for n, p, t, j, c, co in CUSTOMERS
        ],
    )["items"]
    cid = [c["id"] for c in made]
    rows = []
    for title, cust, ch, kind, op, resp, res, nps, csat, amt, asset, due, dlv, stage in TICKETS:
        rows.append(
            {
                "title": title,
                "customer": cid[cust - 1],
                "channel": ch,
                "kind": kind,
                "opened_at": _local(op),
                "responded_at": _local(resp),
                "resolved": res,
                "nps": nps,
                "csat": csat,
                "amount": amt,
                "asset": asset,
                "due_at": _local(due),
                "delivered_at": _local(dlv),
                "stage": stage,
            }
        )
    items = services.records.bulk(app, "tickets", rows)["items"]
    return {i["title"]: i["id"] for i in items}
