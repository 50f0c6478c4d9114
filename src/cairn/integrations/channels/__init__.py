"""Notification channels: one module and one class each, found by key in a registry."""

from __future__ import annotations

from cairn.core import Registry
from cairn.integrations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelEnv,
    ChannelError,
    ChannelMessage,
    ChannelSettings,
    Delivery,
)
from cairn.integrations.channels.dingtalk import DingTalkChannel
from cairn.integrations.channels.dingtalk_app import DingTalkAppChannel
from cairn.integrations.channels.email import EmailChannel
from cairn.integrations.channels.inapp import InAppChannel
from cairn.integrations.channels.sms import SmsChannel
from cairn.integrations.channels.webhook import WebhookChannel
from cairn.integrations.channels.wecom import WeComChannel
from cairn.integrations.channels.wecom_app import WeComAppChannel
from cairn.integrations.channels.work import (
    DirDepartment,
    Directory,
    DirUser,
    Pushed,
    TaskItem,
    WorkPlatform,
)

ChannelRegistry = Registry[Channel]

BUILTIN: tuple[type[Channel], ...] = (
    InAppChannel,
    EmailChannel,
    SmsChannel,
    WeComChannel,
    DingTalkChannel,
    WebhookChannel,
    WeComAppChannel,
    DingTalkAppChannel,
)


def register_builtins(registry: ChannelRegistry, env: ChannelEnv) -> ChannelRegistry:
    for cls in BUILTIN:
        registry.register(cls(env))
    return registry


def builtin_channels(env: ChannelEnv) -> ChannelRegistry:
    return register_builtins(Registry("channel"), env)


__all__ = [
    "BUILTIN",
    "Channel",
    "ChannelConfig",
    "ChannelEnv",
    "ChannelError",
    "ChannelMessage",
    "ChannelRegistry",
    "ChannelSettings",
    "Delivery",
    "DingTalkAppChannel",
    "DingTalkChannel",
    "DirDepartment",
    "DirUser",
    "Directory",
    "EmailChannel",
    "InAppChannel",
    "Pushed",
    "SmsChannel",
    "TaskItem",
    "WeComAppChannel",
    "WeComChannel",
    "WebhookChannel",
    "WorkPlatform",
    "builtin_channels",
    "register_builtins",
]
