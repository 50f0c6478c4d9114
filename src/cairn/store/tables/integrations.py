"""Notifications and channels: the in-app notification centre, channel settings, deliveries."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: The in-app notification centre: one row per user and message (migration 0005).
notifications = sa.Table(
    "notifications",
    metadata,
    id_column(),
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
    id_column(),
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
#: Statuses (migration m019): ``pending`` (being sent), ``sent``, ``retrying`` (failed, a
#: later attempt may help: ``next_attempt_at`` says when the worker tries again) and ``dead``
#: (not retryable, or the retries are spent). ``payload`` is what is needed to send it again
#: (subject, body, link, data, url, mentions), never a secret: those stay in the config.
deliveries = sa.Table(
    "deliveries",
    metadata,
    id_column(),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("channel", sa.String(100), nullable=False),
    #: The kind of channel (``email``, ``sms``, ``webhook`` …): the part before ":".
    sa.Column("kind", sa.String(32), nullable=False, server_default=""),
    sa.Column("recipient", sa.String(500), nullable=False, server_default=""),
    sa.Column("subject", sa.String(500), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    #: The provider's last answer (status code and body), truncated.
    sa.Column("response", sa.Text),
    sa.Column("payload", sa.JSON),
    sa.Column("rule_id", ID),
    sa.Column("run_id", ID),
    sa.Column("app_id", ID),
    sa.Column("table_id", ID),
    sa.Column("record_id", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("next_attempt_at", sa.DateTime),
    sa.Index("uq_deliveries_idempotency_key", "idempotency_key", unique=True),
    sa.Index("ix_deliveries_created_at", "created_at"),
    sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_deliveries_rule", "rule_id", "id"),
    sa.Index("ix_deliveries_channel", "channel", "id"),
    #: A record's messages, newest first (the customer timeline).
    sa.Index("ix_deliveries_record", "table_id", "record_id", "created_at"),
)

#: Each attempt of a delivery (the first send, the worker's retries, an administrator's
#: replay): when, how it went, the provider's answer and how long it took.
delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    id_column(),
    sa.Column("delivery_id", ID, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("response", sa.Text),
    sa.Column("ms", sa.Integer, nullable=False, server_default="0"),
    #: The administrator who replayed it; None for the first send and the worker's retries.
    sa.Column("replay_by", ID),
    sa.Index("ix_delivery_attempts_delivery", "delivery_id", "id"),
)

#: A process task pushed to one person's WeCom / DingTalk (m020): a DingTalk to-do (its id in
#: ``remote_id``) or a WeCom task card (its ``response_code``), closed there when the task is
#: done, cancelled or reassigned in Cairn. One row per (task, channel config, user).
task_pushes = sa.Table(
    "task_pushes",
    metadata,
    id_column(),
    sa.Column("task_id", ID, nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("user_id", ID, nullable=False),
    sa.Column("remote_id", sa.String(200)),
    #: Whom closing it addresses there (WeCom: the user id; DingTalk: the unionId).
    sa.Column("address", sa.String(64)),
    #: "open" (pushed), "closed" (closed there), "failed" (could not be pushed or closed).
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("uq_task_pushes_task", "task_id", "channel", "user_id", unique=True),
    sa.Index("ix_task_pushes_state", "state", "channel"),
)

#: One directory sync from WeCom / DingTalk (m020) and its report.
directory_sync_runs = sa.Table(
    "directory_sync_runs",
    metadata,
    id_column(),
    sa.Column("channel", sa.String(100), nullable=False),
    #: "manual" (an administrator) or "daily" (the worker).
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("actor_id", ID),
    #: "running", "ok", "partial" (finished with errors) or "failed".
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Index("ix_directory_sync_runs_channel", "channel", "id"),
)
