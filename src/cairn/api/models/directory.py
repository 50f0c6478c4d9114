"""Replies of the directory sync from WeCom / DingTalk: the runs and their reports."""

from __future__ import annotations

from typing import Any

from cairn.api.models.base import Reply


class SyncCounts(Reply):
    created: int
    updated: int
    linked: int = 0


class SyncReport(Reply):
    """What a directory sync did: departments and users created / updated (users also
    ``linked``: an existing user matched by mobile or e-mail and given the platform id),
    what is gone or inactive upstream (``missing``: nothing is deleted), and the errors."""

    departments: SyncCounts
    users: SyncCounts
    missing: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class DirectorySyncRun(Reply):
    id: int
    channel: str
    #: "manual" or "daily".
    trigger: str
    actor_id: int | None
    #: "running", "ok", "partial" (with errors) or "failed".
    status: str
    started_at: str
    finished_at: str | None
    report: SyncReport


class DirectorySyncRuns(Reply):
    items: list[DirectorySyncRun]
