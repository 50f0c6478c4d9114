"""Record imports (issue 21): upload and preview, start a dry run or the run, progress,
cancel, the error file, saved mappings. The rows are written by the worker
(``services.import_runs``); everything here is a short request."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cairn.auth import SYSTEM, Entry, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, Message, NotFound
from cairn.core.i18n import DEFAULT_LANGUAGE, render
from cairn.imports import jobs
from cairn.imports import mapping as mappings
from cairn.imports.sources import kind_of, open_source
from cairn.imports.subform_sheets import recognised
from cairn.query.cells import csv_cell
from cairn.services.import_mappings import may_write as _may_write
from cairn.services.import_mappings import save_in
from cairn.services.import_mappings import shape as _mapping_json
from cairn.services.import_mappings import targets_of as _fields
from cairn.services.import_ports import has_match_rules
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import imports as store
from cairn.store import users as store_users
from cairn.store.files import write_stream

if TYPE_CHECKING:
    from cairn.services.context import Services


class ImportService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- upload and preview -------------------------------------------------------------------
    def upload(
        self,
        app: str,
        table: str,
        filename: str,
        stream: BinaryIO,
        principal: Principal = SYSTEM,
        *,
        sheet: str | None = None,
        header_rows: int | None = None,
    ) -> dict[str, Any]:
        """Store the file, read its header and first rows and suggest a field per column."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            _may_write(uow, s)
        folder = self.s.settings.data_dir / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(filename or "import.csv").name[:255] or "import.csv"
        path = folder / f"{secrets.token_urlsafe(18)}{Path(name).suffix[:10]}"
        limit = self.s.settings.import_max_mb * 1024 * 1024
        try:
            write_stream(path, stream, limit)
            with path.open("rb") as fh:
                kind = kind_of(name, fh.read(8))
            source = open_source(path, kind, sheet=sheet, header_rows=header_rows)
            preview = source.preview()
            with unit_of_work(self.s, principal=principal) as uow:
                s = uow.catalog.table(app, table)
                job_id = store.insert_job(
                    uow.conn,
                    app_id=s.app.id,
                    table_id=s.id,
                    status="uploaded",
                    file_name=name,
                    file_path=str(path),
                    source=jobs.source_json(source),
                    total_rows=source.total_estimate,
                    created_by=principal.user_id,
                    created_at=uow.now,
                )
                out = self._job(uow, s, store.job(uow.conn, job_id))
                return self._previewed(uow, s, out, source.header, preview)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def reshape(
        self,
        app: str,
        table: str,
        job_id: int,
        *,
        sheet: str | None = None,
        header_rows: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Read the file again with another sheet or header height; the new preview."""
        with unit_of_work(self.s, principal=principal) as uow:
            s, row = self._own(uow, app, table, job_id)
            jobs.startable(row)
            source = open_source(
                Path(row.file_path), row.source["kind"], sheet=sheet, header_rows=header_rows
            )
            store.update_job(
                uow.conn, job_id, source=jobs.source_json(source), total_rows=source.total_estimate
            )
            out = self._job(uow, s, store.job(uow.conn, job_id))
            return self._previewed(uow, s, out, source.header, source.preview())

    # -- start, progress, cancel ----------------------------------------------------------------
    def start(
        self,
        app: str,
        table: str,
        job_id: int,
        body: Any,
        *,
        dry_run: bool,
        principal: Principal = SYSTEM,
        language: str = DEFAULT_LANGUAGE,
    ) -> dict[str, Any]:
        """Queue a dry run or the run with the mapping, mode, key and rules choice in
        ``body``; the worker takes it (``ImportRuns.work``)."""
        if not isinstance(body, dict):
            raise Invalid.on("body", "filter.shape")
        phase = "dry_run" if dry_run else "run"
        with unit_of_work(self.s, principal=principal) as uow:
            s, row = self._own(uow, app, table, job_id)
            jobs.startable(row)
            settings = self._settings(uow, s, row, body, principal, language)
            report = dict(row.report or {})
            report.pop(phase, None)
            store.clear_errors(uow.conn, job_id, phase)
            store.update_job(
                uow.conn,
                job_id,
                status="queued",
                phase=phase,
                settings=settings,
                offset=0,
                started_offset=0,
                created=0,
                updated=0,
                skipped=0,
                refused=0,
                report=report,
                error=None,
                cancel_requested=False,
                started_at=None,
                finished_at=None,
                heartbeat_at=None,
            )
            if body.get("save_as"):
                save_in(
                    uow, s, str(body["save_as"])[:200], row.source["header"], settings["mapping"]
                )
            if phase == "run":
                details = jobs.start_details(settings, job_id, row.file_name)
                uow.audit(Entry("record.import_start", "table", s.id, s.app.id, s.id, details))
            return self._job(uow, s, store.job(uow.conn, job_id))

    def _settings(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        row: Any,
        body: dict[str, Any],
        principal: Principal,
        language: str,
    ) -> dict[str, Any]:
        header = row.source["header"]
        fields = _fields(uow, s)
        raw = body.get("mapping")
        if raw is None and body.get("mapping_id") is not None:
            saved = store.mapping(uow.conn, s.id, _int(body["mapping_id"]))
            if saved is None:
                raise NotFound("import.mapping_not_found", id=body["mapping_id"])
            raw = mappings.suggest(header, fields, saved.mapping)
        if raw is None:
            raw = mappings.suggest(header, fields, None)
        mapped = mappings.check(raw, header, fields)
        mode, key = jobs.mode_and_key(body, s, mapped, lambda: has_match_rules(self.s, uow, s))
        g = guard(uow)
        for action in jobs.actions_of(mode):
            g.require(s, action)
        return {
            "mapping": mapped,
            "mode": mode,
            "key": key,
            "run_rules": bool(body.get("run_rules", False)),
            "create_missing_tags": bool(body.get("create_missing_tags", False)),
            "language": language,
            "actor": {"user_id": principal.user_id, "channel": principal.channel},
        }

    def get(
        self, app: str, table: str, job_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s, row = self._own(uow, app, table, job_id)
            return self._job(uow, s, row)

    def list(self, app: str, table: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            rows = store.jobs_of(uow.conn, s.id)
            mine = [r for r in rows if principal.is_admin or r.created_by == principal.user_id]
            names = store_users.display_names(uow.conn, {r.created_by for r in mine})
            return [self._job(uow, s, r, names) for r in mine]

    def cancel(
        self, app: str, table: str, job_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Stop the job after the batch it is writing (that batch is rolled back); a job not
        yet taken by a worker is cancelled at once."""
        with unit_of_work(self.s, principal=principal) as uow:
            s, row = self._own(uow, app, table, job_id)
            if row.status == "queued":
                store.update_job(
                    uow.conn, job_id, status="cancelled", cancel_requested=True, finished_at=uow.now
                )
            elif row.status == "running":
                store.update_job(uow.conn, job_id, cancel_requested=True)
            return self._job(uow, s, store.job(uow.conn, job_id))

    def errors_csv(
        self,
        app: str,
        table: str,
        job_id: int,
        *,
        phase: str = "run",
        principal: Principal = SYSTEM,
        language: str = DEFAULT_LANGUAGE,
    ) -> Iterator[str]:
        """The refused rows as CSV (UTF-8 with a BOM): the file's columns, then the row
        number and the reason; fix them and import this file again."""
        if phase not in jobs.PHASES:
            raise Invalid.on("phase", "value.choice", value=phase)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            _, row = self._own(uow, app, table, job_id)
        if not row.file_path:
            raise Invalid.on("import", "import.expired")
        header = list(row.source["header"])
        labels = [
            render(Message(k, {}), language) for k in ("import.column_row", "import.column_reason")
        ]

        def lines() -> Iterator[str]:
            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow([csv_cell(h) for h in header + labels])
            yield "\ufeff" + buf.getvalue()
            for e in store.iter_errors(self.s.engine, job_id, phase):
                buf.seek(0)
                buf.truncate()
                w.writerow([csv_cell(c) for c in e.cells] + [e.row_no, csv_cell(e.reason)])
                yield buf.getvalue()

        return lines()

    # -- shapes -------------------------------------------------------------------------------
    def _own(self, uow: UnitOfWork, app: str, table: str, job_id: int) -> tuple[TableSchema, Any]:
        """The table and the job, which must be of this table and the principal's own (an
        administrator sees every job)."""
        s = uow.catalog.table(app, table)
        guard(uow).require(s, "read")
        row = store.job(uow.conn, job_id)
        p = uow.principal
        if row is None or row.table_id != s.id or not (p.is_admin or row.created_by == p.user_id):
            raise NotFound("import.not_found", id=job_id)
        return s, row

    def _previewed(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        out: dict[str, Any],
        header: list[str],
        preview: list[list[Any]],
    ) -> dict[str, Any]:
        """The job with the file's first rows, the suggested field per column, the fields a
        column may fill and the saved mappings."""
        fields = _fields(uow, s)
        saved = store.mappings(uow.conn, s.id)
        out["preview"] = preview
        out["suggested"] = mappings.suggest(header, fields, jobs.latest(saved))
        out["fields"] = [jobs.field_json(f) for f in fields]
        out["mappings"] = [_mapping_json(m) for m in saved]
        out["subform_sheets"] = recognised(s, out["source"])
        return out

    def _job(
        self, uow: UnitOfWork, s: TableSchema, row: Any, names: dict[int, str] | None = None
    ) -> dict[str, Any]:
        """The job as the API shows it; ``names``: user id → display name, when known."""
        if names is None:
            names = store_users.display_names(uow.conn, [row.created_by])
        done = row.offset
        rate, eta = jobs.progress(row, uow.now)
        settings = dict(row.settings or {})
        settings.pop("actor", None)
        return {
            "id": row.id,
            "status": row.status,
            "phase": row.phase,
            "file_name": row.file_name,
            "source": row.source,
            "settings": settings or None,
            "total_rows": row.total_rows,
            "rows_done": done,
            "counts": {k: getattr(row, k) for k in ("created", "updated", "skipped", "refused")},
            "rate": rate,
            "eta_seconds": eta,
            "report": row.report or {},
            "errors": store.first_errors(uow.conn, row.id, row.phase, 20) if row.phase else [],
            "error": row.error,
            "cancel_requested": bool(row.cancel_requested),
            "created_by": row.created_by,
            "created_by_name": names.get(row.created_by) if row.created_by is not None else None,
            "created_at": row.created_at.isoformat() + "Z",
            "started_at": row.started_at.isoformat() + "Z" if row.started_at else None,
            "finished_at": row.finished_at.isoformat() + "Z" if row.finished_at else None,
            "file_removed": not row.file_path,
        }


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        raise Invalid.on("mapping_id", "value.integer") from None
