"""WeCom (企业微信) self-built application: a message to one member (``touser``: their WeCom
user id), process tasks as task cards (模板卡片, button interaction: opening the task; the
button turns to 已处理 when the task is done in Cairn), and the directory."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cairn.integrations.channels.base import ChannelConfig, ChannelMessage
from cairn.integrations.channels.wecom_api import WeComApi
from cairn.integrations.channels.work import (
    DirDepartment,
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
    corp_id: str = Field(..., min_length=1, title="Corp ID", description="The corp id (企业ID)")
    secret: str = Field(..., min_length=1, title="Secret", description="The application's Secret")
    agent_id: int = Field(..., title="AgentId", description="The application's AgentId")
    base_url: str = Field(
        "https://qyapi.weixin.qq.com", title="API address", description="The API's address"
    )


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
    title = "WeCom application (messages, task cards)"
    settings_model = WeComAppSettings
    secret_fields = ("secret",)
    recipient_kind = "wecom"
    platform = "WeCom"
    user_column = "wecom_userid"
    department_column = "wecom_id"
    api_class = WeComApi
    sent_id = "msgid"

    def link_card(self, message: ChannelMessage, link: str) -> dict[str, Any]:
        return {
            "msgtype": "textcard",
            "textcard": {
                "title": (message.subject or message.body[:40])[:128],
                "description": message.body[:512],
                "url": link,
                "btntxt": "详情",
            },
        }

    def push_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, item: TaskItem
    ) -> Pushed:
        s: WeComAppSettings = self.settings(config)
        data = self.api(config).send_notice(userid, card(item, s.link_base))
        code = data.get("response_code")
        if not code:
            raise self.fail(config, "WeCom answered the task card without a response_code", False)
        return Pushed(str(code), {"msgid": data.get("msgid")})

    def close_task(
        self, config: ChannelConfig, userid: str, unionid: str | None, remote_id: str
    ) -> dict[str, Any]:
        return self.api(config).update_card(userid, remote_id, DONE_LABEL)

    def dir_department(self, raw: dict[str, Any], index: int) -> DirDepartment:
        return DirDepartment(
            str(raw["id"]),
            str(raw.get("name") or raw["id"]),
            str(raw["parentid"]) if raw.get("parentid") else None,
            int(raw.get("order") or 0),
        )

    def dir_user(self, raw: dict[str, Any]) -> DirUser:
        ids = [str(x) for x in raw.get("department") or []]
        main = str(raw.get("main_department") or (ids[0] if ids else ""))
        return DirUser(
            userid=str(raw["userid"]),
            name=str(raw.get("name") or raw["userid"]),
            mobile=raw.get("mobile") or None,
            email=raw.get("email") or raw.get("biz_mail") or None,
            departments=tuple(dict.fromkeys([main, *ids] if main else ids)),
            active=raw.get("status", 1) in ACTIVE_STATUSES,
        )
