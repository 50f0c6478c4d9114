"""A plugin as a package would ship one (``[project.entry-points."cairn.plugins"]``): it adds
a field type ``colour`` and a notification channel ``pager``. Tests install it by handing its
entry point to ``cairn.services.registries.plugin_entry_points``."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint
from typing import Any

from cairn.integrations import ChannelConfig, ChannelMessage, ChannelSettings, Delivery
from cairn.integrations.channels import Channel
from cairn.meta import BadValue, Field, FieldContext
from cairn.meta.fieldtypes.text import TextType
from cairn.services.registries import PLUGIN_GROUP, Registries

HEX = re.compile(r"#[0-9a-fA-F]{6}")


class ColourType(TextType):
    """A colour as ``#rrggbb``."""

    key = "colour"
    encryptable = False

    def coercer(self, field: Field, ctx: FieldContext) -> Any:
        def coerce(value: Any) -> Any:
            if value is None or value == "":
                return None
            if not isinstance(value, str) or not HEX.fullmatch(value):
                raise BadValue("value.pattern", pattern=HEX.pattern)
            return value.lower()

        return coerce


class PagerSettings(ChannelSettings):
    number: str


class PagerChannel(Channel):
    key = "pager"
    settings_model = PagerSettings
    recipient_kind = "phone"

    def send(self, message: ChannelMessage, config: ChannelConfig) -> Delivery:
        return Delivery(self.key, message.recipient)


def register(registries: Registries) -> None:
    registries.field_types.register(ColourType())
    registries.channels.register(PagerChannel(registries.channel_env))


def broken(registries: Registries) -> None:
    """A plugin whose registration fails: ``text`` is a built-in field type's key."""
    registries.field_types.register(TextType())


def entry_point(name: str = "colours", attr: str = "register") -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{attr}", group=PLUGIN_GROUP)
