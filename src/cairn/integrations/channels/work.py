"""What the work platforms (WeCom, DingTalk) do besides messages, in one shape for both:
push a process task to a person as a to-do (or task card) and close it there, and read the
directory (departments and people) for the directory sync.

Each platform's channel (``wecom_app``, ``dingtalk_app``) implements ``WorkPlatform``; the
services decide when (``services/im_tasks.py``, ``services/im_directory.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from cairn.integrations.channels.base import Channel, ChannelConfig, ChannelSettings
from cairn.integrations.channels.tokens import TokenCache


class WorkSettings(ChannelSettings):
    """Settings both platforms' applications share."""

    link_base: str = Field(
        "",
        description="Cairn's web address as people open it (https://crm.example.cn): links "
        "in notices and to-dos are made absolute with it",
    )
    push_tasks: bool = Field(False, description="Push process tasks to people as to-dos")
    daily_sync: bool = Field(False, description="Sync departments and people every night")
    timeout: float = Field(10.0, gt=0, le=120)


@dataclass(frozen=True)
class TaskItem:
    """A process task as pushed to one person."""

    task_id: int
    title: str
    description: str = ""
    #: Where the task opens in Cairn (absolute when the config has a ``link_base``).
    link: str = ""
    due_at: datetime | None = None


@dataclass(frozen=True)
class Pushed:
    """A task pushed: the platform's id of it (what closing it needs), and what the platform
    answered."""

    remote_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    #: DingTalk: the user's unionId, looked up on the way (Cairn keeps it).
    unionid: str | None = None


@dataclass(frozen=True)
class DirDepartment:
    id: str
    name: str
    parent_id: str | None
    order: int = 0


@dataclass(frozen=True)
class DirUser:
    userid: str
    name: str
    mobile: str | None = None
    email: str | None = None
    #: Department ids, the main one first.
    departments: tuple[str, ...] = ()
    active: bool = True
    unionid: str | None = None


@dataclass(frozen=True)
class Directory:
    departments: list[DirDepartment]
    users: list[DirUser]


def absolute(link: str | None, base: str) -> str:
    """``link`` as people can open it from the platform: a Cairn path under ``base``."""
    if not link:
        return base.rstrip("/") + "/" if base else ""
    if link.startswith("/") and not link.startswith("//") and base:
        return base.rstrip("/") + link
    return link


class WorkPlatform(Channel):
    """A channel of a work platform: messages to one person, to-dos, the directory."""

    #: "WeCom" / "DingTalk": for messages.
    platform: ClassVar[str] = ""
    #: The column of ``users`` / ``departments`` holding the platform's id.
    user_column: ClassVar[str] = ""
    department_column: ClassVar[str] = ""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.tokens = TokenCache(env.clock)

    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        raise NotImplementedError

    def close_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, remote_id: str
    ) -> dict[str, Any]:
        raise NotImplementedError

    def directory(self, config: ChannelConfig) -> Directory:
        raise NotImplementedError
