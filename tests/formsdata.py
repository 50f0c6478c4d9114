"""What the forms tests share (API and browser): the linkage rules (驳回原因 shown and required when
状态 is 已驳回, VIN shown and the priority's options limited for 整车, 含税金额 set from the amount),
and an app with a public booking form to publish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

LINKAGE_RULES: list[dict[str, Any]] = [
    {
        "name": "驳回须填原因",
        "when": '{状态} = "已驳回"',
        "actions": [
            {"type": "show", "sections": ["s_reject"]},
            {"type": "require", "fields": ["reason"]},
        ],
    },
    {
        "name": "整车填VIN",
        "when": '{kind} = "整车"',
        "actions": [
            {"type": "show", "fields": ["vin"]},
            {"type": "options", "field": "priority", "options": ["高", "中"]},
        ],
    },
    {
        "name": "含税",
        "when": "NOT(ISBLANK({amount}))",
        "actions": [{"type": "set", "field": "gross", "value": "{amount} * 1.13"}],
    },
]


# -- a public booking form (tests/api/test_public_forms.py, tests/web/test_web_public_form.py) -----
SERVICES = ["保养", "维修", "钣喷"]
BOOKING_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "name": "姓名", "type": "text", "required": True},
    {"key": "phone", "name": "手机", "type": "phone", "required": True},
    {"key": "service", "name": "服务项目", "type": "single_select", "required": True, "options": {"choices": [{"value": v} for v in SERVICES]}},
    {"key": "day", "name": "预约日期", "type": "date", "options": {"default_formula": "TODAY() + 1"}},
    {"key": "notes", "name": "故障描述", "type": "long_text"},
    {"key": "internal", "name": "内部备注", "type": "text"},
]  # fmt: skip
REPAIR_RULE = {"name": "维修须描述故障", "when": '{service} = "维修"', "actions": [{"type": "require", "fields": ["notes"]}]}  # fmt: skip


def add_bookings(
    call: Callable[[str, str, dict[str, Any]], Any],
    app: str,
    app_name: str,
    *,
    desk: str,
    role: str,
    extra_fields: Sequence[dict[str, Any]] = (),
    rules: Sequence[dict[str, Any]] = (REPAIR_RULE,),
) -> None:
    """App ``app``: customers, and bookings (``BOOKING_FIELDS``, ``extra_fields``, a customer
    relation) with the form variant ``booking`` (预约保养: name and phone, then service, day,
    notes and customer; ``rules``); the existing user ``desk`` in role ``role`` may create and
    read their own bookings and read customers. ``call(method, path, body)`` is the API."""
    tables = f"/api/v1/apps/{app}/tables"
    call("POST", "/api/v1/apps", {"key": app, "name": app_name})
    customers = {"key": "customers", "name": "客户", "display_field": "name", "fields": [{"key": "name", "name": "名称", "type": "text"}]}  # fmt: skip
    call("POST", tables, customers)
    call(
        "POST",
        tables,
        {"key": "bookings", "name": "预约", "fields": [*BOOKING_FIELDS, *extra_fields]},
    )
    relation = {"target_table": "customers", "multiple": False}
    call(
        "POST",
        f"{tables}/bookings/fields",
        {"key": "customer", "name": "客户", "type": "relation", "options": relation},
    )
    sections = [
        {"title": "您的信息", "rows": [["name", "phone"]]},
        {"title": "预约", "rows": [["service", "day"], ["notes"], ["customer"]]},
    ]
    variant = {
        "key": "booking",
        "name": "预约保养",
        "layout": {"sections": sections, "rules": list(rules)},
    }
    call("POST", f"{tables}/bookings/forms", variant)
    grants = [
        {"app": app, "table": "bookings", "actions": ["create", "read"], "row_scope": "own"},
        {"app": app, "table": "customers", "actions": ["read"]},
    ]
    call(
        "POST", "/api/v1/roles", {"key": role, "name": "前台", "members": [desk], "tables": grants}
    )
