"""The compiled match rules of every table, kept per catalogue version.

Every record write asks for its table's rules (``cairn.identity.resolve``), so they must cost a
dictionary lookup, not a query: a rule change marks the schema as changed (like a field
change), every process then reloads the catalogue and with it, on first use, the rules (one
query for all tables). A unit of work that changed the schema reads its own, uncached."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cairn.identity.rules import CompiledRule, compile_rule, rule_from_row
from cairn.store import identity as store

if TYPE_CHECKING:
    from cairn.services.uow import UnitOfWork


class RuleCache:
    def __init__(self) -> None:
        self._version: int | None = None
        self._rules: dict[int, list[CompiledRule]] = {}
        self._lock = threading.Lock()

    def for_table(self, uow: UnitOfWork, table_id: int) -> list[CompiledRule]:
        """The table's enabled rules, compiled against the unit of work's catalogue."""
        cat = uow.catalog
        if uow.catalog_is_private:
            return self._load(uow)[0].get(table_id, [])
        if self._version != cat.version:
            with self._lock:
                if self._version != cat.version:
                    self._rules, _ = self._load(uow)
                    self._version = cat.version
        return self._rules.get(table_id, [])

    @staticmethod
    def _load(uow: UnitOfWork) -> tuple[dict[int, list[CompiledRule]], None]:
        out: dict[int, list[CompiledRule]] = {}
        types = uow.services.field_types
        for row in store.rules(uow.conn):
            if not row.enabled or row.table_id not in uow.catalog.schemas:
                continue
            compiled = compile_rule(rule_from_row(row), uow.catalog, types)
            if compiled is not None:
                out.setdefault(row.table_id, []).append(compiled)
        return out, None

    def invalidate(self) -> None:
        self._version = None
