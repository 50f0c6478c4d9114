"""Channel configs as stored: the settings of e-mail, SMS, robots and webhooks, checked by the
channel's settings model, their secret fields encrypted at rest (sealed under a key ring) and
masked in replies."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from cairn.auth.crypto import PREFIX, CryptoError, KeyRing
from cairn.core import FieldErrors, Invalid, Message
from cairn.integrations.channels import Channel, ChannelError, ChannelRegistry

#: What a secret looks like in a reply; sent back unchanged it means "keep the stored one".
MASK = "••••••"
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-:.")
#: The key ring, asked for only when a secret is sealed or unsealed (None: not configured).
Ring = Callable[[], KeyRing | None]


def secret_context(key: str, name: str) -> str:
    """What a secret's encryption is bound to: the config and the setting."""
    return f"channel:{key}:{name}"


def seal(ring: KeyRing | None, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as stored: secret values encrypted when a key ring is configured."""
    out = dict(settings)
    if ring is None:
        return out
    for name in ch.secret_fields:
        if out.get(name) not in (None, "", {}):
            out[name] = ring.encrypt(
                json.dumps(out[name], ensure_ascii=False), secret_context(key, name)
            )
    return out


def unseal(ring_of: Ring, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings with their secrets in clear (``ChannelError`` when they cannot be read)."""
    out = dict(settings)
    ring: KeyRing | None = None
    for name in ch.secret_fields:
        v = out.get(name)
        if isinstance(v, str) and v.startswith(PREFIX + ":"):
            ring = ring or ring_of()
            if ring is None:
                raise ChannelError(
                    "its secrets are encrypted but CAIRN_ENCRYPTION_KEYS is not set",
                    False,
                    channel=key,
                )
            try:
                out[name] = json.loads(ring.decrypt(v, secret_context(key, name)))
            except CryptoError as e:
                raise ChannelError(f"its secrets cannot be read: {e}", False, channel=key) from None
    return out


def masked(value: Any) -> Any:
    if value in (None, ""):
        return value
    if isinstance(value, dict):
        return {k: MASK for k in value}
    return MASK


def config_public(ring_of: Ring, ch: Channel, row: Any) -> dict[str, Any]:
    """A stored config as the API shows it: secrets masked."""
    settings = dict(row["settings"] or {})
    # Masked from the clear values: header names stay visible, their values do not.
    with contextlib.suppress(ChannelError):
        settings = unseal(ring_of, ch, row["key"], settings)
    for name in ch.secret_fields:
        if name in settings:
            settings[name] = masked(settings[name])
    return {
        "key": row["key"],
        "kind": row["kind"],
        "name": row["name"],
        "enabled": bool(row["enabled"]),
        "settings": settings,
        "secret_fields": list(ch.secret_fields),
        "created_at": row["created_at"].isoformat(timespec="seconds") + "Z",
        "updated_at": row["updated_at"].isoformat(timespec="seconds") + "Z",
    }


def kind_of(channels: ChannelRegistry, key: Any, kind: Any) -> Channel:
    """The channel a config under ``key`` (of ``kind``, default the key's first part) is for."""
    errors = FieldErrors()
    if not isinstance(key, str) or not key or len(key) > 100 or not set(key) <= KEY_CHARS:
        errors.add("key", Message("channel.key_format"))
    errors.raise_if_any()
    kind = kind or key.partition(":")[0]
    if kind not in channels or kind == "inapp" or key.partition(":")[0] != kind:
        raise Invalid.on("kind", "notify.channel_unknown", channel=str(kind))
    return channels.get(kind)


def validated(ch: Channel, settings: Any) -> dict[str, Any]:
    """Settings checked by the channel's model (``Invalid`` under ``settings``)."""
    if not isinstance(settings, dict):
        raise Invalid.on("settings", "filter.shape")
    try:
        model = ch.settings_model.model_validate(settings)
    except ValidationError as e:
        errors = FieldErrors()
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"])
            errors.add(f"settings.{loc}", Message("invalid.body", {"detail": err["msg"]}))
        raise Invalid("invalid.input", errors.errors) from None
    problems = ch.check_settings(model)
    if problems:
        errors = FieldErrors()
        for name, message in problems.items():
            errors.add(f"settings.{name}", message)
        raise Invalid("invalid.input", errors.errors)
    return model.model_dump(mode="json", exclude_unset=True)
