"""WeCom (企业微信) self-built application: a message to one member (``touser``: their WeCom
user id), process tasks as task cards (模板卡片, button interaction: opening the task; the
button turns to 已处理 when the task is done in Cairn), and the directory."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.integrations.channels.base import ChannelConfig, ChannelMessage, Delivery
from cairn.integrations.channels.wecom import text_of
from cairn.integrations.channels.wecom_api import WeComApi
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

#: WeCom member status: 1 active, 2 disabled, 4 not yet joined, 5 left.
ACTIVE_STATUSES = frozenset({1, 4})
#: What a task card's button says once the task is closed in Cairn.
DONE_LABEL = "已处理"


class WeComAppSettings(WorkSettings):
    corp_id: str = Field(..., min_length=1, description="The corp id (企业ID)")
    secret: str = Field(..., min_length=1, description="The application's Secret")
    agent_id: int = Field(..., description="The application's AgentId")
    base_url: str = Field("https://qyapi.weixin.qq.com", description="The API's address")


def card(item: TaskItem, link_base: str) -> dict[str, Any]:
    """A button-interaction card for a task (``task_id`` unique per task and person)."""
    link = absolute(item.link, link_base)
    main = {"title": item.title[:36], "desc": (item.description or "")[:44]}
    button: dict[str, Any] = {"text": "去处理", "style": 1, "key": f"open-{item.task_id}"}
    if link.startswith(("http://", "https://")):
        button.update(type=1, url=link)
    return {
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": main,
            "task_id": f"cairn-task-{item.task_id}",
            "button_list": [button],
            **({"card_action": {"type": 1, "url": link}} if link.startswith("http") else {}),
        },
    }


class WeComAppChannel(WorkPlatform):
    key = "wecom_app"
    settings_model = WeComAppSettings
    secret_fields = ("secret",)
    recipient_kind = "wecom"
    platform = "WeCom"
    user_column = "wecom_userid"
    department_column = "wecom_id"

    def api(self, config: ChannelConfig) -> WeComApi:
        s: WeComAppSettings = self.settings(config)
        return WeComApi(
            self.env,
            config,
            self.tokens,
            corp_id=s.corp_id,
            secret=s.secret,
            agent_id=s.agent_id,
            base_url=s.base_url,
            timeout=s.timeout,
        )

    def payload(self, message: ChannelMessage, s: WeComAppSettings) -> dict[str, Any]:
        link = absolute(message.link, s.link_base) if message.link else ""
        if link.startswith(("http://", "https://")):
            return {
                "msgtype": "textcard",
                "textcard": {
                    "title": (message.subject or message.body[:40])[:128],
                    "description": message.body[:512],
                    "url": link,
                    "btntxt": "详情",
                },
            }
        return {"msgtype": "text", "text": {"content": text_of(message)}}

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: WeComAppSettings = self.settings(config)
        data = self.api(config).send(message.recipient, self.payload(message, s))
        return Delivery(self.key, message.recipient, detail={"msgid": data.get("msgid")})

    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        s: WeComAppSettings = self.settings(config)
        data = self.api(config).send(userid, card(item, s.link_base))
        code = data.get("response_code")
        if not code:
            raise self.fail(config, "WeCom answered the task card without a response_code", False)
        return Pushed(str(code), {"msgid": data.get("msgid")})

    def close_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, remote_id: str
    ) -> dict[str, Any]:
        return self.api(config).update_card(userid, remote_id, DONE_LABEL)

    def directory(self, config: ChannelConfig) -> Directory:
        api = self.api(config)
        depts = [
            DirDepartment(
                str(d["id"]),
                str(d.get("name") or d["id"]),
                str(d["parentid"]) if d.get("parentid") else None,
                int(d.get("order") or 0),
            )
            for d in api.departments()
        ]
        users: dict[str, DirUser] = {}
        for d in depts:
            for u in api.users(d.id):
                if u["userid"] in users:
                    continue
                ids = [str(x) for x in u.get("department") or []]
                main = str(u.get("main_department") or (ids[0] if ids else ""))
                ordered = tuple(dict.fromkeys([main, *ids] if main else ids))
                users[u["userid"]] = DirUser(
                    userid=str(u["userid"]),
                    name=str(u.get("name") or u["userid"]),
                    mobile=u.get("mobile") or None,
                    email=u.get("email") or u.get("biz_mail") or None,
                    departments=ordered,
                    active=u.get("status", 1) in ACTIVE_STATUSES,
                )
        return Directory(depts, list(users.values()))
