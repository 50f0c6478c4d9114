"""When an import's files expire: an uploaded file is needed while its job may still run (a
dry run leads to the run; a failed or cancelled job may be started again) and its refused
rows while the user fixes them from the error file. Both are kept ``keep_days`` after the
job finished, then removed (the job, its counts and report stay as history); an upload never
started is removed with its job after ``upload_hours``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

#: Expired jobs read per round of a sweep.
PAGE = 500


def cutoffs(now: datetime, keep_days: float, upload_hours: float) -> tuple[datetime, datetime]:
    """(finished before, uploaded before): the jobs finished or uploaded before these have
    expired."""
    return now - timedelta(days=keep_days), now - timedelta(hours=upload_hours)


def unlink(path: str) -> None:
    """Remove an expired file; a file that cannot be removed is logged, the sweep goes on."""
    if not path:
        return
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove the import file %s", path, exc_info=True)
