"""Channel configs (admins): the settings of e-mail, SMS, robots and webhooks, stored with
their secrets encrypted (``CAIRN_ENCRYPTION_KEYS``) and never returned in clear; a test send."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError

from cairn.auth import Entry, Principal
from cairn.auth.crypto import PREFIX, CryptoError, KeyRing
from cairn.core import FieldErrors, Invalid, Message, NotFound, id_from_text
from cairn.integrations import Channel, ChannelConfig, ChannelError
from cairn.integrations.sending import OutboundMessage
from cairn.services.directory import require_admin
from cairn.services.uow import unit_of_work
from cairn.store import notifications as store

if TYPE_CHECKING:
    from cairn.services.context import Services

#: What a secret looks like in a reply; sent back unchanged it means "keep the stored one".
MASK = "••••••"
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-:.")


def _ring(services: Services) -> KeyRing | None:
    return KeyRing.parse(services.settings.encryption_keys)


def _context(key: str, name: str) -> str:
    return f"channel:{key}:{name}"


def seal(services: Services, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as stored: secret values encrypted when a key ring is configured."""
    ring = _ring(services)
    out = dict(settings)
    if ring is None:
        return out
    for name in ch.secret_fields:
        if out.get(name) not in (None, "", {}):
            out[name] = ring.encrypt(json.dumps(out[name], ensure_ascii=False), _context(key, name))
    return out


