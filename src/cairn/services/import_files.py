"""The sweep of import files (``imports.expiry`` says what has expired): once an hour on
the worker (``worker.imports``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.imports import expiry
from cairn.services.uow import unit_of_work
from cairn.store import imports as store

if TYPE_CHECKING:
    from cairn.services.context import Services


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
                finished_before, uploaded_before = expiry.cutoffs(
                    uow.now, settings.import_keep_days, settings.import_upload_hours
                )
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
                    expiry.unlink(r.file_path)
            if len(rows) < expiry.PAGE:
                return n
