"""The unit of work: one connection and one transaction; events go to the outbox at commit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Entry, Principal, audit, config_audit
from cairn.core import Event, Invalid, Message, RegistryError
from cairn.identity.rules import CompiledRule
from cairn.store import Catalog, TableSchema, bump_schema_version, changes, data_versions, outbox
from cairn.store.catalog import insert_definition, update_definitions

if TYPE_CHECKING:
    from cairn.auth.guard import Guard
    from cairn.core import Clock
    from cairn.services.context import Services

_UNIQUE_FIELD = re.compile(r"(?:ux_t\d+_f(\d+)|t_\d+\.f_(\d+))")
_UNIQUE_LINK = re.compile(r"(?:ux_j(\d+)_src|ix_j(\d+)_dst|j_(\d+)\.(?:src_id|dst_id))")


class UnitOfWork:
    def __init__(
        self,
        services: Services,
        conn: sa.Connection,
        actor_id: int | None,
        principal: Principal = SYSTEM,
    ) -> None:
        self.services = services
        self.conn = conn
        self.principal = principal
        self.actor_id = actor_id if actor_id is not None else principal.user_id
        self.now = services.clock.now().astimezone(UTC).replace(tzinfo=None)
        self.events: list[Event] = []
        #: Merged into the payload of every event of this unit of work (a rule's writes carry
        #: their loop depth this way).
        self.event_meta: dict[str, Any] = {}
        #: Called with the unit of work just before it commits (a rule marks its action done
        #: in the same transaction as the write).
        self.before_commit: list[Any] = []
        self.audit_entries: list[Entry] = []
        #: Definitions this unit of work changes (``cairn.store.changes``): audited at commit.
        self.changes = config_audit.ChangeTracker(lambda kind: _channel_secrets(services, kind))
        self._schema_changed = False
        #: Runs without a transaction (``unit_of_work(reads_only=True)`` on PostgreSQL).
        self.reads_only = False
        self._catalog: Catalog | None = None
        self._after_commit: list[Callable[[], Any]] = []
        #: The permission layer of this unit of work (``cairn.auth.guard.guard`` builds it).
        self.permissions: Guard | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self.services.catalogs.get(self.conn, private=self._schema_changed)
        return self._catalog

    @property
    def catalog_is_private(self) -> bool:
        """The schema changed in this unit of work: its catalogue is its own, not shared."""
        return self._schema_changed

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def match_rules(self, s: TableSchema) -> list[CompiledRule]:
        """One-ID's enabled match rules of ``s``, compiled (cached per catalogue version):
        what ``cairn.identity.resolve`` asks of the unit of work it runs in."""
        return self.services.identity_rules_cache.for_table(self, s.id)

    def viewed_as(self, principal: Principal) -> UnitOfWork:
        """This transaction as ``principal`` sees it (the catalogue shared): for reads as
        another user; what the view emits or audits is not written."""
        view = UnitOfWork(self.services, self.conn, None, principal)
        view._catalog = self.catalog
        return view

    def schema_changed(self) -> None:
        """Mark the schema as changed: other processes reload, this one re-reads privately."""
        if self.reads_only:
            raise RuntimeError("a unit of work that only reads may not change the schema")
        if not self._schema_changed:
            bump_schema_version(self.conn)
            self._schema_changed = True
        self._catalog = None

    def update_definitions(self, table: sa.Table, ids: int | list[int], **values: Any) -> None:
        """Change app, table or field definitions and mark the schema as changed."""
        update_definitions(self.conn, table, ids, **values)
        self.schema_changed()

    def insert_definition(self, table: sa.Table, **values: Any) -> int:
        """Add an app, table or field definition and mark the schema as changed."""
        new_id = insert_definition(self.conn, table, **values)
        self.schema_changed()
        return new_id

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def after_commit(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` once the transaction has committed (not at all if it rolls back)."""
        self._after_commit.append(fn)

    def audit(self, *entries: Entry) -> None:
        """Record entries in the audit log when the transaction commits."""
        self.audit_entries.extend(entries)

    def checkpoint(self) -> Callable[[], None]:
        """What was collected so far; calling the result drops what was collected after (a
        savepoint rolled back: its events, hooks and audit entries go with it)."""
        marks = (
            len(self.events),
            len(self.before_commit),
            len(self.audit_entries),
            len(self._after_commit),
        )

        def undo() -> None:
            del self.events[marks[0] :], self.before_commit[marks[1] :]
            del self.audit_entries[marks[2] :], self._after_commit[marks[3] :]

        return undo

    def adopt(self, other: UnitOfWork) -> None:
        """Take over what ``other`` (a unit of work on the same connection) collected, but
        its audit entries; ``other`` is left empty."""
        self.events.extend(other.events)
        self.before_commit.extend(other.before_commit)
        self._after_commit.extend(other._after_commit)
        other.events, other.audit_entries = [], []
        other.before_commit, other._after_commit = [], []


