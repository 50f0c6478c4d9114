"""The rules of an import job, apart from where it is stored: the modes and phases, when a
job may be started, the settings a start chooses (mode, key, the permissions it needs), its
progress (rows a second, time left) and the shapes the API shows of its file and fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cairn.core import Invalid
from cairn.imports import matching
from cairn.imports.sources import Source
from cairn.meta import Field
from cairn.store import TableSchema

MODES = ("insert", "upsert", "update", matching.MODE)
PHASES = ("dry_run", "run")
#: What a job may be started from (a finished dry run leads to the run; a queued job not yet
#: taken by a worker may be started again with other settings).
STARTABLE = ("uploaded", "queued", "done", "failed", "cancelled")


def startable(row: Any) -> None:
    """A job may be started (or re-read) while its status allows and its file is there."""
    if row.status not in STARTABLE:
        raise Invalid.on("import", "import.state", status=row.status)
    if not row.file_path:
        raise Invalid.on("import", "import.expired")


def mode_and_key(
    body: dict[str, Any],
    s: TableSchema,
    mapped: list[str | None],
    has_match_rules: Callable[[], bool],
) -> tuple[str, str | None]:
    """The mode and key a start asks for, checked: an upsert or update names a unique,
    mapped key; a match needs the table's One-ID rules (they find the record, no key)."""
    mode = body.get("mode", "insert")
    if mode not in MODES:
        raise Invalid.on("mode", "import.mode")
    key = body.get("key") or None
    if mode == matching.MODE:
        if not has_match_rules():
            raise Invalid.on("mode", "import.match_no_rules", table=s.table.name)
        return mode, None
    if key is not None:
        f = s.by_key.get(key) if isinstance(key, str) else None
        if f is None or not f.unique:
            raise Invalid.on("key", "import.key", field=str(key)[:100])
        if key not in mapped:
            raise Invalid.on("key", "import.key_unmapped", field=key)
    elif mode != "insert":
        raise Invalid.on("key", "import.key_required")
    return mode, key


def actions_of(mode: str) -> tuple[str, ...]:
    """The record permissions a mode needs."""
    if mode == "insert":
        return ("create",)
    if mode == "update":
        return ("update",)
    return ("create", "update")


def final_status(row: Any, status: str) -> str:
    """A run that ended while its owner asked to cancel it counts as cancelled."""
    return "cancelled" if row.cancel_requested and status == "done" else status


def start_details(settings: dict[str, Any], job_id: int, file_name: str) -> dict[str, Any]:
    """What the audit entry of a started run says."""
    details = {k: settings[k] for k in ("mode", "key", "run_rules")}
    details.update(import_id=job_id, file=file_name)
    return details


def end_details(row: Any, status: str) -> dict[str, Any]:
    """What the audit entry of a finished run says: its settings and counts."""
    st = row.settings
    return {
        "import_id": row.id,
        "file": row.file_name,
        "status": status,
        "mode": st.get("mode"),
        "key": st.get("key"),
        "run_rules": bool(st.get("run_rules")),
        "rows": row.offset,
        **{k: getattr(row, k) for k in ("created", "updated", "skipped", "refused")},
    }


def progress(row: Any, now: datetime) -> tuple[float | None, float | None]:
    """(rows a second, seconds left) of a running or finished job, counted from the rows
    this run did (a resumed job's earlier rows are not its speed)."""
    rate = eta = None
    if row.started_at is not None and row.status in ("running", "done"):
        end = row.finished_at or now
        seconds = (end - row.started_at).total_seconds()
        worked = row.offset - (row.started_offset or 0)
        if seconds > 0 and worked > 0:
            rate = round(worked / seconds, 1)
            if row.total_rows and row.status == "running":
                eta = round(max(row.total_rows - row.offset, 0) / rate, 1)
    return rate, eta


def source_json(src: Source) -> dict[str, Any]:
    return {
        "kind": src.kind,
        "encoding": src.encoding,
        "sheet": src.sheet,
        "sheets": src.sheets,
        "header_rows": src.header_rows,
        "header": src.header,
    }


def field_json(f: Field) -> dict[str, Any]:
    return {
        "key": f.key,
        "name": f.name,
        "type": f.type,
        "unique": f.unique,
        "required": f.required,
    }


def latest(saved: list[Any]) -> dict[str, str | None] | None:
    """The most recently saved mapping (what last month's import used)."""
    if not saved:
        return None
    return max(saved, key=lambda m: m.updated_at).mapping
