"""What the work platforms (WeCom, DingTalk) do besides messages, in one shape for both:
push a process task to a person as a to-do (or task card) and close it there, and read the
directory (departments and people) for the directory sync.

Each platform's channel (``wecom_app``, ``dingtalk_app``) implements ``WorkPlatform``: the
base sends a message to one person through the platform's ``work_api.WorkApi`` (one access
token per config, kept in the channel's ``TokenCache``) and walks the directory; a platform
says how a linked message looks, how it names its departments and people, and how a task is
pushed and closed. The task push and the directory sync decide when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)
from cairn.integrations.channels.tokens import TokenCache
from cairn.integrations.channels.wecom import text_of
from cairn.integrations.channels.work_api import WorkApi


class WorkSettings(ChannelSettings):
    """Settings both platforms' applications share."""

    link_base: str = Field(
        "",
        title="Cairn's address",
        description="Cairn's web address as people open it (https://crm.example.cn): links "
        "in notices and to-dos are made absolute with it",
    )
    push_tasks: bool = Field(
        False, title="Push tasks as to-dos", description="Push process tasks to people as to-dos"
    )
    daily_sync: bool = Field(
        False,
        title="Sync the directory nightly",
        description="Sync departments and people every night",
    )
    timeout: float = Field(10.0, gt=0, le=120, title="Time-out (seconds)")


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
    #: The platform's API client (built from a config's settings).
    api_class: ClassVar[type[WorkApi]] = WorkApi
    #: The field of the platform's answer to a message that names it (for the delivery).
    sent_id: ClassVar[str] = ""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.tokens = TokenCache(env.clock)

    def api(self, config: ChannelConfig) -> Any:
        return self.api_class(self.env, config, self.tokens, self.settings(config))

    # -- a message to one person -----------------------------------------------------------------
    def payload(self, message: ChannelMessage, s: WorkSettings) -> dict[str, Any]:
        """A card opening the message's link (made absolute), or else plain text."""
        link = absolute(message.link, s.link_base) if message.link else ""
        if link.startswith(("http://", "https://")):
            return self.link_card(message, link)
        return {"msgtype": "text", "text": {"content": text_of(message)}}

    def link_card(self, message: ChannelMessage, link: str) -> dict[str, Any]:
        """The platform's message with a button opening ``link`` (an http(s) URL)."""
        raise NotImplementedError

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: WorkSettings = self.settings(config)
        data = self.api(config).send_notice(message.recipient, self.payload(message, s))
        return Delivery(self.key, message.recipient, detail={self.sent_id: data.get(self.sent_id)})

    # -- tasks -----------------------------------------------------------------------------------
    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        raise NotImplementedError

    def close_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, remote_id: str
    ) -> dict[str, Any]:
        raise NotImplementedError

    # -- the directory ---------------------------------------------------------------------------
    def directory(self, config: ChannelConfig) -> Directory:
        """Every department, then the people of each (a person in several departments once)."""
        api = self.api(config)
        depts = [self.dir_department(d, i) for i, d in enumerate(api.departments())]
        users: dict[str, DirUser] = {}
        for d in depts:
            for u in api.users(d.id):
                if u["userid"] not in users:
                    users[u["userid"]] = self.dir_user(u)
        return Directory(depts, list(users.values()))

    def dir_department(self, raw: dict[str, Any], index: int) -> DirDepartment:
        """A department as the platform lists it (``index``: its place in the list)."""
        raise NotImplementedError

    def dir_user(self, raw: dict[str, Any]) -> DirUser:
        raise NotImplementedError
