"""``register_messages``: an engine adds its messages to the catalogue, and conflicts are refused."""

from __future__ import annotations

import pytest

from cairn.core import i18n
from cairn.core.errors import Message
from cairn.core.i18n import MessageConflict, register_messages, render


@pytest.fixture(autouse=True)
def own_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers into a copy, so the real catalogue stays as the engines left it."""
    monkeypatch.setattr(i18n, "CATALOGUE", {k: dict(v) for k, v in i18n.CATALOGUE.items()})


def test_registered_messages_render_in_both_languages() -> None:
    register_messages(
        {"en": {"demo.hello": "Hello {name}."}, "zh-CN": {"demo.hello": "你好，{name}。"}}
    )
    assert render(Message("demo.hello", {"name": "Li"}), "en") == "Hello Li."
    assert render(Message("demo.hello", {"name": "Li"}), "zh-CN") == "你好，Li。"


def test_registering_the_same_text_twice_is_harmless() -> None:
    catalogue = {"en": {"demo.x": "X"}, "zh-CN": {"demo.x": "叉"}}
    register_messages(catalogue)
    register_messages(catalogue)
    assert i18n.CATALOGUE["en"]["demo.x"] == "X"


def test_a_key_registered_with_another_text_is_refused() -> None:
    with pytest.raises(MessageConflict, match=r"'invalid\.input'"):
        register_messages({"en": {"invalid.input": "Other."}, "zh-CN": {"invalid.input": "别的。"}})
    assert i18n.CATALOGUE["en"]["invalid.input"] == "The input is not valid."


def test_a_refused_catalogue_registers_nothing() -> None:
    with pytest.raises(MessageConflict):
        register_messages(
            {
                "en": {"demo.new": "New", "invalid.input": "Other."},
                "zh-CN": {"demo.new": "新", "invalid.input": "别的。"},
            }
        )
    assert "demo.new" not in i18n.CATALOGUE["en"]


def test_both_languages_with_the_same_keys_are_required() -> None:
    with pytest.raises(MessageConflict, match="exactly"):
        register_messages({"en": {"demo.y": "Y"}})
    with pytest.raises(MessageConflict, match=r"demo\.z"):
        register_messages({"en": {"demo.y": "Y", "demo.z": "Z"}, "zh-CN": {"demo.y": "Y"}})
