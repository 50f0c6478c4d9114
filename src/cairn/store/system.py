"""Every system table, by name: a re-export of the modules of ``cairn.store.tables``.

Code that uses one engine's tables may import its module (``cairn.store.tables.rules``);
this module keeps the single import path that the rest of the code uses.
"""

from __future__ import annotations

from cairn.store.tables.auth import (
    api_tokens,
    audit_head,
    audit_log,
    departments,
    login_throttle,
    role_apps,
    role_fields,
    role_tables,
    roles,
    sessions,
    user_departments,
    user_roles,
    users,
)
from cairn.store.tables.base import ID, id_column, metadata
from cairn.store.tables.calendar import calendar_days, calendar_overrides, calendar_settings
from cairn.store.tables.comments import record_comments
from cairn.store.tables.core import auto_indexes, outbox, schema_state, table_versions, test_clock
from cairn.store.tables.form_variants import form_variants
from cairn.store.tables.forms import (
    app_settings,
    apps,
    fields,
    files,
    grid_views,
    history,
    number_counters,
    sequences,
    tables,
)
from cairn.store.tables.integrations import (
    channel_configs,
    deliveries,
    delivery_attempts,
    directory_sync_runs,
    notifications,
    task_pushes,
)
from cairn.store.tables.process import process_definitions, process_events, process_instances, tasks
from cairn.store.tables.public_forms import form_publications, public_form_proofs
from cairn.store.tables.reports import alert_checks, alerts, dashboards, kpi_mappings
from cairn.store.tables.rules import rule_firings, rule_jobs, rule_runs, rules

__all__ = [
    "ID",
    "alert_checks",
    "alerts",
    "api_tokens",
    "app_settings",
    "apps",
    "audit_head",
    "audit_log",
    "auto_indexes",
    "calendar_days",
    "calendar_overrides",
    "calendar_settings",
    "channel_configs",
    "dashboards",
    "deliveries",
    "delivery_attempts",
    "departments",
    "directory_sync_runs",
    "fields",
    "files",
    "form_publications",
    "form_variants",
    "grid_views",
    "history",
    "id_column",
    "kpi_mappings",
    "login_throttle",
    "metadata",
    "notifications",
    "number_counters",
    "outbox",
    "process_definitions",
    "process_events",
    "process_instances",
    "public_form_proofs",
    "record_comments",
    "role_apps",
    "role_fields",
    "role_tables",
    "roles",
    "rule_firings",
    "rule_jobs",
    "rule_runs",
    "rules",
    "schema_state",
    "sequences",
    "sessions",
    "table_versions",
    "tables",
    "task_pushes",
    "tasks",
    "test_clock",
    "user_departments",
    "user_roles",
    "users",
]
