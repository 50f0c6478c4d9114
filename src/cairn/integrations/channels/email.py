"""E-mail over SMTP (stdlib ``smtplib``): STARTTLS, implicit TLS ("ssl") or plain, optional
login, a From address and a time-out. Settings left empty come from ``CAIRN_SMTP_*``."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from pydantic import Field

from cairn.core import Message
from cairn.integrations.channels import checks
from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelError,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)


class EmailSettings(ChannelSettings):
    host: str = Field(
        "", title="SMTP server", description="Host name; empty: the server's CAIRN_SMTP_HOST"
    )
    port: int | None = Field(
        None, ge=1, le=65535, title="Port", description="Default 587, 465 (ssl) or 25 (plain)"
    )
    security: Literal["starttls", "ssl", "plain"] | None = Field(
        None, title="Security", description="STARTTLS (default), TLS from the start, or none"
    )
    username: str = Field("", title="User name", description="For SMTP login; empty: none")
    password: str = Field("", title="Password", description="Stored encrypted")
    sender: str = Field(
        "", title="From", description="The From address, e.g. 航服中心 <noreply@example.com>"
    )
    timeout: float | None = Field(
        None, gt=0, le=120, title="Time-out (s)", description="Default 10 seconds"
    )
    #: PEM certificate(s) to trust instead of the system CAs (a company CA, a self-signed server).
    ca_pem: str = Field(
        "",
        title="CA certificate (PEM)",
        description="Trust this certificate instead of the system's (a company CA)",
    )


DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "plain": 25}


class EmailChannel(Channel):
    key = "email"
    title = "E-mail (SMTP)"
    settings_model = EmailSettings
    secret_fields = ("password",)
    recipient_kind = "email"
    config_optional = True

    def check_settings(self, s: EmailSettings) -> dict[str, Message]:
        out = super().check_settings(s)
        if s.host and (m := checks.host(s.host)) is not None:
            out["host"] = m
        if s.sender and (m := checks.address(s.sender)) is not None:
            out["sender"] = m
        if s.ca_pem:
            try:
                ssl.create_default_context(cadata=s.ca_pem)
            except (ssl.SSLError, ValueError) as e:
                out["ca_pem"] = Message("channel.certificate", {"detail": str(e)[:200]})
        return out

    def effective(self, config: ChannelConfig) -> EmailSettings:
        """The config over the ``CAIRN_SMTP_*`` defaults (a set value wins)."""
        own = {k: v for k, v in dict(config.settings).items() if v not in (None, "")}
        merged = {**{k: v for k, v in self.env.smtp_defaults.items() if v not in (None, "")}, **own}
        return self.settings(ChannelConfig(config.key, config.kind, merged))

    def build(self, message: ChannelMessage, s: EmailSettings) -> EmailMessage:
        m = EmailMessage()
        # A rendered subject may span lines; a header may not (header injection).
        m["Subject"] = " ".join(message.subject.split())
        m["From"] = s.sender
        m["To"] = message.recipient
        m["Date"] = formatdate(self.env.clock.now().timestamp(), localtime=False)
        m["Message-ID"] = make_msgid(domain=(s.sender.rpartition("@")[2].strip(">") or None))
        if message.idempotency_key:
            m["X-Cairn-Idempotency-Key"] = message.idempotency_key
        text = message.body
        if message.link and message.link not in text:
            text = f"{text}\n\n{message.link}"
        m.set_content(text)
        html = message.data.get("html") if message.data else None
        if isinstance(html, str) and html:
            m.add_alternative(html, subtype="html")
        return m

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        s = self.effective(config)
        to = message.recipient
        if not s.host or not s.sender:
            raise self.fail(config, "no SMTP server or From address is configured", False, to)
        security = s.security or "starttls"
        port = s.port or DEFAULT_PORTS[security]
        timeout = s.timeout or 10.0
        try:
            msg = self.build(message, s)
        except (ValueError, TypeError, IndexError) as e:  # an address the e-mail package refuses
            raise self.fail(config, f"the message cannot be built: {e}", False, to) from None
        try:
            tls = ssl.create_default_context(cadata=s.ca_pem or None)
        except UnicodeEncodeError:
            # smtplib sends AUTH in ASCII only.
            raise self.fail(
                config, "the SMTP user name and password must be ASCII", False, to
            ) from None
        except ssl.SSLError as e:
            raise self.fail(config, f"the CA certificate is not usable: {e}", False, to) from None
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, port, timeout=timeout, context=tls)
            else:
                smtp = smtplib.SMTP(s.host, port, timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=tls)
                if s.username:
                    smtp.login(s.username, s.password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [c for c, _ in e.recipients.values()]
            raise self._error(config, f"recipient refused: {e.recipients}", codes, to) from None
        except smtplib.SMTPResponseException as e:
            err = (
                e.smtp_error.decode("utf-8", "replace")
                if isinstance(e.smtp_error, bytes)
                else str(e.smtp_error)
            )
            raise self._error(config, f"SMTP {e.smtp_code}: {err}", [e.smtp_code], to) from None
        except smtplib.SMTPNotSupportedError as e:
            raise self.fail(config, f"the server does not support this: {e}", False, to) from None
        except UnicodeEncodeError:
            # smtplib sends AUTH in ASCII only.
            raise self.fail(
                config, "the SMTP user name and password must be ASCII", False, to
            ) from None
        except ssl.SSLError as e:
            raise self.fail(config, f"TLS failed: {e}", False, to) from None
        except (smtplib.SMTPException, OSError) as e:
            # Disconnected, refused, timed out, unreachable: the server may be back later.
            raise self.fail(
                config, f"SMTP connection failed: {e or type(e).__name__}", True, to
            ) from None
        if refused:
            raise self.fail(config, f"recipient refused: {refused}", False, to)
        return Delivery(
            self.key,
            to,
            detail={"message_id": msg["Message-ID"]},
            response=f"SMTP {s.host}:{port} accepted {msg['Message-ID']}",
        )

    def _error(self, config: ChannelConfig, detail: str, codes: list[int], to: str) -> ChannelError:
        """4xx replies are transient (greylisting, a full mailbox); 5xx are final."""
        return self.fail(config, detail, any(400 <= c < 500 for c in codes), to, detail)
