"""Sensitive fields at rest: the column ``f_<id>`` holds AES-GCM ciphertext (the field id bound
as associated data) and ``f_<id>_bi`` a keyed blind index of the normalised value, so equality
filters and unique checks run in SQL without the database ever seeing the value.

A ``Sealer`` is built per sensitive field and catalogue version; the key ring comes from the
field context (``CAIRN_ENCRYPTION_KEYS``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cairn.core import Conflict
from cairn.core.crypto import PREFIX, CryptoError, KeyRing
from cairn.meta import Field, FieldType
from cairn.store import system

#: What history, the audit log and events hold for a sensitive value (None stays None: that a
#: value was cleared is not secret). The value itself is in the record, encrypted.
SEALED = "****"

_TOKEN = PREFIX + ":"


def context(field_id: int) -> str:
    """Associated data and index context: a ciphertext belongs to one field."""
    return f"field:{field_id}"


@dataclass(frozen=True)
class Sealer:
    field: Field
    field_type: FieldType
    ring: KeyRing | None

    @property
    def context(self) -> str:
        return context(self.field.id)

    def keys(self) -> KeyRing:
        if self.ring is None:
            raise Conflict("field.sensitive_no_keys", field=self.field.name)
        return self.ring

    def index(self, value: Any) -> str | None:
        """The blind index of a coerced value (None for a blank)."""
        if value is None:
            return None
        return self.keys().blind_index(self.field_type.index_text(str(value)), self.context)

    def seal(self, value: Any) -> tuple[str | None, str | None]:
        """(ciphertext, blind index) of a coerced value."""
        if value is None:
            return None, None
        text = str(value)
        return self.keys().encrypt(text, self.context), self.index(text)

    def open(self, stored: Any) -> Any:
        """The plaintext of a stored ciphertext. A value that is not a ciphertext (a coerced
        value on its way to an error message) passes unchanged."""
        if not isinstance(stored, str) or not stored.startswith(_TOKEN):
            return stored
        try:
            return self.keys().decrypt(stored, self.context)
        except CryptoError:
            raise Conflict("field.sensitive_unreadable", field=self.field.name) from None

    def opening(self, dump: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        """``dump`` preceded by decryption: how the field's stored value becomes JSON."""
        if dump is None:
            return self.open
        inner = dump
        return lambda v: inner(self.open(v))


def sealed(value: Any) -> Any:
    """A sensitive value as history, the audit log and events show it."""
    return None if value is None else SEALED


def scrub_history(conn: sa.Connection, table_id: int, field_id: int, batch: int = 1000) -> int:
    """Replace the field's values in the table's change history with ``SEALED`` (a field just
    made sensitive keeps no plaintext there); returns the rows changed. The audit log is
    hash-chained and append-only, so its older entries are left as they were."""
    h = system.history
    key = str(field_id)
    last, changed = 0, 0
    while True:
        rows = conn.execute(
            sa.select(h.c.id, h.c.changes)
            .where(h.c.table_id == table_id, h.c.id > last)
            .order_by(h.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        updates = []
        for rid, changes in rows:
            pair = changes.get(key) if isinstance(changes, dict) else None
            if isinstance(pair, list) and any(v not in (None, SEALED) for v in pair):
                updates.append({"hid": rid, "c": {**changes, key: [sealed(v) for v in pair]}})
        if updates:
            conn.execute(
                sa.update(h).where(h.c.id == sa.bindparam("hid")).values(changes=sa.bindparam("c")),
                updates,
            )
            changed += len(updates)
        last = rows[-1][0]


def rotate_batch(
    conn: sa.Connection,
    sql_name: str,
    f: Field,
    sealer: Sealer,
    ring: KeyRing,
    after: int,
    size: int,
    counts: dict[str, int],
) -> int | None:
    """Re-encrypt with the ring's current key, and re-index, the next ``size`` values of ``f``
    in record table ``sql_name`` after record id ``after``, adding to ``counts`` (scanned,
    reencrypted, reindexed, skipped: changed meanwhile). The last id read; None: no more."""
    t = sa.table(
        sql_name, sa.column("id"), sa.column(f.column_name), sa.column(f.index_column_name)
    )
    col, bi = t.c[f.column_name], t.c[f.index_column_name]
    rows = conn.execute(
        sa.select(t.c.id, col, bi)
        .where(t.c.id > after, col.is_not(None))
        .order_by(t.c.id)
        .limit(size)
    ).all()
    if not rows:
        return None
    params = []
    for rid, token, index in rows:
        plain = sealer.open(token)
        # A value that is somehow not a ciphertext is sealed now.
        new_token = (
            ring.rotate(token, sealer.context)
            if ring.key_of(token) is not None
            else ring.encrypt(plain, sealer.context)
        )
        new_index = sealer.index(plain)
        if new_token != token:
            counts["reencrypted"] += 1
        if new_index != index:
            counts["reindexed"] += 1
        if new_token != token or new_index != index:
            params.append({"rid": rid, "old": token, "v": new_token, "b": new_index})
    if params:
        res = conn.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("rid"), col == sa.bindparam("old"))
            .values({f.column_name: sa.bindparam("v"), f.index_column_name: sa.bindparam("b")}),
            params,
        )
        if res.rowcount is not None and res.rowcount >= 0:
            counts["skipped"] += len(params) - res.rowcount
    counts["scanned"] += len(rows)
    return rows[-1][0]
