"""DingTalk (钉钉) internal application: a work notice (工作通知) to one user (their DingTalk
user id), process tasks as DingTalk to-dos (待办, created for the user's unionId and marked
done when the task is closed in Cairn), and the directory."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.integrations.channels.base import ChannelConfig, ChannelMessage, Delivery
from cairn.integrations.channels.dingtalk_api import DingTalkApi
from cairn.integrations.channels.wecom import text_of
from cairn.integrations.channels.work import (
    DirDepartment,
    Directory,
    DirUser,
    Pushed,
    TaskItem,
    WorkPlatform,
    WorkSettings,
    absolute,
)


class DingTalkAppSettings(WorkSettings):
    app_key: str = Field(..., min_length=1, description="The application's AppKey (Client ID)")
    app_secret: str = Field(..., min_length=1, description="The AppSecret (Client Secret)")
    agent_id: int = Field(..., description="The application's AgentId")
    base_url: str = Field("https://oapi.dingtalk.com", description="The old API's address")
    api_url: str = Field("https://api.dingtalk.com", description="The new API's address")


class DingTalkAppChannel(WorkPlatform):
    key = "dingtalk_app"
    settings_model = DingTalkAppSettings
    secret_fields = ("app_secret",)
    recipient_kind = "dingtalk"
    platform = "DingTalk"
    user_column = "dingtalk_userid"
    department_column = "dingtalk_id"

    def api(self, config: ChannelConfig) -> DingTalkApi:
        s: DingTalkAppSettings = self.settings(config)
        return DingTalkApi(
            self.env,
            config,
            self.tokens,
            app_key=s.app_key,
            app_secret=s.app_secret,
            agent_id=s.agent_id,
            base_url=s.base_url,
            api_url=s.api_url,
            timeout=s.timeout,
        )

    def payload(self, message: ChannelMessage, s: DingTalkAppSettings) -> dict[str, Any]:
        link = absolute(message.link, s.link_base) if message.link else ""
        if link.startswith(("http://", "https://")):
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
        return {"msgtype": "text", "text": {"content": text_of(message)}}

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: DingTalkAppSettings = self.settings(config)
        data = self.api(config).send_notice(message.recipient, self.payload(message, s))
        return Delivery(self.key, message.recipient, detail={"task_id": data.get("task_id")})

    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        s: DingTalkAppSettings = self.settings(config)
        api = self.api(config)
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
        api = self.api(config)
        union = unionid or api.unionid(userid)
        return api.finish_todo(union, remote_id, userid)

    def directory(self, config: ChannelConfig) -> Directory:
        api = self.api(config)
        raw = api.departments()
        depts = [
            DirDepartment(
                str(d["dept_id"]),
                str(d.get("name") or d["dept_id"]),
                str(d["parent_id"]) if d.get("parent_id") else None,
                i,
            )
            for i, d in enumerate(raw)
        ]
        users: dict[str, DirUser] = {}
        for d in depts:
            for u in api.users(int(d.id)):
                if u["userid"] in users:
                    continue
                users[u["userid"]] = DirUser(
                    userid=str(u["userid"]),
                    name=str(u.get("name") or u["userid"]),
                    mobile=u.get("mobile") or None,
                    email=u.get("email") or u.get("org_email") or None,
                    departments=tuple(str(x) for x in u.get("dept_id_list") or []),
                    active=u.get("active", True) is not False,
                    unionid=u.get("unionid") or None,
                )
        return Directory(depts, list(users.values()))
