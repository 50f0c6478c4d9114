"""The import engine: records from CSV and XLSX files (issue 21).

``sources`` reads a file as a header and streamed rows (any encoding a Chinese office
produces; XLSX in read-only mode); ``mapping`` suggests which field each column fills;
``values`` turns a cell into what the field's own coercer accepts (dates in Chinese forms,
numbers with separators and ¥, choices by label, yes/no); ``rows`` builds the items of a
batch and says per row why one is refused; ``batch`` places each row (create, update, skip,
refuse) by the job's mode and key, ``matching`` by One-ID, ``outcome`` and ``reasons`` count
and explain it; ``runner`` drives a job batch by batch through the ports ``cairn.services``
supplies (``ports``: ``services/import_ports.py``, ``import_lookups.py``, ``import_batches.py``),
so a crash resumes from the last committed batch; ``jobs``, ``failure`` and ``expiry`` are a
job's rules apart from its storage; ``naming`` and ``subform_sheets`` what names a related
record and which sheets hold sub-form rows.
"""

from cairn.core.i18n import register_messages
from cairn.imports.messages import MESSAGES

register_messages(MESSAGES)