@contextmanager
def unit_of_work(
    services: Services,
    *,
    write: bool = True,
    actor_id: int | None = None,
    principal: Principal = SYSTEM,
    reads_only: bool = False,
) -> Iterator[UnitOfWork]:
    """One connection and one transaction.

    ``write=False``: the body reads. What it records (events, audit entries, e.g. of an
    export) is written after the reads, all together in a write transaction of its own: on
    SQLite a reading transaction cannot become a writing one once another writer has committed
    ("database is locked"). ``reads_only``: the body reads records and nothing else (a page,
    a record); on PostgreSQL it then runs without BEGIN and COMMIT, each statement seeing what
    was committed when it started (what READ COMMITTED gives each statement of a transaction
    anyway): two round trips fewer per page. Such a body may not write, lock or change the
    schema."""
    with services.engine.connect() as conn:
        conn.info["write"] = write
        untransacted = reads_only and conn.dialect.name == "postgresql"
        separate = not write and (untransacted or conn.dialect.name == "sqlite")
        if untransacted:
            conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            with conn.begin():
                uow = UnitOfWork(services, conn, actor_id, principal)
                uow.reads_only = untransacted
                conn.info[changes.INFO_KEY] = uow.changes  # the store announces its writes
                try:
                    yield uow
                    if not separate:
                        _finish(conn, uow)
                finally:
                    conn.info.pop(changes.INFO_KEY, None)
            if separate and (uow.before_commit or uow.events or uow.audit_entries):
                if untransacted:
                    conn.execution_options(isolation_level=conn.default_isolation_level)
                conn.info["write"] = True
                with conn.begin():
                    _finish(conn, uow)
        except sa.exc.IntegrityError as e:
            raise _integrity_error(uow, e) from e
        if uow._schema_changed:
            services.catalogs.invalidate()
    for fn in uow._after_commit:
        fn()


def _finish(conn: sa.Connection, uow: UnitOfWork) -> None:
    """What a unit of work writes as it commits: its hooks, the data versions of the tables
    it changed (held until the commit), its events and its audit entries."""
    for hook in uow.before_commit:
        hook(uow)
    entries = uow.audit_entries
    if uow.changes:
        entries = config_audit.merge(entries, uow.changes.entries(conn))
    # The versions move before the events are appended: a table's writers then append one
    # after another (the version row stays locked to the commit), so its events are numbered
    # in the order they commit (``reports.incremental`` reads the events after a mark).
    data_versions.bump(conn, _changed_data(uow.events, entries))
    if uow.events:
        outbox.append(conn, uow.events, uow.now, uow.event_meta)
    if entries:
        audit.append(conn, uow.now, uow.principal, entries)


#: Audit targets whose change moves who is in which department (row scopes read it in SQL).
_DIRECTORY_TARGETS = frozenset({"user", "department"})


def _changed_data(events: list[Event], entries: list[Entry]) -> set[int]:
    """The tables whose records changed (each record event names one), and the directory
    when a user or department changed."""
    tables = {e.table_id for e in events if e.table_id and e.type.startswith("record.")}
    if any(e.target_type in _DIRECTORY_TARGETS for e in entries):
        tables.add(data_versions.DIRECTORY)
    return tables


def _channel_secrets(services: Services, kind: str) -> tuple[str, ...] | None:
    try:
        return tuple(services.channels.get(kind).secret_fields)
    except RegistryError:
        return None


def _integrity_error(uow: UnitOfWork, e: sa.exc.IntegrityError) -> Exception:
    """A constraint the pre-checks did not catch (a concurrent writer): say which field."""
    text = str(e.orig)
    m = _UNIQUE_FIELD.search(text)
    if m:
        field_id = int(m.group(1) or m.group(2))
        latest = uow.services.catalogs.latest
        f = latest.all_fields.get(field_id) if latest is not None else None
        key = f.key if f else f"f_{field_id}"
        return Invalid("invalid.input", {key: [Message("field.unique", {"value": "?"})]})
    m = _UNIQUE_LINK.search(text)
    if m:
        return Invalid("invalid.input", {"links": [Message("value.relation_taken", {"ids": "?"})]})
    return e