def unseal(services: Services, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    out = dict(settings)
    ring: KeyRing | None = None
    for name in ch.secret_fields:
        v = out.get(name)
        if isinstance(v, str) and v.startswith(PREFIX + ":"):
            ring = ring or _ring(services)
            if ring is None:
                raise ChannelError(
                    "its secrets are encrypted but CAIRN_ENCRYPTION_KEYS is not set",
                    False,
                    channel=key,
                )
            try:
                out[name] = json.loads(ring.decrypt(v, _context(key, name)))
            except CryptoError as e:
                raise ChannelError(f"its secrets cannot be read: {e}", False, channel=key) from None
    return out


def load_config(services: Services, conn: sa.Connection, key: str) -> ChannelConfig | None:
    """The stored config under ``key`` with its secrets in clear, or None."""
    row = store.config(conn, key)
    if row is None:
        return None
    ch = services.channels.get(row["kind"])
    return ChannelConfig(
        key=row["key"],
        kind=row["kind"],
        settings=unseal(services, ch, row["key"], row["settings"] or {}),
        enabled=bool(row["enabled"]),
        name=row["name"],
    )


def _masked(value: Any) -> Any:
    if value in (None, ""):
        return value
    if isinstance(value, dict):
        return {k: MASK for k in value}
    return MASK


def public(services: Services, row: Any) -> dict[str, Any]:
    ch = services.channels.get(row["kind"])
    settings = dict(row["settings"] or {})
    # Masked from the clear values: header names stay visible, their values do not.
    with contextlib.suppress(ChannelError):
        settings = unseal(services, ch, row["key"], settings)
    for name in ch.secret_fields:
        if name in settings:
            settings[name] = _masked(settings[name])
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


def _kind_of(services: Services, key: Any, kind: Any) -> Channel:
    errors = FieldErrors()
    if not isinstance(key, str) or not key or len(key) > 100 or not set(key) <= KEY_CHARS:
        errors.add("key", Message("channel.key_format"))
    errors.raise_if_any()
    kind = kind or key.partition(":")[0]
    if kind not in services.channels or kind == "inapp" or key.partition(":")[0] != kind:
        raise Invalid.on("kind", "notify.channel_unknown", channel=str(kind))
    return services.channels.get(kind)


def _validate(ch: Channel, settings: Any) -> dict[str, Any]:
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
    return model.model_dump(mode="json", exclude_unset=True)


class ChannelService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def list(self, principal: Principal) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            items = [public(self.s, r) for r in store.list_configs(uow.conn)]
        kinds = [
            {
                "kind": ch.key,
                "secret_fields": list(ch.secret_fields),
                "settings_schema": ch.settings_model.model_json_schema(),
            }
            for ch in self.s.channels
            if ch.key != "inapp"
        ]
        return {"items": items, "kinds": kinds}

    def get(self, principal: Principal, key: str) -> dict[str, Any]:
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            row = store.config(uow.conn, key)
            if row is None:
                raise NotFound("channel.not_found", key=key)
            return public(self.s, row)

    def create(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        require_admin(principal)
        key = body.get("key")
        ch = _kind_of(self.s, key, body.get("kind"))
        settings = _validate(ch, body.get("settings") or {})
        name = body.get("name") or ""
        if not isinstance(name, str) or len(name) > 200:
            raise Invalid.on("name", "value.too_long", max=200)
        with unit_of_work(self.s, principal=principal) as uow:
            if store.config(uow.conn, key) is not None:
                raise Invalid.on("key", "key.taken", key=key)
            store.insert_config(
                uow.conn,
                uow.now,
                key=key,
                kind=ch.key,
                name=name,
                settings=seal(self.s, ch, key, settings),
                enabled=bool(body.get("enabled", True)),
            )
            uow.audit(
                Entry(
                    "channel.create",
                    "channel",
                    key,
                    details={"kind": ch.key, "settings": sorted(settings)},
                )
            )
            return public(self.s, store.config(uow.conn, key))

    def update(self, principal: Principal, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change the name, enabled flag or settings; a secret sent back masked (or left out)
        keeps its stored value."""
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            current = load_config(self.s, uow.conn, key)
            if current is None:
                raise NotFound("channel.not_found", key=key)
            ch = self.s.channels.get(current.kind)
            values: dict[str, Any] = {}
            changed: list[str] = []
            if "settings" in body:
                given = body["settings"]
                if not isinstance(given, dict):
                    raise Invalid.on("settings", "filter.shape")
                merged = dict(given)
                for name in ch.secret_fields:
                    v = merged.get(name)
                    if (
                        name not in merged
                        or v == MASK
                        or (isinstance(v, dict) and v and all(x == MASK for x in v.values()))
                    ) and name in current.settings:
                        merged[name] = current.settings[name]
                settings = _validate(ch, merged)
                changed = sorted(
                    n
                    for n in set(settings) | set(current.settings)
                    if settings.get(n) != current.settings.get(n)
                )
                values["settings"] = seal(self.s, ch, key, settings)
            if "name" in body:
                if not isinstance(body["name"], str) or len(body["name"]) > 200:
                    raise Invalid.on("name", "value.too_long", max=200)
                values["name"] = body["name"]
            if "enabled" in body:
                if not isinstance(body["enabled"], bool):
                    raise Invalid.on("enabled", "value.boolean")
                values["enabled"] = body["enabled"]
            store.update_config(uow.conn, key, uow.now, **values)
            details: dict[str, Any] = {"settings": changed}
            if "enabled" in values:
                details["enabled"] = values["enabled"]
            uow.audit(Entry("channel.update", "channel", key, details=details))
            return public(self.s, store.config(uow.conn, key))

    def delete(self, principal: Principal, key: str) -> None:
        require_admin(principal)
        with unit_of_work(self.s, principal=principal) as uow:
            if store.config(uow.conn, key) is None:
                raise NotFound("channel.not_found", key=key)
            store.delete_config(uow.conn, key)
            uow.audit(Entry("channel.delete", "channel", key))

    def deliveries(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        channel: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """What was sent through outside channels, newest first: failed ones stay visible."""
        require_admin(principal)
        if status not in (None, "pending", "sent", "failed"):
            raise Invalid.on("status", "value.choice", value=status)
        before = id_from_text(cursor) if cursor else None
        if cursor and before is None:
            raise Invalid.on("cursor", "notify.cursor")
        with unit_of_work(self.s, write=False) as uow:
            rows = store.list_deliveries(
                uow.conn,
                status=status,
                channel=channel,
                before=before,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            {
                "id": r["id"],
                "channel": r["channel"],
                "recipient": r["recipient"],
                "status": r["status"],
                "attempts": r["attempts"],
                "error": r["error"],
                "idempotency_key": r["idempotency_key"],
                "created_at": r["created_at"].isoformat(timespec="seconds") + "Z",
                "sent_at": r["sent_at"].isoformat(timespec="seconds") + "Z"
                if r["sent_at"]
                else None,
            }
            for r in rows
        ]
        return {"items": items, "next_cursor": str(rows[-1]["id"]) if more and rows else None}

    def test(self, principal: Principal, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send a test message (to ``recipients``, default the caller) through a stored config."""
        require_admin(principal)
        with unit_of_work(self.s, write=False) as uow:
            stored = store.config(uow.conn, key) is not None
        kind = self.s.channels.get(key) if key in self.s.channels else None
        if not stored and not (kind is not None and kind.config_optional):
            raise NotFound("channel.not_found", key=key)
        recipients = body.get("recipients")
        if recipients is None:
            recipients = [f"user:{principal.user_id}"] if principal.user_id else []
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise Invalid.on("recipients", "value.choices")
        message = OutboundMessage(
            channel=key,
            recipients=recipients,
            subject=str(body.get("subject") or "Cairn 测试消息 / test message"),
            body=str(
                body.get("body")
                or "这是一条来自 Cairn 的测试消息。This is a test message from Cairn."
            ),
            url=body.get("url") if isinstance(body.get("url"), str) else None,
        )
        deliveries = self.s.notify.send(message)
        return {
            "deliveries": [
                {"recipient": d.recipient, "status": d.status, "detail": dict(d.detail)}
                for d in deliveries
            ]
        }


def rotate_secrets(services: Services, ring: KeyRing) -> int:
    """Re-encrypt the stored channel secrets under the ring's first key (``cairn keys rotate``);
    returns how many configs changed. One transaction: there are few."""
    changed = 0
    with unit_of_work(services) as uow:
        for row in store.list_configs(uow.conn):
            settings = dict(row["settings"] or {})
            touched = False
            for name, v in settings.items():
                if isinstance(v, str) and ring.key_of(v) not in (None, ring.current):
                    settings[name] = ring.rotate(v, _context(row["key"], name))
                    touched = True
            if touched:
                store.update_config(uow.conn, row["key"], uow.now, settings=settings)
                changed += 1
    return changed
