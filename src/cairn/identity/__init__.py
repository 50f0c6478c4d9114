"""The identity engine (One-ID): identity keys of a table (``keys``), names as they are
compared (``names``), match rules (``rules``), the values a rule compares (``values``),
blocking keys (``blocking``) and pair scores with their evidence (``score``). Merge and
unmerge are the merge service's. The key rules themselves are in ``cairn.core.idkeys`` (the
field types below this engine validate with them)."""

from cairn.core.i18n import register_messages
from cairn.identity.messages import MESSAGES

register_messages(MESSAGES)
