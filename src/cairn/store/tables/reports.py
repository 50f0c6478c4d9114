"""The report engine: dashboards, alerts and their checks, KPI mappings."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: Dashboards of an app (report engine): the definition (widgets, filters) as JSON.
dashboards = sa.Table(
    "dashboards",
    metadata,
    id_column(),
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

alerts = sa.Table(
    "alerts",
    metadata,
    id_column(),
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
    id_column(),
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

#: Per app, the parameters a KPI of the library takes there (``{table, date_field, …}``): a
#: KPI widget or alert that names no table uses them.
kpi_mappings = sa.Table(
    "kpi_mappings",
    metadata,
    id_column(),
    sa.Column("app_id", ID, sa.ForeignKey("apps.id"), nullable=False),
    sa.Column("kpi", sa.String(63), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ux_kpi_mappings_app_kpi", "app_id", "kpi", unique=True),
)
