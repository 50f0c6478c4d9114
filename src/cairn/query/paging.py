"""Keyset pagination: opaque cursors and the condition to continue after the last row.

A cursor holds the last row's sort values (and id) plus a short hash of the sort it was made
for, as URL-safe base64 of JSON. Blanks sort last ascending and first descending; each key is
read as (is blank, value) so the condition to continue is a plain lexicographic OR chain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.sql.sqltypes import NullType

from cairn.query.tree import invalid


def sort_signature(table_id: int, keys: Sequence[tuple[str, str]]) -> str:
    """A short hash of (table, [(field, direction)]) so a cursor only fits the sort it came from."""
    text = json.dumps([table_id, [list(k) for k in keys]], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _dump(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return {"f": repr(v)}
    if isinstance(v, Decimal):
        return {"n": str(v)}
    if isinstance(v, datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, date):
        return {"d": v.isoformat()}
    return {"s": str(v)}


def _load(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, dict) and len(v) == 1:
        ((tag, text),) = v.items()
        if isinstance(text, str):
            if tag == "f":
                return float(text)
            if tag == "n":
                return Decimal(text)
            if tag == "dt":
                return datetime.fromisoformat(text)
            if tag == "d":
                return date.fromisoformat(text)
            if tag == "s":
                return text
    raise ValueError("bad cursor value")


def encode_cursor(signature: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps({"h": signature, "v": [_dump(v) for v in values]})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, signature: str, count: int) -> list[Any]:
    """The values in ``cursor``; Invalid ``cursor.invalid`` when it is malformed or made for
    another sort."""
    try:
        if not isinstance(cursor, str) or len(cursor) > 8192:
            raise ValueError
        padded = cursor + "=" * (-len(cursor) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(doc, dict) or doc.get("h") != signature:
            raise ValueError
        values = doc.get("v")
        if not isinstance(values, list) or len(values) != count:
            raise ValueError
        out = [_load(v) for v in values]
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise invalid("cursor", "cursor.invalid") from None
    if out[-1] is None:  # the last key is the record id
        raise invalid("cursor", "cursor.invalid")
    return out


def _bind(expr: sa.ColumnElement[Any], value: Any) -> sa.ColumnElement[Any]:
    if isinstance(expr.type, NullType):
        return sa.literal(value)
    return sa.literal(value, expr.type)


def seek_condition(
    keys: Sequence[tuple[sa.ColumnElement[Any], bool]], values: Sequence[Any]
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` ((expression, descending)), with
    blanks last ascending and first descending."""
    ors: list[sa.ColumnElement[bool]] = []
    equal: list[sa.ColumnElement[bool]] = []
    for (expr, desc), value in zip(keys, values, strict=True):
        after: sa.ColumnElement[bool] | None
        if value is None:
            # Blank: ascending, nothing follows a blank on this key; descending, values do.
            after = expr.is_not(None) if desc else None
            same = expr.is_(None)
        else:
            lit = _bind(expr, value)
            after = expr < lit if desc else sa.or_(expr > lit, expr.is_(None))
            same = expr == lit
        if after is not None:
            ors.append(sa.and_(*equal, after) if equal else after)
        equal.append(same)
    return sa.or_(*ors) if ors else sa.false()
