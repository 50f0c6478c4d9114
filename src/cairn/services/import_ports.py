"""The ports of the import engine (``imports.ports``) over this platform: a batch's table
read and written in the batch's unit of work as the importing user (the query layer, the
permission guard, One-ID's matching and the one bulk write path ``RecordWrites.bulk_in``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth.guard import guard
from cairn.core import Invalid
from cairn.imports.rows import TAGS_KEY
from cairn.meta import Field
from cairn.query import build_select
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, records

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Key values looked up per query (a page of the query layer holds at most 1,000 records).
LOOKUP_CHUNK = 500


def has_match_rules(services: Services, uow: UnitOfWork, s: TableSchema) -> bool:
    """The table has enabled One-ID rules (an import may upsert by match)."""
    return bool(services.identity_rules_cache.for_table(uow, s.id))


class BatchRecords:
    """``imports.ports.Records`` for table ``s`` in ``uow``."""

    def __init__(self, services: Services, uow: UnitOfWork, s: TableSchema) -> None:
        self.s = services
        self.uow = uow
        self.table = s

    def existing(self, key: Field, values: list[Any]) -> dict[Any, tuple[int, int]]:
        """One indexed query per chunk of keys on the unique column (a sensitive key, stored
        sealed, through the query layer's blind index, 500 at a time)."""
        uow, s = self.uow, self.table
        where = guard(uow).row_where(s, "update")
        found: dict[Any, tuple[int, int]] = {}
        size = LOOKUP_CHUNK if key.sensitive else records.in_chunk(uow.conn)
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            if key.sensitive:
                found.update(self._sealed(key, chunk, where))
                continue
            t, col = s.sa_table, s.column(key)
            hit = records.value_in(uow.conn, col, chunk)
            q = sa.select(t.c.id, t.c.version, col).where(hit, t.c.deleted_at.is_(None))
            if where is not None:
                q = q.where(where)
            found.update({r[2]: (r[0], r[1]) for r in uow.conn.execute(q)})
        return found

    def _sealed(self, key: Field, chunk: list[Any], where: Any) -> dict[Any, tuple[int, int]]:
        uow, s = self.uow, self.table
        plan = build_select(
            uow.catalog,
            s,
            filter={"field": key.key, "op": "in", "value": chunk},
            fields=[key.key],
            limit=len(chunk),  # a unique field: one record per value at most
            clock=self.s.clock,
            extra_where=where,
        )
        rows = list(uow.conn.execute(plan.select))
        coerce = s.coercers[key.id]
        dumped = self.s.records.row_dump(uow).rows(s, rows, [key])
        return {coerce(d[key.key]): (d["id"], d["version"]) for d in dumped}

    def candidates(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        return self.s.identity.match_in(self.uow, self.table, item)

    def updatable(self, ids: list[int]) -> dict[int, int]:
        if not ids:
            return {}
        uow, t = self.uow, self.table.sa_table
        q = sa.select(t.c.id, t.c.version).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
        where = guard(uow).row_where(self.table, "update")
        if where is not None:
            q = q.where(where)
        return {int(r[0]): int(r[1]) for r in uow.conn.execute(q)}

    def write(self, items: list[dict[str, Any]]) -> Invalid | None:
        """Under a savepoint: a refused try is rolled back with its events and audit
        entries."""
        uow, s = self.uow, self.table
        events_at, audit_at = len(uow.events), len(uow.audit_entries)
        savepoint = uow.conn.begin_nested()
        tagged = [item.get(TAGS_KEY) for item in items]
        plain = [{k: v for k, v in item.items() if k != TAGS_KEY} for item in items]
        try:
            written = self.s.records.bulk_in(uow, s.app.key, s.table.key, plain, return_items=False)
            # The ids come creates first (in item order), then updates.
            created = iter(written["ids"])
            ids = [item["id"] if "id" in item else next(created) for item in plain]
            for rid, tags in zip(ids, tagged, strict=True):
                if tags:  # added to what the record has (source import)
                    self.s.tags.apply_in(uow, s, [rid], tags, [], "import")
        except Invalid as e:
            savepoint.rollback()
            del uow.events[events_at:]
            del uow.audit_entries[audit_at:]
            return e
        savepoint.commit()
        return None
