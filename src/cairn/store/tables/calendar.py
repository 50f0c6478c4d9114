"""The working calendar: the admin's overrides, every day with its working-day count, and the
working hours."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import metadata

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
