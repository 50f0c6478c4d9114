"""Channel configs at rest: secrets encrypted under the key ring, readable for sending,
masked in replies, kept when sent back masked."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from cairn.auth import cli
from cairn.auth.crypto import KeyRing
from cairn.core import FrozenClock, Settings
from cairn.integrations.configs import MASK
from cairn.services import build_services
from cairn.services.channels import load_config
from cairn.services.notify import OutboundMessage
from cairn.store import system
from support.receiver import Receiver


def test_secrets_are_encrypted_and_still_sign(db_url: str, tmp_path: Path) -> None:
    keys = f"k1:{KeyRing.generate_key()}"
    settings = Settings(data_dir=tmp_path, database_url=db_url, encryption_keys=keys)
    services = build_services(settings, clock=FrozenClock())
    try:
        with Receiver().running() as receiver:
            out = services.channel_configs.create(
                cli(),
                {
                    "key": "webhook:erp",
                    "settings": {
                        "url": receiver.url,
                        "secret": "wh-secret",
                        "headers": {"Authorization": "Bearer erp-token"},
                    },
                },
            )
            assert out["settings"]["secret"] == MASK
            assert out["settings"]["headers"] == {"Authorization": MASK}
            assert out["settings"]["url"] == receiver.url  # not a secret for webhooks
            with services.engine.connect() as conn:
                stored = conn.execute(sa.select(system.channel_configs.c.settings)).scalar_one()
                assert stored["secret"].startswith("enc1:k1:")
                assert "erp-token" not in str(stored) and "wh-secret" not in str(stored)
                assert load_config(services, conn, "webhook:erp").settings["secret"] == "wh-secret"
            # Sent back as shown, the secrets stay; a new URL is taken.
            services.channel_configs.update(
                cli(), "webhook:erp", {"settings": {**out["settings"], "url": receiver.url + "/v2"}}
            )
            services.notify.send(OutboundMessage("webhook:erp", data={"x": 1}))
            [req] = receiver.requests
            assert req.path == "/v2"
            assert req.headers["Authorization"] == "Bearer erp-token"
            assert req.headers["X-Cairn-Signature"].startswith("sha256=")
            # Disabled: a final error, recorded.
            services.channel_configs.update(cli(), "webhook:erp", {"enabled": False})
            try:
                services.notify.send(OutboundMessage("webhook:erp", data={"x": 2}))
                raise AssertionError("a disabled channel sent")
            except Exception as e:
                assert getattr(e, "retryable", None) is False
            assert len(receiver.requests) == 1
    finally:
        services.close()


def test_key_rotation_reencrypts_channel_secrets(db_url: str, tmp_path: Path) -> None:
    from cairn.services.keys import rotate

    k1, k2 = f"k1:{KeyRing.generate_key()}", f"k2:{KeyRing.generate_key()}"
    first = build_services(
        Settings(data_dir=tmp_path, database_url=db_url, encryption_keys=k1), clock=FrozenClock()
    )
    try:
        first.channel_configs.create(
            cli(),
            {
                "key": "webhook:erp",
                "settings": {"url": "https://erp.example.com/hook", "secret": "wh-secret"},
            },
        )
    finally:
        first.close()
    services = build_services(
        Settings(data_dir=tmp_path, database_url=db_url, encryption_keys=f"{k2},{k1}"),
        clock=FrozenClock(),
    )
    try:
        assert rotate(services).channels == 1
        assert rotate(services).channels == 0
        with services.engine.connect() as conn:
            stored = conn.execute(sa.select(system.channel_configs.c.settings)).scalar_one()
            assert stored["secret"].startswith("enc1:k2:")
            assert load_config(services, conn, "webhook:erp").settings["secret"] == "wh-secret"
    finally:
        services.close()
