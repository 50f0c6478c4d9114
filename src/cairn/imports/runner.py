"""A job's rows, batch by batch, from where the last committed batch left off.

The offset counts the file's data rows (empty ones too) up to the last row of the last
committed batch; each batch is written together with its new offset (``ports.BatchWriter``),
so a run that died mid-batch resumes at that batch's first row and writes no row twice.
"""

from __future__ import annotations

from cairn.imports.ports import BatchWriter
from cairn.imports.sources import Source

DONE = "done"
CANCELLED = "cancelled"


def run_rows(source: Source, offset: int, batch_rows: int, write: BatchWriter) -> str:
    """Feed ``write`` the rows after ``offset`` in batches of ``batch_rows``; ``DONE``, or
    ``CANCELLED`` when a write says the job was cancelled."""
    skip_to = source.header_rows + offset
    batch: list[tuple[int, list]] = []
    last = skip_to
    for row_no, cells in source.numbered():
        if row_no <= skip_to:
            continue
        batch.append((row_no, cells))
        last = row_no
        if len(batch) >= batch_rows:
            if not write(batch, last - source.header_rows):
                return CANCELLED
            batch = []
    if batch and not write(batch, last - source.header_rows):
        return CANCELLED
    return DONE
