"""One batch of an import job (``services.import_runs``): the rows built (``imports.rows``),
placed by the job's mode and key (``imports.batch``) and written through ``RecordWrites.bulk_in``
(``import_ports.BatchRecords``), and the job moved to its new offset, in one transaction; a
dry run's batch rolled back and only its outcome kept."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from cairn.auth import Principal
from cairn.core import Invalid, events
from cairn.imports.batch import Placement
from cairn.imports.outcome import Outcome, Report
from cairn.imports.reasons import Reasons
from cairn.imports.rows import RowBuilder, columns
from cairn.imports.subform_sheets import attach as attach_subforms
from cairn.services.import_lookups import Lookups
from cairn.services.import_mappings import fields_of
from cairn.services.import_ports import BatchRecords
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import imports as store

if TYPE_CHECKING:
    from cairn.services.context import Services


class _Rollback(Exception):
    """Leaves a unit of work without committing (a dry run's batch, a cancelled job's)."""


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
        self.dry = job.phase == "dry_run"
        language = st.get("language") or self.s.settings.language
        self.placement = Placement(st["mode"], st.get("key"), Reasons(language), dry=self.dry)
        self.language = language
        self.meta: dict[str, Any] = {"import_id": job.id}
        if not st.get("run_rules"):
            self.meta[events.NO_RULES] = True
        self.report = Report(job.report, job.phase)
        self._builder: tuple[Any, RowBuilder] | None = None
        #: The XLSX sub-form sheets read for this job (``imports.subform_sheets.attach``).
        self._sheets: dict[str, dict[str, list[list[Any]]]] = {}

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
            if not self._advance(uow, offset, out):
                return False
        self.placement.committed(out)
        return True

    def _advance(self, uow: UnitOfWork, offset: int, out: Outcome) -> bool:
        report = self.report.take(out)
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
            attach_subforms(
                s, cols, self.job.source, self.job.file_path, partial(fields_of, uow), self._sheets
            )
            self._builder = (uow.catalog, RowBuilder(cols, self._lookups(uow), self.language))
        b = self._builder[1]
        b.lookups = self._lookups(uow)
        return b

    def _lookups(self, uow: UnitOfWork) -> Lookups:
        found = Lookups(self.s, uow, create_tags=bool(self.job.settings.get("create_missing_tags")))
        found.app_id = self.schema(uow).app.id
        return found

    def write(self, uow: UnitOfWork, rows: list[tuple[int, list[Any]]]) -> Outcome:
        s = self.schema(uow)
        out = Outcome.sampling(rows, len(self.report.sample))
        built = self.builder(uow, s).build(rows)
        return self.placement.place(s, BatchRecords(self.s, uow, s), built, out)
