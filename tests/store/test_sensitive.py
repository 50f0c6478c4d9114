"""The sealer of a sensitive field: ciphertext bound to its field, a stable blind index, and
history scrubbing when a field becomes sensitive."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
import sqlalchemy as sa

from cairn.core import Conflict
from cairn.core.crypto import KeyRing
from cairn.meta import Field, builtin_field_types
from cairn.store import create_engine, migrate, system
from cairn.store.sensitive import SEALED, Sealer, scrub_history

RING = KeyRing.parse("k1:" + base64.b64encode(b"k" * 32).decode())
TYPES = builtin_field_types()


def sealer(fid: int, type_key: str = "text", ring: KeyRing | None = RING) -> Sealer:
    f = Field(
        id=fid,
        table_id=1,
        key=f"f{fid}",
        name=f"F{fid}",
        type=type_key,
        options={"sensitive": True},
    )
    return Sealer(f, TYPES.get(type_key), ring)


def test_seal_and_open() -> None:
    s = sealer(7)
    token, index = s.seal("身份证 110101199003071234")
    assert token.startswith("enc1:k1:") and "1101" not in token
    assert s.open(token) == "身份证 110101199003071234"
    assert s.seal("身份证 110101199003071234")[0] != token  # a fresh nonce each time
    assert s.seal("身份证 110101199003071234")[1] == index  # the same blind index
    assert s.seal(None) == (None, None)
    assert s.open(None) is None
    assert s.open("plain text") == "plain text"  # a coerced value passes through


def test_a_ciphertext_belongs_to_its_field() -> None:
    token, index = sealer(7).seal("x")
    with pytest.raises(Conflict):
        sealer(8).open(token)
    assert sealer(8).index("x") != index


def test_email_index_ignores_case() -> None:
    s = sealer(3, "email")
    assert s.index("Ann@example.com") == s.index("ann@EXAMPLE.com")


def test_without_keys_it_says_so() -> None:
    with pytest.raises(Conflict) as e:
        sealer(7, ring=None).seal("x")
    assert e.value.message.key == "field.sensitive_no_keys"


def test_scrub_history(db_url: str) -> None:
    engine = create_engine(db_url)
    migrate(engine)
    h = system.history
    now = datetime(2026, 1, 1)
    rows = [
        {
            "table_id": 1,
            "record_id": 1,
            "version": 2,
            "action": "update",
            "changes": {"5": ["a", "b"], "6": [1, 2]},
            "actor_id": None,
            "at": now,
        },
        {
            "table_id": 1,
            "record_id": 2,
            "version": 2,
            "action": "update",
            "changes": {"5": [None, "c"]},
            "actor_id": None,
            "at": now,
        },
        {
            "table_id": 2,
            "record_id": 1,
            "version": 2,
            "action": "update",
            "changes": {"5": ["keep", "me"]},
            "actor_id": None,
            "at": now,
        },
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(h), rows)
        assert scrub_history(conn, 1, 5, batch=1) == 2
        got = [r.changes for r in conn.execute(sa.select(h).order_by(h.c.id))]
    engine.dispose()
    assert got == [
        {"5": [SEALED, SEALED], "6": [1, 2]},
        {"5": [None, SEALED]},
        {"5": ["keep", "me"]},
    ]
