"""The rule engine: rules, their run log, fired-once marks and scheduled jobs."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

rules = sa.Table(
    "rules",
    metadata,
    id_column(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("owner_id", ID),
    #: The trigger, condition and actions (``cairn.rules.RuleSpec`` as JSON).
    sa.Column("spec", sa.JSON, nullable=False),
    #: The inbound webhook's secret (only a webhook rule has one).
    sa.Column("secret", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    #: When the rule was last switched on: date rules fire for what comes due from then on.
    sa.Column("armed_at", sa.DateTime, nullable=False),
    #: The outbox's newest event id when the rule was last switched on (same transaction):
    #: the rule reacts only to events numbered above it, committed after it was enabled.
    sa.Column("armed_event_id", ID, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_rules_app_key", "app_id", "key", unique=True),
    sa.Index("ix_rules_table_id", "table_id"),
)

rule_runs = sa.Table(
    "rule_runs",
    metadata,
    id_column(),
    sa.Column("rule_id", ID, nullable=False),
    #: What started the run, unique per rule: ``event:<outbox id>``, ``fire:<firing id>``,
    #: ``hook:<delivery>``: a replayed event finds its run and skips what is done.
    sa.Column("run_key", sa.String(120), nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("event_id", ID),
    sa.Column("record_id", ID),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("condition", sa.Boolean),
    sa.Column("depth", sa.Integer, nullable=False, server_default="0"),
    #: One entry per action: index, type, status, result or error, duration in ms.
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Index("ux_rule_runs_rule_key", "rule_id", "run_key", unique=True),
    sa.Index("ix_rule_runs_rule_id_id", "rule_id", "id"),
)

rule_firings = sa.Table(
    "rule_firings",
    metadata,
    id_column(),
    sa.Column("rule_id", ID, nullable=False),
    #: 0 for a rule-level firing (a schedule's occurrence).
    sa.Column("record_id", ID, nullable=False),
    #: The date value, the occurrence or the start of the quiet spell that fired.
    sa.Column("fire_key", sa.String(64), nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("fired_at", sa.DateTime, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ux_rule_firings_once", "rule_id", "record_id", "fire_key", unique=True),
)

rule_jobs = sa.Table(
    "rule_jobs",
    metadata,
    id_column(),
    sa.Column("rule_id", ID, nullable=False),
    sa.Column("run_id", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("done_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_rule_jobs_due", "done_at", "due_at"),
)
