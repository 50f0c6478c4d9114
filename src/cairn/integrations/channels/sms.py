"""SMS through a configurable HTTP gateway: the URL, method and headers of the provider's API,
a JSON body template over ``{{ phone }}`` and ``{{ text }}`` (values land JSON-escaped), and
what counts as success (a 2xx, and optionally a field of the JSON answer equal to a value)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cairn.core import Invalid, Message
from cairn.integrations import templates
from cairn.integrations.channels import http
from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)

DEFAULT_BODY = '{"phone": "{{ phone }}", "text": "{{ text }}"}'


class SmsSettings(ChannelSettings):
    url: str = Field(..., title="Gateway URL", description="The SMS provider's API address")
    method: Literal["POST", "GET"] = Field("POST", title="Method")
    headers: dict[str, str] = Field(
        default_factory=dict,
        title="Headers",
        description="e.g. the API key header (stored encrypted)",
    )
    #: JSON template; with GET its top-level members become query parameters.
    body: str = Field(
        DEFAULT_BODY,
        title="Body template (JSON)",
        description="JSON with {{ phone }}, {{ text }} and {{ subject }}; with GET its members "
        "become query parameters",
    )
    #: Dotted path into the JSON answer (e.g. "result.code"); empty: any 2xx is success.
    success_field: str = Field(
        "",
        title="Success field",
        description='Dotted path into the JSON answer (e.g. "result.code"); empty: any 2xx',
    )
    success_value: str = Field(
        "", title="Success value", description="The success field's value on success"
    )
    #: Text put before every message (a signature such as 【航服】 many gateways require).
    sign: str = Field("", title="Signature", description="Put before every message, e.g. 【航服】")
    timeout: float = Field(10.0, gt=0, le=120, title="Time-out (s)")


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


#: What a body template is tried with at save time.
SAMPLE = {"phone": "+8613800138000", "text": '【测试】Cairn "test"', "subject": "test"}


class SmsChannel(Channel):
    key = "sms"
    title = "SMS gateway"
    settings_model = SmsSettings
    secret_fields = ("headers",)
    recipient_kind = "phone"

    def check_settings(self, s: SmsSettings) -> dict[str, Message]:
        """The body template must be JSON (refused with the line and column where it stops
        being JSON) and give JSON for a sample message."""
        out = super().check_settings(s)
        try:
            templates.check(s.body, ["phone", "text", "subject"], "body")
        except Invalid as e:
            out["body"] = next(iter(e.field_errors.values()))[0] if e.field_errors else e.message
            return out
        try:
            payload = templates.render_json(s.body, SAMPLE, "body")
        except Invalid:
            where = templates.json_position(s.body)
            if where is None:
                out["body"] = Message("template.not_json")
            else:
                line, column, detail = where
                out["body"] = Message(
                    "channel.json_at", {"line": line, "column": column, "detail": detail}
                )
            return out
        if s.method == "GET" and not isinstance(payload, dict):
            out["body"] = Message("channel.get_object")
        return out

    def text(self, message: ChannelMessage, s: SmsSettings) -> str:
        parts = [p for p in (message.body or message.subject,) if p]
        if message.link and message.link not in message.body:
            parts.append(message.link)
        return s.sign + " ".join(parts)

    def request_body(self, message: ChannelMessage, s: SmsSettings) -> Any:
        ctx = {
            "phone": message.recipient,
            "text": self.text(message, s),
            "subject": message.subject,
        }
        return templates.render_json(s.body, ctx, "body")

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: SmsSettings = self.settings(config)
        to = message.recipient
        try:
            payload = self.request_body(message, s)
        except Invalid as e:
            raise self.fail(config, f"the body template is not usable ({e})", False, to) from None
        headers = dict(s.headers)
        if s.method == "GET":
            params = {k: str(v) for k, v in payload.items()} if isinstance(payload, dict) else None
            r = http.request(
                self.env,
                config,
                "GET",
                s.url,
                params=params,
                headers=headers,
                timeout=s.timeout,
                to=to,
            )
        else:
            headers.setdefault("Content-Type", "application/json")
            r = http.request(
                self.env,
                config,
                "POST",
                s.url,
                content=http.json_body(payload),
                headers=headers,
                timeout=s.timeout,
                to=to,
            )
        if s.success_field:
            got = _at(http.answer(r), s.success_field)
            if str(got) != s.success_value:
                raise self.fail(
                    config,
                    f"the gateway refused: {s.success_field}={got!r} ({r.text[:200]})",
                    False,
                    to,
                    http.described(r),
                )
        return Delivery(
            self.key, to, detail={"status_code": r.status_code}, response=http.described(r)
        )
