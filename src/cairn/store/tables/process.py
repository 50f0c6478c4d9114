"""The process engine: deployed BPMN definitions, instances, the task mirror and the timeline."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

#: Deployed BPMN definitions: one row per version (a deploy adds a version; instances keep theirs).
process_definitions = sa.Table(
    "process_definitions",
    metadata,
    id_column(),
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
    id_column(),
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
    #: The record's title (display field) as last seen: the admin list shows and searches it.
    sa.Column("record_title", sa.String(200)),
    sa.Index("ix_process_instances_timer", "status", "timer_due_at"),
    sa.Index("ix_process_instances_record", "table_id", "record_id"),
    sa.Index("ix_process_instances_initiator", "initiator_id", "status"),
    sa.Index("ix_process_instances_app_status", "app_id", "status", "id"),
    sa.Index("ix_process_instances_app", "app_id", "id"),
    sa.Index("ix_process_instances_status", "status", "id"),
    sa.Index("ix_process_instances_definition", "definition_id", "status"),
)

#: Work items of user tasks (one per assignee; several for a countersign), open and done: the
#: inbox is one indexed query on this table.
tasks = sa.Table(
    "tasks",
    metadata,
    id_column(),
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
    #: The record's title (display field) as last seen: the inbox shows and searches it.
    sa.Column("record_title", sa.String(200)),
    sa.Index("ix_tasks_inbox", "assignee_id", "status", "due_at"),
    sa.Index("ix_tasks_claimable", "candidate", "status", "due_at"),
    sa.Index("ix_tasks_alarm", "status", "alarm_at"),
    sa.Index("ix_tasks_done", "completed_by", "completed_at"),
    sa.Index("ix_tasks_instance", "instance_id", "status"),
    sa.Index("ix_tasks_record", "table_id", "record_id"),
)

#: The timeline of an instance: every start, hand-over, decision, breach and escalation.
process_events = sa.Table(
    "process_events",
    metadata,
    id_column(),
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
