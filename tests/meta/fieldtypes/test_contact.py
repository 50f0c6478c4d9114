"""email, phone (stored in E.164) and url."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.meta import BadValue

from ..helpers import TYPES, cell

# -- email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("li.lei@example.com", "li.lei@example.com"),
        ("  Li.Lei@Example.COM ", "Li.Lei@example.com"),
        ("a+tag@mail.example.cn", "a+tag@mail.example.cn"),
    ],
)
def test_email_lowercases_the_domain_only(value: str, stored: str) -> None:
    assert cell("email").read(value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "li.lei",
        "li.lei@",
        "@example.com",
        "li lei@example.com",
        "li@example",
        "li@-example.com",
        "li@example..com",
        "a@b@example.com",
        "x" * 250 + "@example.com",
        123,
        ["li@example.com"],
    ],
)
def test_bad_email_is_rejected(value: Any) -> None:
    assert cell("email").error_key(value) == "value.email"


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_blank_contact_is_no_value(blank: str | None) -> None:
    for type_key in ("email", "phone", "url"):
        assert cell(type_key).coerce(blank) is None


# -- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "+8613800138000",
        "008613800138000",
        "１３８００１３８０００",  # typed with a full-width input method
        13800138000,
    ],
)
def test_chinese_mobile_numbers_become_e164(value: Any) -> None:
    assert cell("phone").read(value) == "+8613800138000"


@pytest.mark.parametrize("value", ["1380013800", "138001380001", "12345", "phone", "+86", "1" * 41])
def test_bad_phone_number_is_rejected(value: str) -> None:
    assert cell("phone").error_key(value) == "value.phone"


@pytest.mark.parametrize("value", [True, 1.5, ["13800138000"], {"phone": "13800138000"}])
def test_phone_must_be_text_or_digits(value: Any) -> None:
    assert cell("phone").error_key(value) == "value.phone"


@pytest.mark.parametrize("value", ["(010) 6552 9988", "010-65529988", "+86 10 6552 9988"])
def test_landline_with_area_code(value: str) -> None:
    assert cell("phone").read(value) == "+861065529988"


def test_a_foreign_number_needs_its_country_code() -> None:
    c = cell("phone")
    assert c.read("+1 650-253-0000") == "+16502530000"
    assert c.read("+852 5123 4567") == "+85251234567"
    assert c.error_key("650-253-0000") == "value.phone"


def test_field_region_overrides_the_installation_region() -> None:
    us = cell("phone", region="US")
    assert us.read("(650) 253-0000") == "+16502530000"
    assert us.read("+86 138 0013 8000") == "+8613800138000"
    assert us.error_key("13800138000") == "value.phone"


@pytest.mark.parametrize("region", ["us", "USA", "1"])
def test_region_option_is_a_two_letter_code(region: str) -> None:
    with pytest.raises(Invalid):
        TYPES.get("phone").validate_options({"region": region})


E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
phoneish = st.one_of(
    st.text(max_size=45),
    st.text(alphabet="0123456789 +-().", max_size=25),
    st.from_regex(r"\A(\+|00)?[0-9]{1,3}[ -]?[0-9]{3,4}[ -]?[0-9]{4,8}\Z"),
    st.text(alphabet="0123456789０１２３４５６７８９١٢٣+ -", max_size=20),
)


@given(st.sampled_from([None, "US", "GB", "HK"]), phoneish)
def test_phone_coercer_only_ever_raises_bad_value(region: str | None, text: str) -> None:
    c = cell("phone", region=region)
    try:
        stored = c.coerce(text)
    except BadValue as e:
        assert e.message.key == "value.phone"
        return
    assert stored is None or E164.match(stored), stored
    assert stored is None or c.coerce(c.dump(stored)) == stored


# -- url -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("example.com", "https://example.com"),
        ("www.example.com/a?b=1", "https://www.example.com/a?b=1"),
        ("example.com/login?next=https://x.cn", "https://example.com/login?next=https://x.cn"),
        ("localhost:8080/x", "https://localhost:8080/x"),
        ("http://example.com", "http://example.com"),
        (" https://例子.中国/路径 ", "https://例子.中国/路径"),
    ],
)
def test_url_gets_https_when_it_has_no_scheme(value: str, stored: str) -> None:
    assert cell("url").read(value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "javascript://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:li@example.com",
        "https://",
        "https://example.com:99999/",
        "[",
        "https://[::1",
        "https://exa mple.com",
        "example.com/a b",
        "https://example.com/" + "a" * 2048,
        42,
    ],
)
def test_bad_url_is_rejected(value: Any) -> None:
    assert cell("url").error_key(value) == "value.url"


@given(st.text(max_size=60))
def test_stored_urls_are_http_and_stable(text: str) -> None:
    c = cell("url")
    try:
        stored = c.coerce(text)
    except BadValue:
        return
    assert stored is None or stored.lower().startswith(("http://", "https://"))
    assert c.coerce(c.dump(stored)) == stored
