"""The sweep of import files: an uploaded file is needed while its job may still run (a
dry run leads to the run; a failed or cancelled job may be started again) and its refused
rows while the user fixes them from the error file. Both are kept ``import_keep_days``
after the job finished, then removed (the job, its counts and report stay as history); an
upload never started is removed with its job after ``import_upload_hours``. The worker
sweeps once an hour (``worker.imports``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.services.uow import unit_of_work
from cairn.store import imports as store

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)


class ImportFiles:
    def __init__(self, services: Services) -> None:
        self.s = services

    def sweep(self) -> int:
        """Remove what has expired (by the services' clock); how many jobs were swept. Each
        job's row changes first, conditionally (a job started again meanwhile is left), and
        its file is deleted after that commits."""
        settings = self.s.settings
        n = 0
        while True:
            with unit_of_work(self.s) as uow:
                finished_before = uow.now - timedelta(days=settings.import_keep_days)
                uploaded_before = uow.now - timedelta(hours=settings.import_upload_hours)
                rows = store.expired(uow.conn, finished_before, uploaded_before)
            if not rows:
                return n
            for r in rows:
                with unit_of_work(self.s) as uow:
                    if r.status == "uploaded":
                        gone = store.drop_upload(uow.conn, r.id, uploaded_before)
                    else:
                        gone = store.forget_file(uow.conn, r.id, finished_before)
                if gone:
                    n += 1
                    _unlink(r.file_path)
            if len(rows) < 500:
                return n


def _unlink(path: str) -> None:
    if not path:
        return
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:  # the sweep goes on; the file is logged for a look
        log.warning("could not remove the import file %s", path, exc_info=True)
