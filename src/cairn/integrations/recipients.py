"""Who a message goes to: each recipient as the caller named it ("user:12", an e-mail address,
a phone number) resolved to the address a channel uses, or the reason it cannot be reached;
and the idempotency key of one delivery."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import sqlalchemy as sa

from cairn.auth import users as auth_users
from cairn.core import NotFound
from cairn.integrations.channels import ChannelError, Delivery


@dataclass(frozen=True)
class Target:
    label: str  # as given ("user:12", "a@b.cn") or the robot/webhook target
    address: str  # what the channel uses (the e-mail address, the phone, the user id)
    error: ChannelError | None = None
    #: Robots: mobile numbers to @mention (the recipients that have one).
    mentions: tuple[str, ...] = ()


def delivery_key(key: str | None, channel: str, label: str) -> str | None:
    """The stored key of one delivery: the caller's key per channel and recipient."""
    if key is None:
        return None
    full = f"{key}|{channel}|{label}"
    if len(full) <= 255:
        return full
    return "sha256:" + hashlib.sha256(full.encode("utf-8")).hexdigest()


def labelled(d: Delivery, t: Target) -> Delivery:
    """The delivery under the recipient as the caller named it; the address in ``detail``."""
    return replace(d, recipient=t.label, detail={**d.detail, "address": t.address})


def user_ref(recipient: str) -> str | None:
    r = recipient.strip()
    if r.startswith("user:"):
        return r[5:].strip()
    return None


#: Recipient kinds of the work platforms: the user's column and the platform's name.
PLATFORM_IDS = {"wecom": ("wecom_userid", "WeCom"), "dingtalk": ("dingtalk_userid", "DingTalk")}


def resolve(conn: sa.Connection, kind: str, channel: str, recipient: str) -> Target:
    """``recipient`` as an address of ``kind`` ("user", "email", "phone", or a platform's
    user id: "wecom", "dingtalk"), or why not. For a platform, "user:<id>" is the Cairn
    user's id there; any other text is taken as the platform's user id itself."""

    def no(detail: str) -> Target:
        return Target(
            recipient, "", ChannelError(detail, False, channel=channel, recipient=recipient)
        )

    ref = user_ref(recipient)
    if ref is None and kind == "user" and recipient.strip().isdigit():
        ref = recipient.strip()
    if ref is not None:
        try:
            user = auth_users.resolve(conn, ref)
        except NotFound:
            return no("there is no such user")
        if user.status != "active":
            return no("the user is disabled")
        if kind == "user":
            return Target(recipient, str(user.id))
        if kind == "email":
            return (
                Target(recipient, user.email)
                if user.email
                else no("the user has no e-mail address")
            )
        if kind == "phone":
            return (
                Target(recipient, user.mobile)
                if user.mobile
                else no("the user has no mobile number")
            )
        if kind in PLATFORM_IDS:
            column, platform = PLATFORM_IDS[kind]
            found = getattr(user, column)
            if not found:
                return no(f"the user has no {platform} user id (set it on the user, or sync)")
            return Target(recipient, str(found))
    if kind in PLATFORM_IDS:
        return Target(recipient, recipient.strip()) if recipient.strip() else no("no recipient")
    if kind == "user":
        return no("in-app notifications go to users ('user:<id>')")
    if kind == "email" and ("@" not in recipient or " " in recipient.strip()):
        return no("not an e-mail address")
    if (
        kind == "phone"
        and not recipient.strip().lstrip("+").replace(" ", "").replace("-", "").isdigit()
    ):
        return no("not a phone number")
    return Target(recipient, recipient.strip())
