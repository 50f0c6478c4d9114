"""Outbound webhook: a JSON POST signed with HMAC-SHA256 (``X-Cairn-Signature``)."""

from __future__ import annotations

from pydantic import Field

from cairn.integrations.channels import http
from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)
from cairn.integrations.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature


class WebhookSettings(ChannelSettings):
    url: str = Field(
        "",
        title="Target URL",
        description="Default target; a message's own URL takes precedence",
    )
    secret: str = Field(
        "",
        title="Signing secret",
        description="Signs each body (X-Cairn-Signature); empty: unsigned (stored encrypted)",
    )
    headers: dict[str, str] = Field(
        default_factory=dict, title="Headers", description="Sent with every call (stored encrypted)"
    )
    timeout: float = Field(10.0, gt=0, le=120, title="Time-out (s)")


class WebhookChannel(Channel):
    key = "webhook"
    title = "Outbound webhook"
    settings_model = WebhookSettings
    secret_fields = ("secret", "headers")
    config_optional = True

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s: WebhookSettings = self.settings(config)
        url = message.url or s.url
        if not url:
            raise self.fail(config, "no target URL", False)
        payload = dict(message.data) or {
            "subject": message.subject,
            "text": message.body,
            "link": message.link,
        }
        body = http.json_body(payload)
        ts = str(int(self.env.clock.now().timestamp()))
        headers = {**s.headers, "Content-Type": "application/json", TIMESTAMP_HEADER: ts}
        if s.secret:
            headers[SIGNATURE_HEADER] = webhook_signature(s.secret, body)
        if message.idempotency_key:
            headers["X-Cairn-Idempotency-Key"] = message.idempotency_key
        r = http.request(
            self.env, config, "POST", url, content=body, headers=headers, timeout=s.timeout
        )
        return Delivery(
            self.key, url, detail={"status_code": r.status_code}, response=http.described(r)
        )
