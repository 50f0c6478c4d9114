"""The identity engine (One-ID): identity keys of a table (``keys``); survivorship, the
per-field choice of value when two records merge (``survivorship``); match rules and
resolution arrive with issue 21's next steps. The key rules themselves are in
``cairn.core.idkeys`` (the field types below this engine validate with them)."""

from cairn.core.i18n import register_messages
from cairn.identity.merge_messages import MESSAGES as MERGE_MESSAGES

register_messages(MERGE_MESSAGES)
