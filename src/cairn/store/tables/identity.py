"""One-ID (issue 21): match rules per table, the blocking keys that find candidates through an
index, duplicate suggestions with their evidence, merges (with what unmerge needs) and the
"find duplicates" jobs."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: A match rule of a table. ``kind``: ``exact`` (one key field equal; ``parts`` holds one part)
#: or ``combo`` (every part compared; fuzzy parts score with a string similarity). ``parts``:
#: a list of ``{"field": field_id, "via": related_field_id | None, "compare": "exact" |
#: "fuzzy"}`` (``via`` reads a key of the related record, e.g. the VIN of the linked vehicle).
#: ``threshold``: the least score (0–100) a pair needs; ``action``: ``suggest`` (a pair for the
#: review queue) or ``auto_merge`` (merged at once, newest into oldest).
identity_rules = sa.Table(
    "identity_rules",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("parts", sa.JSON, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False, server_default="100"),
    sa.Column("action", sa.String(16), nullable=False, server_default="suggest"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_identity_rules_table_id", "table_id", "position"),
)

#: The blocking keys of a record under a rule (e.g. the canonical mobile, or the first letters
#: of a name with the city): candidates of a record are the records sharing one of its keys,
#: found through ``ix_identity_blocks_rule_id`` and never by comparing every pair. Rewritten in
#: the transaction of every write of the record.
identity_blocks = sa.Table(
    "identity_blocks",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("rule_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("block", sa.String(200), nullable=False),
    sa.Index("ix_identity_blocks_rule_id", "rule_id", "block", "record_id"),
    sa.Index("ix_identity_blocks_table_id", "table_id", "record_id"),
)

#: A pair of records of one table that a rule found alike. ``record_a`` < ``record_b``;
#: ``status``: ``open``, ``later`` (shown after the open ones), ``not_same`` (remembered: the
#: pair is never suggested again), ``merged``. ``evidence``: per compared field both values
#: and the part's score.
identity_suggestions = sa.Table(
    "identity_suggestions",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("rule_id", ID),
    sa.Column("record_a", ID, nullable=False),
    sa.Column("record_b", ID, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("decided_by", ID),
    sa.Column("decided_at", sa.DateTime),
    sa.Index("uq_identity_suggestions_pair", "table_id", "record_a", "record_b", unique=True),
    sa.Index("ix_identity_suggestions_status", "table_id", "status", "score"),
    sa.Index("ix_identity_suggestions_record_b", "table_id", "record_b"),
)

#: One merge of ``loser_id`` into ``survivor_id`` (same table). The loser stays as a tombstone
#: (``deleted_at`` set, its row kept) that resolves to the survivor while ``status`` is
#: ``merged``. ``loser_values`` / ``survivor_values``: each record's field values before the
#: merge; ``choices``: field id → where the survivor's value came from; ``moved``: exactly the
#: related rows re-pointed from the loser to the survivor (``{"kind": "relation" |
#: "junction" | "comments" | "process" | ..., "table": ..., "column": ..., "ids": [...]}``),
#: which unmerge moves back. ``version``: the survivor's version after the merge.
identity_merges = sa.Table(
    "identity_merges",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("survivor_id", ID, nullable=False),
    sa.Column("loser_id", ID, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="merged"),
    sa.Column("loser_values", sa.JSON, nullable=False),
    sa.Column("survivor_values", sa.JSON, nullable=False),
    sa.Column("choices", sa.JSON, nullable=False),
    sa.Column("moved", sa.JSON, nullable=False),
    sa.Column("suggestion_id", ID),
    sa.Column("merged_by", ID),
    sa.Column("merged_at", sa.DateTime, nullable=False),
    sa.Column("unmerged_by", ID),
    sa.Column("unmerged_at", sa.DateTime),
    sa.Index("ix_identity_merges_loser_id", "table_id", "loser_id", "status"),
    sa.Index("ix_identity_merges_survivor_id", "table_id", "survivor_id", "status"),
)

#: A "find duplicates" run over a whole table: progress (``done`` of ``total`` records) and the
#: pairs found; claimed and heartbeated by a worker like an import job, cancellable.
identity_jobs = sa.Table(
    "identity_jobs",
    metadata,
    id_column(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("found", sa.Integer, nullable=False, server_default="0"),
    sa.Column("merged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("claimed_by", sa.String(200)),
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_identity_jobs_table_id", "table_id", "id"),
    sa.Index("ix_identity_jobs_status", "status"),
)
