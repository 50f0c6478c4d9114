"""DingTalk (钉钉) internal application: a work notice (工作通知) to one user (their DingTalk
user id), process tasks as DingTalk to-dos (待办, created for the user's unionId and marked
done when the task is closed in Cairn), and the directory."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.integrations.channels.base import ChannelConfig, ChannelMessage
from cairn.integrations.channels.dingtalk_api import DingTalkApi
from cairn.integrations.channels.work import (
    DirDepartment,
    DirUser,
    Pushed,
    TaskItem,
    WorkPlatform,
    WorkSettings,
    absolute,
)


class DingTalkAppSettings(WorkSettings):
    app_key: str = Field(
        ..., min_length=1, title="AppKey", description="The application's AppKey (Client ID)"
    )
    app_secret: str = Field(
        ..., min_length=1, title="AppSecret", description="The AppSecret (Client Secret)"
    )
    agent_id: int = Field(..., title="AgentId", description="The application's AgentId")
    base_url: str = Field(
        "https://oapi.dingtalk.com", title="API address", description="The old API's address"
    )
    api_url: str = Field(
        "https://api.dingtalk.com", title="New API address", description="The new API's address"
    )


class DingTalkAppChannel(WorkPlatform):
    key = "dingtalk_app"
    title = "DingTalk application (work notices, to-dos)"
    settings_model = DingTalkAppSettings
    secret_fields = ("app_secret",)
    recipient_kind = "dingtalk"
    platform = "DingTalk"
    user_column = "dingtalk_userid"
    department_column = "dingtalk_id"
    api_class = DingTalkApi
    sent_id = "task_id"

    def link_card(self, message: ChannelMessage, link: str) -> dict[str, Any]:
        return {
            "msgtype": "action_card",
            "action_card": {
                "title": (message.subject or message.body[:20])[:64],
                "markdown": (f"**{message.subject}**\n\n" if message.subject else "")
                + message.body,
                "single_title": "查看详情",
                "single_url": link,
            },
        }

    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        s: DingTalkAppSettings = self.settings(config)
        api: DingTalkApi = self.api(config)
        union = unionid or api.unionid(userid)
        link = absolute(item.link, s.link_base)
        body: dict[str, Any] = {
            # Cairn's id of the to-do: the same task for the same person is one to-do.
            "sourceId": f"cairn-task-{item.task_id}-{userid}",
            "subject": item.title[:1024],
            "description": item.description[:4096],
            "creatorId": union,
            "executorIds": [union],
            "participantIds": [union],
            "isOnlyShowExecutor": True,
            "notifyConfigs": {"dingNotify": "1"},
        }
        if link.startswith(("http://", "https://")):
            body["detailUrl"] = {"appUrl": link, "pcUrl": link}
        if item.due_at is not None:
            body["dueTime"] = int(item.due_at.timestamp() * 1000)
        data = api.create_todo(union, body, userid)
        todo = data.get("id")
        if not todo:
            raise self.fail(config, "DingTalk answered the to-do without an id", False, userid)
        return Pushed(str(todo), {"id": todo}, unionid=union)

    def close_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, remote_id: str
    ) -> dict[str, Any]:
        api: DingTalkApi = self.api(config)
        union = unionid or api.unionid(userid)
        return api.finish_todo(union, remote_id, userid)

    def dir_department(self, raw: dict[str, Any], index: int) -> DirDepartment:
        return DirDepartment(
            str(raw["dept_id"]),
            str(raw.get("name") or raw["dept_id"]),
            str(raw["parent_id"]) if raw.get("parent_id") else None,
            index,
        )

    def dir_user(self, raw: dict[str, Any]) -> DirUser:
        return DirUser(
            userid=str(raw["userid"]),
            name=str(raw.get("name") or raw["userid"]),
            mobile=raw.get("mobile") or None,
            email=raw.get("email") or raw.get("org_email") or None,
            departments=tuple(str(x) for x in raw.get("dept_id_list") or []),
            active=raw.get("active", True) is not False,
            unionid=raw.get("unionid") or None,
        )
