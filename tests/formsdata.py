"""The linkage rules the forms tests share (API and browser): 驳回原因 shown and required when 状态
is 已驳回, VIN shown and the priority's options limited for 整车, 含税金额 set from the amount."""

from __future__ import annotations

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
