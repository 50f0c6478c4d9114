"""The identity keys of a table: fields marked with a kind, each normalising what it is given
to the canonical key (or None for what is no key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cairn.identity.keys import key_fields
from cairn.meta import Field, builtin_field_types

TYPES = builtin_field_types()


def make(fid: int, key: str, type_key: str, options: dict[str, Any] | None = None) -> Field:
    checked = TYPES.get(type_key).validate_options(options or {})
    return Field(id=fid, table_id=1, key=key, name=key, type=type_key, options=checked)


def test_only_marked_live_fields_are_keys_in_order() -> None:
    gone = make(5, "old_vin", "vin", {"identity_key": "vin"}).model_copy(
        update={"deleted_at": datetime(2026, 1, 1, tzinfo=UTC)}
    )
    fields = [
        make(1, "name", "text"),
        make(2, "mobile", "phone", {"identity_key": "mobile", "region": "HK"}),
        make(3, "vin", "vin", {"identity_key": "vin"}),
        make(4, "plain_vin", "vin"),
        gone,
        make(6, "passport", "text", {"identity_key": "passport"}),
    ]
    keys = key_fields(fields, TYPES)
    assert [(k.field.key, k.kind) for k in keys] == [
        ("mobile", "mobile"),
        ("vin", "vin"),
        ("passport", "passport"),
    ]


def test_a_key_field_normalises_or_says_none() -> None:
    mobile, vin, email = key_fields(
        [
            make(1, "mobile", "phone", {"identity_key": "mobile", "region": "HK"}),
            make(2, "vin", "vin", {"identity_key": "vin"}),
            make(3, "email", "email", {"identity_key": "email"}),
        ],
        TYPES,
    )
    assert mobile.normalise("9123 4567") == "+85291234567"  # the field's region
    assert vin.normalise("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"
    assert vin.normalise("1M8GDM9A1KP042788") is None
    assert email.normalise("Li.Lei@Example.COM") == "li.lei@example.com"
    assert email.normalise("  ") is None
    assert email.normalise(None) is None
