"""Checks of channel settings when an administrator saves them, beyond their types: an address
that is not an http(s) URL, a From line without an e-mail address, a JSON body template that is
not JSON (with the line and column), a header name no server accepts. Each problem names its
setting, so the form shows it on that input; nothing waits for the first send to fail."""

from __future__ import annotations

import re
from email.utils import parseaddr
from urllib.parse import urlsplit

from cairn.core import Message

#: RFC 9110 token characters: what a header name may hold.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HOST = re.compile(r"^[A-Za-z0-9.\-_:\[\]]+$")

Problems = dict[str, Message]


def url(value: str) -> Message | None:
    """An http(s) URL with a host, or why not."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return Message("channel.url")
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        return Message("channel.url")
    return None


def address(value: str) -> Message | None:
    """An e-mail address, with or without a display name (``航服中心 <noreply@example.com>``)."""
    _, addr = parseaddr(value)
    local, _, domain = addr.rpartition("@")
    if not local or "." not in domain or " " in addr:
        return Message("channel.email_address")
    return None


def host(value: str) -> Message | None:
    if not _HOST.match(value):
        return Message("channel.host")
    return None


def header_names(names: list[str]) -> Message | None:
    for name in names:
        if not _TOKEN.match(name):
            return Message("channel.header_name", {"name": name})
    return None


def mobiles(values: list[str]) -> Message | None:
    for v in values:
        digits = v.replace(" ", "").replace("-", "").lstrip("+")
        if not digits.isdigit() or not 5 <= len(digits) <= 15:
            return Message("channel.phone", {"value": v})
    return None
