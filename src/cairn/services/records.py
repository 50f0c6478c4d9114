"""Records: the use cases behind the records API, one module per kind of use case.

- reads (``get``, ``query``, ``read_rows``): ``services/record_reads.py``;
- writes (``create``, ``bulk``, ``bulk_in``, ``update``, ``delete``, ``restore``):
  ``services/record_writes.py``, with what they may name and re-point in
  ``services/record_checks.py``;
- ``history``: ``services/record_history.py``; exports: ``services/record_export.py``.

The SQL and row mechanics they use live in ``cairn.store`` (``record_input``, ``record_writes``,
``relations``, ``unique``) and ``cairn.query`` (``dump``, ``validation``, ``record_history``,
``cells``)."""

from __future__ import annotations

from cairn.services.record_export import RecordExport
from cairn.services.record_history import RecordHistory
from cairn.services.record_writes import RecordWrites


class RecordService(RecordWrites, RecordExport, RecordHistory):
    """Every records use case on one object (``services.records``)."""

    #: The rule runner and the process service still call this name; ``read_rows`` is the one.
    _read = RecordWrites.read_rows


__all__ = ["RecordService"]
