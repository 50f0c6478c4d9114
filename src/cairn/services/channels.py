"""Channel configs (admins): the settings of e-mail, SMS, robots and webhooks, stored with
their secrets encrypted (``CAIRN_ENCRYPTION_KEYS``) and never returned in clear; a test send
that shows the provider's answer. The deliveries themselves: ``services.deliveries``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Entry, Principal, require_admin
from cairn.auth.crypto import KeyRing
from cairn.core import Invalid, NotFound
from cairn.integrations import Channel, ChannelConfig, ChannelError, configs
from cairn.integrations.configs import MASK
from cairn.integrations.outbound import OutboundMessage
from cairn.services.uow import unit_of_work
from cairn.store import deliveries
from cairn.store import notifications as store

if TYPE_CHECKING:
    from cairn.services.context import Services


def _ring(services: Services) -> KeyRing | None:
    return KeyRing.parse(services.settings.encryption_keys)


def seal(services: Services, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as stored: secret values encrypted when a key ring is configured."""
    return configs.seal(_ring(services), ch, key, settings)


def unseal(services: Services, ch: Channel, key: str, settings: dict[str, Any]) -> dict[str, Any]:
    return configs.unseal(lambda: _ring(services), ch, key, settings)


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


def public(services: Services, row: Any) -> dict[str, Any]:
    ch = services.channels.get(row["kind"])
    return configs.config_public(lambda: _ring(services), ch, row)


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
                "title": ch.title or ch.key,
                "secret_fields": list(ch.secret_fields),
                "settings_schema": ch.settings_model.model_json_schema(),
                #: What a recipient is: user, email, phone, or "" (the channel's own target).
                "recipient_kind": ch.recipient_kind,
                "config_optional": ch.config_optional,
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
        ch = configs.kind_of(self.s.channels, key, body.get("kind"))
        settings = configs.validated(ch, body.get("settings") or {})
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
                settings = configs.validated(ch, merged)
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
            retry=False,  # a test is not tried again later: its answer is shown now
        )
        inside: list[dict[str, Any]] = []  # in-app: notifications, not deliveries
        try:
            sent = self.s.notify.send(message)
        except ChannelError as e:
            ids = list(getattr(e, "delivery_ids", []))
            if not ids:  # nothing was attempted (no recipient could be resolved …)
                raise
        else:
            ids = [d.detail["delivery_id"] for d in sent if "delivery_id" in d.detail]
            inside = [
                {"recipient": d.recipient, "status": d.status, "detail": dict(d.detail)}
                for d in sent
                if "delivery_id" not in d.detail
            ]
        with unit_of_work(self.s, write=False) as uow:
            rows = [deliveries.get(uow.conn, i) for i in ids]
        out = inside + [
            {
                "recipient": r["recipient"],
                "status": r["status"],
                "detail": {"channel": r["channel"]},
                "response": r["response"],
                "error": r["error"],
                "delivery_id": r["id"],
            }
            for r in rows
            if r is not None
        ]
        return {"ok": all(d["status"] == deliveries.SENT for d in out), "deliveries": out}


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
                    settings[name] = ring.rotate(v, configs.secret_context(row["key"], name))
                    touched = True
            if touched:
                store.update_config(uow.conn, row["key"], uow.now, settings=settings)
                changed += 1
    return changed
