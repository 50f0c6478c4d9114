"""WeCom (企业微信) group robot: POST {"msgtype": "text" | "markdown", ...} to its webhook URL;
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

#: 45009: the robot's rate limit (20 messages a minute): later is fine.
RETRY_CODES = frozenset({-1, 45009})


class WeComSettings(ChannelSettings):
    url: str = Field(
        ...,
        title="Robot webhook URL",
        description="The group robot's webhook URL (holds its key: stored encrypted)",
    )
    msgtype: Literal["text", "markdown"] = Field("text", title="Message type")
    mentioned_mobiles: list[str] = Field(
        default_factory=list,
        title="@ mobiles",
        description="Mobile numbers to @mention in every message (text only)",
    )
    timeout: float = Field(10.0, gt=0, le=120, title="Time-out (s)")


def robot_mobile(number: str) -> str:
    """A mobile number as the robots match it: mainland numbers without +86, no separators."""
    n = number.replace(" ", "").replace("-", "")
    return n[3:] if n.startswith("+86") else n


def text_of(message: ChannelMessage) -> str:
    parts = [p for p in (message.subject, message.body) if p]
    if message.link and message.link not in message.body:
        parts.append(message.link)
    return "\n".join(parts)


class WeComChannel(Channel):
    key = "wecom"
    title = "WeCom group robot"
    settings_model = WeComSettings
    secret_fields = ("url",)

    def check_settings(self, s: WeComSettings) -> dict[str, Message]:
        out = super().check_settings(s)
        if (m := checks.mobiles(s.mentioned_mobiles)) is not None:
            out["mentioned_mobiles"] = m
        return out

    def payload(self, message: ChannelMessage, s: WeComSettings) -> dict[str, Any]:
        if s.msgtype == "markdown":
            head = f"**{message.subject}**\n" if message.subject else ""
            link = f"\n[{message.link}]({message.link})" if message.link else ""
            return {"msgtype": "markdown", "markdown": {"content": head + message.body + link}}
        text: dict[str, Any] = {"content": text_of(message)}
        mentions = [robot_mobile(m) for m in message.mentions]
        mobiles = list(dict.fromkeys([*s.mentioned_mobiles, *mentions]))
        if mobiles:
            text["mentioned_mobile_list"] = mobiles
        return {"msgtype": "text", "text": text}

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: WeComSettings = self.settings(config)
        body = http.json_body(self.payload(message, s))
        r = http.request(
            self.env,
            config,
            "POST",
            s.url,
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=s.timeout,
        )
        http.check_errcode(config, r, RETRY_CODES)
        return Delivery(self.key, config.key, detail={"errcode": 0}, response=http.described(r))
