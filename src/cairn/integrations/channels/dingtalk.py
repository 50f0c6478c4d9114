"""DingTalk (钉钉) group robot: POST to its webhook URL, signed when a secret is set
(``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "timestamp\\nsecret">``);
success is ``errcode == 0``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cairn.core import Message
from cairn.integrations.channels import checks, http
from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)
from cairn.integrations.channels.wecom import robot_mobile, text_of
from cairn.integrations.signing import dingtalk_sign

#: -1: busy; 130101: sending too fast (20 a minute). Both pass with time.
RETRY_CODES = frozenset({-1, 130101})


class DingTalkSettings(ChannelSettings):
    url: str = Field(
        ...,
        title="Robot webhook URL",
        description="The group robot's webhook URL (holds its access_token: stored encrypted)",
    )
    secret: str = Field(
        "",
        title="Signing secret",
        description="The robot's signing secret (SEC…), if it has one (stored encrypted)",
    )
    msgtype: Literal["text", "markdown"] = Field("text", title="Message type")
    at_mobiles: list[str] = Field(
        default_factory=list,
        title="@ mobiles",
        description="Mobile numbers to @mention in every message",
    )
    at_all: bool = Field(False, title="@ everyone")
    timeout: float = Field(10.0, gt=0, le=120, title="Time-out (s)")


class DingTalkChannel(Channel):
    key = "dingtalk"
    title = "DingTalk group robot"
    settings_model = DingTalkSettings
    secret_fields = ("url", "secret")

    def check_settings(self, s: DingTalkSettings) -> dict[str, Message]:
        out = super().check_settings(s)
        if (m := checks.mobiles(s.at_mobiles)) is not None:
            out["at_mobiles"] = m
        return out

    def payload(self, message: ChannelMessage, s: DingTalkSettings) -> dict[str, Any]:
        mentions = [robot_mobile(m) for m in message.mentions]
        mobiles = list(dict.fromkeys([*s.at_mobiles, *mentions]))
        at = {"atMobiles": mobiles, "isAtAll": s.at_all}
        # DingTalk shows a mention only when "@<mobile>" is in the text as well.
        tags = "".join(f" @{m}" for m in mentions if m not in s.at_mobiles)
        if s.msgtype == "markdown":
            link = f"\n\n[{message.link}]({message.link})" if message.link else ""
            md = {"title": message.subject or message.body[:20], "text": message.body + link + tags}
            return {"msgtype": "markdown", "markdown": md, "at": at}
        return {"msgtype": "text", "text": {"content": text_of(message) + tags}, "at": at}

    def signed_url(self, s: DingTalkSettings) -> str:
        if not s.secret:
            return s.url
        ts = int(self.env.clock.now().timestamp() * 1000)
        sep = "&" if "?" in s.url else "?"
        return f"{s.url}{sep}timestamp={ts}&sign={dingtalk_sign(s.secret, ts)}"

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: DingTalkSettings = self.settings(config)
        body = http.json_body(self.payload(message, s))
        r = http.request(
            self.env,
            config,
            "POST",
            self.signed_url(s),
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=s.timeout,
        )
        http.check_errcode(config, r, RETRY_CODES)
        return Delivery(self.key, config.key, detail={"errcode": 0}, response=http.described(r))
