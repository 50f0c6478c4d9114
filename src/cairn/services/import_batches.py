"""One batch of an import job (``services.import_runs``): the rows built, matched by the key,
written through ``RecordWrites.bulk_in`` and the job moved to its new offset, in one
transaction; a dry run's batch rolled back and only its outcome kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, Message, events
from cairn.core.i18n import render
from cairn.imports.rows import Built, RowBuilder, columns
from cairn.meta import BadValue, Field
from cairn.query import build_select
from cairn.services.import_lookups import Lookups
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, records
from cairn.store import imports as store

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Key values looked up per query (a page of the query layer holds at most 1,000 records).
LOOKUP_CHUNK = 500
#: Per-row outcomes kept in a job's report (the first rows: what the wizard shows).
REPORT_ROWS = 200


class _Rollback(Exception):
    """Leaves a unit of work without committing (a dry run's batch, a cancelled job's)."""


@dataclass
class Outcome:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "skipped": 0, "refused": 0}
    )
    rows: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, list[Any], str]] = field(default_factory=list)
    #: Per-row entries are kept up to this file row (the report's sample, the file's first
    #: rows); later rows are counted only, so a million-row job builds no entry per row.
    sample_to: int = -1

    def add(self, b: Built, outcome: str, reason: str | None = None) -> None:
        self.counts[outcome] += 1
        if outcome == "refused":
            self.refused.append((b.row_no, [_jsonable(c) for c in b.cells], reason or ""))
        if b.row_no > self.sample_to:
            return
        entry: dict[str, Any] = {"row": b.row_no, "outcome": outcome}
        if reason:
            entry["reason"] = reason
        self.rows.append(entry)


class Batches:
    """The batch writer of one job (``imports.ports.BatchWriter``)."""

    def __init__(
        self,
        services: Services,
        job: Any,
        principal: Principal,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.s = services
        self.stop = stop
        #: The worker is shutting down: the job goes back to the queue.
        self.stopped = False
        #: Told the rows done after each committed batch (the command line's progress bar).
        self.progress: Callable[[int], Any] | None = None
        self.job = job
        self.principal = principal
        st = job.settings
        self.mapping: list[str | None] = st["mapping"]
        self.mode: str = st["mode"]
        self.key: str | None = st.get("key")
        self.language: str = st.get("language") or self.s.settings.language
        self.dry = job.phase == "dry_run"
        self.meta: dict[str, Any] = {"import_id": job.id}
        if not st.get("run_rules"):
            self.meta[events.NO_RULES] = True
        report = dict(job.report or {})
        self.report = report
        self.sample: list[dict[str, Any]] = list(report.get(job.phase, {}).get("rows", []))
        self._builder: tuple[Any, RowBuilder] | None = None

    def __call__(self, rows: list[tuple[int, list[Any]]], offset: int) -> bool:
        if self.stop is not None and self.stop():
            self.stopped = True
            return False
        out: Outcome | None = None
        try:
            with unit_of_work(self.s, principal=self.principal) as uow:
                uow.event_meta.update(self.meta)
                out = self.write(uow, rows)
                if self.dry:
                    raise _Rollback
                if not self._advance(uow, offset, out):
                    raise _Rollback
                return True
        except _Rollback:
            pass
        if not self.dry or out is None:
            return False
        with unit_of_work(self.s) as uow:
            return self._advance(uow, offset, out)

    def _advance(self, uow: UnitOfWork, offset: int, out: Outcome) -> bool:
        report = None
        if len(self.sample) < REPORT_ROWS:
            self.sample.extend(out.rows[: REPORT_ROWS - len(self.sample)])
            self.report[self.job.phase] = {"rows": self.sample}
            report = dict(self.report)
        if not store.advance(uow.conn, self.job.id, offset, out.counts, uow.now, report):
            return False
        store.add_errors(uow.conn, self.job.id, self.job.phase, out.refused)
        if self.progress is not None:
            uow.after_commit(lambda: self.progress(offset))  # type: ignore[misc]
        return True

    # -- one batch ------------------------------------------------------------------------------
    def schema(self, uow: UnitOfWork) -> TableSchema:
        s = uow.catalog.schemas.get(self.job.table_id)
        if s is None:
            raise Invalid.on("table", "table.not_found", table=self.job.table_id)
        return s

    def builder(self, uow: UnitOfWork, s: TableSchema) -> RowBuilder:
        if self._builder is None or self._builder[0] is not uow.catalog:
            value_types = {f.id: s.type_of(f).value_type for f in s.fields}
            cols = columns(self.mapping, s.by_key, value_types)
            self._builder = (uow.catalog, RowBuilder(cols, Lookups(self.s, uow), self.language))
        b = self._builder[1]
        b.lookups = Lookups(self.s, uow)
        return b

    def write(self, uow: UnitOfWork, rows: list[tuple[int, list[Any]]]) -> Outcome:
        s = self.schema(uow)
        wanted = REPORT_ROWS - len(self.sample)
        out = Outcome(sample_to=rows[min(wanted, len(rows)) - 1][0] if wanted > 0 and rows else -1)
        built = self.builder(uow, s).build(rows)
        good: list[Built] = []
        for b in built:
            if b.reasons:
                out.add(b, "refused", "; ".join(b.reasons))
            else:
                good.append(b)
        key = s.by_key.get(self.key) if self.key else None
        if key is not None:
            good = self._keys(s, key, good, out)
        for group in _groups(good):
            self._group(uow, s, key, group, out)
        out.rows.sort(key=lambda r: r["row"])
        out.refused.sort(key=lambda r: r[0])  # the error file in the file's order
        return out

    def _keys(self, s: TableSchema, key: Field, rows: list[Built], out: Outcome) -> list[Built]:
        """Each row's key value as stored (``Built.key``); a row whose key the field refuses
        is refused here."""
        coerce = s.coercers[key.id]
        kept: list[Built] = []
        for b in rows:
            if key.key in b.item:
                try:
                    b.key = coerce(b.item[key.key])
                except BadValue as e:
                    out.add(b, "refused", self.reason(e.message, key))
                    continue
            kept.append(b)
        return kept

    def _group(
        self, uow: UnitOfWork, s: TableSchema, key: Field | None, group: list[Built], out: Outcome
    ) -> None:
        found = self._existing(uow, s, key, group) if key is not None else {}
        writes: list[tuple[Built, dict[str, Any], str]] = []
        for b in group:
            kv = b.key
            hit = found.get(kv) if kv is not None else None
            if self.mode == "insert":
                if hit is not None:
                    out.add(b, "skipped", self.reason(Message("import.exists", {})))
                else:
                    writes.append((b, b.item, "created"))
            elif hit is not None:
                writes.append((b, {**b.item, "id": hit[0], "version": hit[1]}, "updated"))
            elif self.mode == "update":
                why = "import.no_match" if kv is not None else "import.key_empty"
                out.add(b, "skipped", self.reason(Message(why, {})))
            else:
                writes.append((b, b.item, "created"))
        if writes:
            self._write(uow, s, writes, out)

    def reason(self, m: Message, f: Field | None = None) -> str:
        text = render(m, self.language)
        return f"{f.name}: {text}" if f is not None else text

    def _existing(
        self, uow: UnitOfWork, s: TableSchema, key: Field, group: list[Built]
    ) -> dict[Any, tuple[int, int]]:
        """Key value (as stored) → (id, version) of the live records holding it that the
        user may update: one indexed query per chunk of keys on the unique column (a
        sensitive key, stored sealed, through the query layer's blind index, 500 at a time)."""
        values = [b.key for b in group if b.key is not None]
        where = guard(uow).row_where(s, "update")
        found: dict[Any, tuple[int, int]] = {}
        size = LOOKUP_CHUNK if key.sensitive else records.in_chunk(uow.conn)
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            if key.sensitive:
                found.update(self._sealed(uow, s, key, chunk, where))
                continue
            t, col = s.sa_table, s.column(key)
            hit = records.value_in(uow.conn, col, chunk)
            q = sa.select(t.c.id, t.c.version, col).where(hit, t.c.deleted_at.is_(None))
            if where is not None:
                q = q.where(where)
            found.update({r[2]: (r[0], r[1]) for r in uow.conn.execute(q)})
        return found

    def _sealed(
        self, uow: UnitOfWork, s: TableSchema, key: Field, chunk: list[Any], where: Any
    ) -> dict[Any, tuple[int, int]]:
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

    def _write(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        writes: list[tuple[Built, dict[str, Any], str]],
        out: Outcome,
    ) -> None:
        """Write through the bulk path; a row it refuses is taken out and the rest tried
        again (each try under a savepoint, its events and audit entries dropped with it)."""
        pending = writes
        while pending:
            events_at, audit_at = len(uow.events), len(uow.audit_entries)
            savepoint = uow.conn.begin_nested()
            try:
                self.s.records.bulk_in(
                    uow, s.app.key, s.table.key, [w[1] for w in pending], return_items=False
                )
            except Invalid as e:
                savepoint.rollback()
                del uow.events[events_at:]
                del uow.audit_entries[audit_at:]
                bad = self._refused_rows(s, e, len(pending))
                if not bad:
                    raise
                for i in sorted(bad):
                    out.add(pending[i][0], "refused", bad[i])
                pending = [w for i, w in enumerate(pending) if i not in bad]
                continue
            savepoint.commit()
            for b, _, outcome in pending:
                out.add(b, outcome)
            return

    def _refused_rows(self, s: TableSchema, e: Invalid, count: int) -> dict[int, str]:
        bad: dict[int, list[str]] = {}
        for loc, messages in e.field_errors.items():
            parts = loc.split(".")
            if len(parts) < 2 or parts[0] != "records" or not parts[1].isdecimal():
                continue
            i = int(parts[1])
            if i >= count:
                continue
            f = s.by_key.get(parts[2]) if len(parts) > 2 else None
            for m in messages:
                bad.setdefault(i, []).append(self.reason(m, f))
        return {i: "; ".join(r) for i, r in bad.items()}


def _groups(rows: list[Built]) -> list[list[Built]]:
    """The rows in runs without a repeated key (a key twice in a batch: the second row is
    written after the first, as an update of it)."""
    out: list[list[Built]] = []
    current: list[Built] = []
    seen: set[Any] = set()
    for b in rows:
        if b.key is not None and b.key in seen:
            out.append(current)
            current, seen = [], set()
        current.append(b)
        if b.key is not None:
            seen.add(b.key)
    if current:
        out.append(current)
    return out


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)
