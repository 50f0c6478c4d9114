"""A rule and a run as the API shows them, and a rule's spec as it is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cairn.rules.spec import RuleSpec

#: What an app package keeps of a rule (``RuleService.export_in``), in this order.
EXPORTED = ("key", "name", "description", "table", "enabled", "trigger", "condition", "actions")


def iso(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat(timespec="seconds") + "Z"


def spec_json(spec: RuleSpec) -> dict[str, Any]:
    """The spec as the rules table stores it."""
    return spec.model_dump(mode="json", by_alias=True, exclude_none=True)


#: The secret's place in a webhook address shown after it was first given.
MASKED = "••••••••"


def hook_path(rule_id: int, secret: str) -> str:
    return f"/api/v1/hooks/rules/{rule_id}/{secret}"


def rule_public(row: Any, table_key: str, reveal: bool = False) -> dict[str, Any]:
    """A rule as the API shows it. An inbound webhook's secret is shown once (``reveal``: in
    the reply that made it); afterwards the address has it masked and ``secret`` is null."""
    spec = row["spec"] or {}
    out = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "description": row["description"],
        "table": table_key,
        "enabled": bool(row["enabled"]),
        "owner_id": row["owner_id"],
        "trigger": spec.get("trigger"),
        "condition": spec.get("condition"),
        "actions": spec.get("actions", []),
        "version": row["version"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }
    if row["secret"]:
        out["webhook"] = {
            "path": hook_path(row["id"], row["secret"] if reveal else MASKED),
            "secret": row["secret"] if reveal else None,
            "has_secret": True,
        }
    return out


def exported(public: dict[str, Any]) -> dict[str, Any]:
    """A rule as an app package keeps it: ``EXPORTED``, without what is unset."""
    return {k: public[k] for k in EXPORTED if public[k] is not None}


def run_public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trigger": row["trigger"],
        "event_id": row["event_id"],
        "record_id": row["record_id"],
        "status": row["status"],
        "late": bool(row["late"]),
        "condition": row["condition"],
        "depth": row["depth"],
        "actions": row["actions"] or [],
        "error": row["error"],
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
    }


def last_run_public(row: Any | None) -> dict[str, Any] | None:
    """A rule's latest run as its list shows it (None: never run)."""
    if row is None:
        return None
    return {
        "id": row["id"],
        "status": row["status"],
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
    }
