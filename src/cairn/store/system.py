"""The system tables (one MetaData). Alembic migrations create and evolve them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Integer primary keys that autoincrement on both databases.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


schema_state = sa.Table(
    "schema_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

apps = sa.Table(
    "apps",
    metadata,
    _id(),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
    sa.Index(
        "ux_apps_key",
        "key",
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
)

tables = sa.Table(
    "tables",
    metadata,
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False, index=True),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("display_field_id", ID),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
    #: [{"formula": "{#12} >= {#11}", "message": "…", "field": 12, "uses": [11, 12]}]
    sa.Column("validation_rules", sa.JSON),
    #: The form layout: {"sections": [{"title", "collapsed", "rows": [[field id | null, …]]}]}
    sa.Column("layout", sa.JSON),
)

fields = sa.Table(
    "fields",
    metadata,
    _id(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False, index=True),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_unique", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("default", sa.JSON),
    sa.Column("help_text", sa.Text, nullable=False, server_default=""),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),
)

sequences = sa.Table(
    "sequences",
    metadata,
    sa.Column("field_id", ID, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)

history = sa.Table(
    "history",
    metadata,
    _id(),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    #: {"<field id>": [before, after]} in JSON form; on create, {"<field id>": [null, value]}.
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_history_record", "table_id", "record_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("available_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("processed_at", sa.DateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_pending", "processed_at", "available_at", "id"),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mime", sa.String(127), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("path", sa.String(255), nullable=False),
    sa.Column("field_id", ID),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("mobile", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # Identity (migration 0003): sign-in, language, organisation.
    sa.Column("password_hash", sa.String(255)),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("language", sa.String(16)),
    sa.Column("department_id", ID),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("last_login_at", sa.DateTime),
    sa.Index("uq_users_username", "username", unique=True),
)

#: Settings of an app that belong to no single table, one JSON value per key
#: (e.g. "customer_view": which table is the customer table and what its 360° page shows).
app_settings = sa.Table(
    "app_settings",
    metadata,
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_app_settings_app_id_key", "app_id", "key", unique=True),
)

#: The test clock (one row, ``CAIRN_TEST_CLOCK=true`` only): how far this instance's clock is
#: ahead of real time, and a version each advance bumps (what workers watch).
test_clock = sa.Table(
    "test_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("offset_us", sa.BigInteger, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


departments = sa.Table(
    "departments",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_id", ID, index=True),
    sa.Column("manager_id", ID),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

#: A user's other departments (the primary one is users.department_id).
user_departments = sa.Table(
    "user_departments",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("department_id", ID, primary_key=True),
)

#: Server-side sessions of the web UI; ``id`` is the SHA-256 of the cookie value.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("address", sa.String(64)),
    sa.Column("user_agent", sa.String(255)),
)

#: API tokens; only the SHA-256 of the secret is kept.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("read_only", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Index("uq_api_tokens_token_hash", "token_hash", unique=True),
)

#: Failed sign-ins per user name and per address (shared by every API process).
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime),
)

roles = sa.Table(
    "roles",
    metadata,
    _id(),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_roles_key", "key", unique=True),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column("user_id", ID, primary_key=True),
    sa.Column("role_id", ID, primary_key=True, index=True),
)

#: Apps whose schema a role's members manage (app managers).
role_apps = sa.Table(
    "role_apps",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("app_id", ID, primary_key=True),
)

#: What a role may do with one table; the row scope limits read, update and delete.
role_tables = sa.Table(
    "role_tables",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("table_id", ID, primary_key=True, index=True),
    sa.Column("can_create", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_read", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_update", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_delete", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_export", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_manage", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("row_scope", sa.String(32), nullable=False, server_default="all"),
    sa.Column("row_filter", sa.JSON),
)

#: A field a role sees hidden, read-only or masked (no row: full access).
role_fields = sa.Table(
    "role_fields",
    metadata,
    sa.Column("role_id", ID, primary_key=True),
    sa.Column("field_id", ID, primary_key=True),
    sa.Column("access", sa.String(16), nullable=False),
)

#: Append-only, hash-chained audit log.
audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor_id", ID),
    sa.Column("actor_name", sa.String(64)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("address", sa.String(64)),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32)),
    sa.Column("target_id", sa.String(64)),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_actor_id", "actor_id"),
    sa.Index("ix_audit_log_target", "target_type", "target_id"),
)

#: The chain's head: one row, locked by each appender so entries chain in order.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_id", ID, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)


#: Dashboards of an app (report engine): the definition (widgets, filters) as JSON.
dashboards = sa.Table(
    "dashboards",
    metadata,
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_dashboards_app_key", "app_id", "key", unique=True),
)

#: Saved views of a table's grid (``services.views``): a member's own, or shared.
grid_views = sa.Table(
    "grid_views",
    metadata,
    _id(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
    #: ``{"filter", "sort", "columns": [{"key", "visible"}], "widths": {key: px}}``
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_grid_views_table_id", "table_id", "owner_id"),
)

# -- the rule engine ------------------------------------------------------------------------
rules = sa.Table(
    "rules",
    metadata,
    _id(),
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
    _id(),
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
    _id(),
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
    _id(),
    sa.Column("rule_id", ID, nullable=False),
    sa.Column("run_id", ID, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("done_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_rule_jobs_due", "done_at", "due_at"),
)

# -- report alerts (migration 0013) -------------------------------------------------------------
alerts = sa.Table(
    "alerts",
    metadata,
    _id(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    #: Whose permissions compute the value (None: the system, everything).
    sa.Column("owner_id", ID),
    #: The KPI or dataset measure, op, threshold and period (``cairn.reports.AlertSpec``).
    sa.Column("spec", sa.JSON, nullable=False),
    #: ``{"cron": ...}`` or ``{"every": n, "unit": ...}`` (``cairn.reports.AlertSchedule``).
    sa.Column("schedule", sa.JSON, nullable=False),
    #: Rule-engine actions run once per crossing.
    sa.Column("actions", sa.JSON, nullable=False),
    #: ``ok`` or ``firing``; ``crossings`` counts the crossings (the idempotency key's part).
    sa.Column("state", sa.String(16), nullable=False, server_default="ok"),
    sa.Column("crossings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_value", sa.Float),
    sa.Column("last_checked_at", sa.DateTime),
    sa.Column("last_fired_at", sa.DateTime),
    #: When the worker checks next (None while disabled).
    sa.Column("next_check_at", sa.DateTime),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_alerts_app_key", "app_id", "key", unique=True),
    sa.Index("ix_alerts_next_check_at", "next_check_at"),
)

alert_checks = sa.Table(
    "alert_checks",
    metadata,
    _id(),
    sa.Column("alert_id", ID, nullable=False),
    #: ``crossing:<n>`` on the check that crossed (unique per alert: its actions run once).
    sa.Column("fire_key", sa.String(64)),
    #: ``schedule`` (the worker) or ``manual`` (the API's check now).
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("state_before", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    #: ``crossed``, ``recovered`` or None.
    sa.Column("change", sa.String(16)),
    #: ``ok``, ``running`` (actions under way or to be retried), ``failed``, ``error`` (no value).
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("checked_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Index("ux_alert_checks_fire_key", "alert_id", "fire_key", unique=True),
    sa.Index("ix_alert_checks_alert_id_id", "alert_id", "id"),
    sa.Index("ix_alert_checks_status", "status"),
)

# -- process engine (migration 0007) ------------------------------------------------------------
#: Deployed BPMN definitions: one row per version (a deploy adds a version; instances keep theirs).
process_definitions = sa.Table(
    "process_definitions",
    metadata,
    _id(),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("key", sa.String(63), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("bpmn", sa.Text, nullable=False),
    sa.Column("table_id", ID),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", ID),
    sa.Index("ux_process_definitions_app_key_version", "app_id", "key", "version", unique=True),
)

#: Running and ended instances; ``state`` is the engine's state without the definition.
process_instances = sa.Table(
    "process_instances",
    metadata,
    _id(),
    sa.Column("definition_id", ID, nullable=False),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("state_version", sa.Integer, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("initiator_id", ID),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
    sa.Column("reason", sa.Text),
    #: When the earliest waiting BPMN timer is due (the worker's scan).
    sa.Column("timer_due_at", sa.DateTime),
    sa.Index("ix_process_instances_timer", "status", "timer_due_at"),
    sa.Index("ix_process_instances_record", "table_id", "record_id"),
    sa.Index("ix_process_instances_initiator", "initiator_id", "status"),
)

#: Work items of user tasks (one per assignee; several for a countersign), open and done: the
#: inbox is one indexed query on this table.
tasks = sa.Table(
    "tasks",
    metadata,
    _id(),
    sa.Column("instance_id", ID, nullable=False),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("step_id", sa.String(100), nullable=False),
    sa.Column("step_name", sa.String(200), nullable=False),
    sa.Column("engine_task_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="task"),
    sa.Column("assignee_id", ID),
    sa.Column("candidate", sa.String(80)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("due_at", sa.DateTime),
    #: The next reminder/breach/escalation to fire and how many have fired.
    sa.Column("alarm_at", sa.DateTime),
    sa.Column("alarm_stage", sa.Integer, nullable=False, server_default="0"),
    sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("completed_at", sa.DateTime),
    sa.Column("completed_by", ID),
    sa.Column("action", sa.String(32)),
    sa.Column("comment", sa.Text),
    sa.Column("attachments", sa.JSON),
    sa.Column("delegated_from", ID),
    sa.Column("escalated_from", ID),
    #: Bumped by every change: an action names the version it saw (a stale one gets 409).
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_tasks_inbox", "assignee_id", "status", "due_at"),
    sa.Index("ix_tasks_candidate", "candidate", "status"),
    sa.Index("ix_tasks_alarm", "status", "alarm_at"),
    sa.Index("ix_tasks_done", "completed_by", "completed_at"),
    sa.Index("ix_tasks_instance", "instance_id", "status"),
    sa.Index("ix_tasks_record", "table_id", "record_id"),
)

#: The timeline of an instance: every start, hand-over, decision, breach and escalation.
process_events = sa.Table(
    "process_events",
    metadata,
    _id(),
    sa.Column("instance_id", ID, nullable=False),
    sa.Column("task_id", ID),
    sa.Column("step_id", sa.String(100)),
    sa.Column("step_name", sa.String(200)),
    sa.Column("actor_id", ID),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_process_events_instance", "instance_id", "id"),
)

#: The admin's working-calendar entries: holidays and make-up working days (调休).
calendar_overrides = sa.Table(
    "calendar_overrides",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("is_workday", sa.Boolean, nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

#: Every day of the working calendar (statutory days with the overrides applied), for WORKDAY
#: and WORKDAYS in SQL: ``seq`` counts working days from the first day through ``day``.
#: Rewritten in the transaction that changes an override (``store.workdays``).
calendar_days = sa.Table(
    "calendar_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("is_workday", sa.Boolean, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Index("ix_calendar_days_seq", "seq", "is_workday"),
)

#: Working hours (one row, id 1): "HH:MM" local times, an optional break.
calendar_settings = sa.Table(
    "calendar_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("work_start", sa.String(5), nullable=False),
    sa.Column("work_end", sa.String(5), nullable=False),
    sa.Column("break_start", sa.String(5)),
    sa.Column("break_end", sa.String(5)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


# Comments on records (with @mentions); the record page's timeline shows them beside history.
record_comments = sa.Table(
    "record_comments",
    metadata,
    _id(),
    sa.Column("table_id", ID, sa.ForeignKey("tables.id"), nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("author_id", ID, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("mentions", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
    sa.Index("ix_record_comments_record", "table_id", "record_id", "id"),
)


#: The in-app notification centre: one row per user and message (migration 0005).
notifications = sa.Table(
    "notifications",
    metadata,
    _id(),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("title", sa.String(500), nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("link", sa.String(2000)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("read_at", sa.DateTime),
    #: Per (caller's key, user): a replayed action adds no second row.
    sa.Column("idempotency_key", sa.String(255)),
    sa.Index("ix_notifications_user", "user_id", "read_at", "id"),
    sa.Index("uq_notifications_idempotency_key", "idempotency_key", unique=True),
)

#: Settings of a notification channel ("email", "sms", "wecom:service-group", ...); the secret
#: settings are encrypted when CAIRN_ENCRYPTION_KEYS is set.
channel_configs = sa.Table(
    "channel_configs",
    metadata,
    _id(),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_channel_configs_key", "key", unique=True),
)

#: One message to one recipient through an outside channel; the key makes a replay a no-op.
deliveries = sa.Table(
    "deliveries",
    metadata,
    _id(),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("recipient", sa.String(500), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Index("uq_deliveries_idempotency_key", "idempotency_key", unique=True),
    sa.Index("ix_deliveries_created_at", "created_at"),
)
