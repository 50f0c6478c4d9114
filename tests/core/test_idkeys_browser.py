"""The browser checks VINs, ID numbers and credit codes as the server does: the same keys,
valid, mistyped or typed with noise, get the same verdict and the same rule from
``web/src/identityKeys.ts`` (bundled and run by node) and ``cairn.core.idkeys``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.core.idkeys import KeyRefused, normalise_key
from support.idkey_strategies import (
    DIGITS,
    USCC_CHARS,
    VIN_CHARS,
    credit_codes,
    id_numbers,
    one_changed,
    vins,
)
from support.node_driver import node_driver

Ask = Callable[[str, list[str]], list[str | None]]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ask]:
    with node_driver("idkeys_driver.ts", tmp_path_factory.mktemp("idkeys")) as ask:
        yield lambda kind, texts: ask({"kind": kind, "texts": texts})


def server_rule(kind: str, text: str) -> str | None:
    try:
        normalise_key(kind, text)
    except KeyRefused as e:
        return e.rule
    return None


@st.composite
def variants(draw: st.DrawFn, valid: st.SearchStrategy[str], alphabet: str) -> str:
    key = draw(valid)
    how = draw(st.sampled_from(["as is", "changed", "lower", "spaced", "short", "noise"]))
    if how == "changed":
        return draw(one_changed(key, alphabet))
    if how == "lower":
        return key.lower()
    if how == "spaced":
        return " ".join([key[:4], key[4:10], key[10:]])
    if how == "short":
        return key[: draw(st.integers(0, len(key) - 1))]
    if how == "noise":
        at = draw(st.integers(0, len(key)))
        return key[:at] + draw(st.sampled_from("IOQSVZ.#")) + key[at:]
    return key


CASES = {
    "vin": variants(vins(), VIN_CHARS),
    "id_number": variants(id_numbers(), DIGITS + "X"),
    "credit_code": variants(credit_codes(), USCC_CHARS),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_browser_and_server_agree(browser: Ask, kind: str) -> None:
    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(CASES[kind], min_size=40, max_size=40))
    def agree(texts: list[str]) -> None:
        assert browser(kind, texts) == [server_rule(kind, t) for t in texts]

    agree()


def test_published_examples_pass_in_the_browser(browser: Ask) -> None:
    assert browser("vin", ["1M8GDM9AXKP042788", "WVWZZZ1JZXW000001", "1M8GDM9A1KP042788"]) == [
        None,
        None,
        "value.vin_check",
    ]
    assert browser(
        "id_number", ["11010519491231002x", "440524188001010014", "110105491231002"]
    ) == [
        None,
        None,
        None,
    ]
    assert browser("credit_code", ["91110000600037341L", "91350100M000100Y43"]) == [None, None]
