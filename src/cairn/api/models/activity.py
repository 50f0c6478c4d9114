"""Replies about what happens around records: the audit log, comments, notifications and
saved grid views."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.api.models.base import Reply


class AuditEntry(Reply):
    id: int
    at: str
    actor_id: int | None
    actor_name: str | None
    channel: str | None
    address: str | None
    action: str
    target_type: str | None
    target_id: str | None
    app_id: int | None
    table_id: int | None
    #: Names resolved by the server (also of a deleted app, table or record).
    app_name: str | None = None
    table_name: str | None = None
    #: The title (display field) of the record the entry names; null for other targets.
    target_title: str | None = None
    details: Any
    hash: str


class AuditPage(Reply):
    items: list[AuditEntry]
    next_cursor: str | None
    total: int | None


class AuditVerification(Reply):
    ok: bool
    checked: int
    broken_id: int | None
    reason: str | None


class CommentAuthor(Reply):
    id: int
    username: str
    display_name: str


class Comment(Reply):
    id: int
    record_id: int
    author_id: int | None
    author: CommentAuthor | None
    body: str
    mentions: list[int]
    created_at: str
    #: In the reply to a new comment: mentioned users who may not read the record (no notice).
    not_notified: list[str] = Field(default_factory=list)


class CommentPage(Reply):
    items: list[Comment]
    next_cursor: str | None
    total: int | None


class Notification(Reply):
    id: int
    title: str
    body: str
    link: str | None
    app_id: int | None
    table_id: int | None
    record_id: int | None
    created_at: str
    read_at: str | None
    read: bool


class NotificationPage(Reply):
    items: list[Notification]
    next_cursor: str | None
    unread: int


class UnreadCount(Reply):
    unread: int


class MarkedRead(Reply):
    marked: int


class GridView(Reply):
    id: int
    name: str
    shared: bool
    owner_id: int | None
    mine: bool
    editable: bool
    #: What the view restores: ``filter``, ``sort``, ``columns`` and ``widths``.
    config: dict[str, Any]
    version: int
    updated_at: str


class GridViewList(Reply):
    items: list[GridView]
    #: Whether the caller may save shared views (who manages the table).
    can_share: bool
