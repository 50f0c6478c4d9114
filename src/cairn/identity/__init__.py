"""The identity engine (One-ID): identity keys of a table (``keys``), names as they are
compared (``names``), match rules (``rules``), the values a rule compares (``values``),
blocking keys (``blocking``), pair scores with their evidence (``score``) and survivorship, the
per-field choice of value when two records merge (``survivorship``) and a merge's plan over
every field (``merge_plan``). Its runtime: resolution on every write and matching
(``resolve``), through the unit of work of ``ports``. The key rules themselves are in
``cairn.core.idkeys`` (the field types below this engine validate with them)."""

from cairn.core.i18n import register_messages
from cairn.identity.merge_messages import MESSAGES as MERGE_MESSAGES
from cairn.identity.messages import MESSAGES

register_messages(MESSAGES)
register_messages(MERGE_MESSAGES)
