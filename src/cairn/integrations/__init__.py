"""Integration (API 对接): notification channels, message templates and request signing."""

from cairn.core.i18n import register_messages
from cairn.integrations import signing, templates
from cairn.integrations.channels import (
    Channel,
    ChannelConfig,
    ChannelEnv,
    ChannelError,
    ChannelMessage,
    ChannelRegistry,
    ChannelSettings,
    Delivery,
    InAppChannel,
    builtin_channels,
    register_builtins,
)
from cairn.integrations.messages import MESSAGES

register_messages(MESSAGES)

__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelEnv",
    "ChannelError",
    "ChannelMessage",
    "ChannelRegistry",
    "ChannelSettings",
    "Delivery",
    "InAppChannel",
    "builtin_channels",
    "register_builtins",
    "signing",
    "templates",
]
