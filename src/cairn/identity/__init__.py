"""The identity engine (One-ID): identity keys of a table (``keys``); match rules, resolution,
merge and unmerge arrive with issue 21's next steps. The key rules themselves are in
``cairn.core.idkeys`` (the field types below this engine validate with them)."""
