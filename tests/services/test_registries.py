"""Every registry is filled in one place at start-up, and plugins (entry points of the group
``cairn.plugins``) add to them; a broken plugin stops the start-up, naming itself."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import FrozenClock
from cairn.integrations import ChannelEnv
from cairn.services import Services, registries
from cairn.services.registries import PluginError, build_registries
from factories import make_admin, make_services
from support import sample_plugin


def install(monkeypatch: pytest.MonkeyPatch, *plugins: EntryPoint) -> None:
    """Pretend these entry points are what the installed packages declare."""
    monkeypatch.setattr(registries, "plugin_entry_points", lambda: plugins)


def test_without_plugins_every_registry_holds_the_builtins(frozen_clock: FrozenClock) -> None:
    r = build_registries(ChannelEnv(frozen_clock))
    assert {"text", "relation", "formula", "auto_number"} <= set(r.field_types.keys())
    assert {"record.created", "record.updated"} <= set(r.triggers.keys())
    assert {"update_record", "notify", "webhook"} <= set(r.actions.keys())
    assert {"sum", "count"} <= set(r.aggregations.keys())
    assert r.kpis.keys() and r.widgets.keys()
    assert {"inapp", "email", "webhook"} <= set(r.channels.keys())
    assert "colour" not in r.field_types and "pager" not in r.channels


def test_the_installed_plugins_are_read_from_the_cairn_plugins_group() -> None:
    assert registries.PLUGIN_GROUP == "cairn.plugins"
    assert all(ep.group == "cairn.plugins" for ep in registries.plugin_entry_points())


@pytest.fixture
def plugged(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> Iterator[Services]:
    install(monkeypatch, sample_plugin.entry_point())
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


def test_a_plugin_adds_a_field_type_and_a_channel(plugged: Services) -> None:
    assert plugged.registries.field_types is plugged.field_types
    assert "colour" in plugged.field_types
    assert "pager" in plugged.channels
    assert plugged.registries.channels is plugged.channels


def test_what_a_plugin_adds_is_usable_through_the_api(plugged: Services) -> None:
    headers = {"accept-language": "en", "authorization": f"Bearer {make_admin(plugged)}"}
    with TestClient(create_app(plugged), headers=headers) as client:
        assert client.post("/api/v1/apps", json={"key": "shop", "name": "Shop"}).status_code == 201
        r = client.post(
            "/api/v1/apps/shop/tables",
            json={
                "key": "products",
                "name": "Items",
                "fields": [{"key": "tint", "name": "Tint", "type": "colour"}],
            },
        )
        assert r.status_code == 201, r.text
        records = "/api/v1/apps/shop/tables/products/records"
        r = client.post(records, json={"tint": "#A0B1C2"})
        assert r.status_code == 201, r.text
        assert r.json()["tint"] == "#a0b1c2"
        r = client.post(records, json={"tint": "red"})
        assert r.status_code == 422, r.text
        kinds = {k["kind"] for k in client.get("/api/v1/channels").json()["kinds"]}
        assert "pager" in kinds


def test_a_plugin_whose_register_fails_stops_the_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    install(monkeypatch, sample_plugin.entry_point("broken-plugin", "broken"))
    with pytest.raises(PluginError, match="'broken-plugin'") as caught:
        make_services(db_url, tmp_path / "data", frozen_clock)
    assert caught.value.plugin == "broken-plugin"
    assert "already registered" in str(caught.value)


def test_a_plugin_that_cannot_be_imported_is_named(
    monkeypatch: pytest.MonkeyPatch, frozen_clock: FrozenClock
) -> None:
    missing = EntryPoint(name="ghost", value="cairn_ghost_plugin:register", group="cairn.plugins")
    install(monkeypatch, sample_plugin.entry_point(), missing)
    with pytest.raises(PluginError, match=r"'ghost' \(cairn_ghost_plugin:register\)"):
        build_registries(ChannelEnv(frozen_clock))


def test_a_plugin_without_a_register_function_is_refused(
    monkeypatch: pytest.MonkeyPatch, frozen_clock: FrozenClock
) -> None:
    install(monkeypatch, sample_plugin.entry_point("odd", "HEX"))
    with pytest.raises(PluginError, match=r"'odd'.*register"):
        build_registries(ChannelEnv(frozen_clock))
