"""The permission matrix over every route of the OpenAPI document.

One realistic app is built once (customers and orders with a relation, an attachment, a
process with open tasks, rules, a dashboard shown to one role, an alert, a saved view, a
channel, comments, a file, a notification, …), so that every path parameter names a real
object. Then, for each kind of member, a fresh copy of that database is walked: every route
and method of ``app.openapi()["paths"]`` is called once, with the minimal valid request of
``CALLS`` below, and

- any 2xx a kind is not allowed (``Call.allowed``) fails, as does any 5xx;
- the administrator is the control: they must get a 2xx wherever ``Call.control`` says a
  valid request was built (else the denials of the others would prove nothing);
- a route in the OpenAPI document with no entry in ``CALLS`` fails (think about who may
  call a new route before adding it), and so does an entry for a route that is gone;
- without credentials, everything but the public routes answers 401.

Kinds of member (``KINDS``): no role at all (``nobody``), read-only on customers (``reader``),
own rows of customers (``own``), department rows (``dept``), the manager of the head office
with department-tree rows (``boss``), a role with only the manage permission on customers
(``tblmgr``: may change that table's definition), a member of a role that manages the app
(``appmgr``), and the administrator. The record the record routes name (``X``) belongs to
``olga`` (Ops, no role), outside the own, department and department-tree scopes: only
readers of every row reach it. Objects with an owner (comment, view, notification, token, process
instances) belong to the administrator, or to olga, whom no kind is.

Each kind gets its own copy of the database, so what one kind may change (and does) cannot
hide a gap from another; within a walk, DELETE routes come last and name objects of their
own (``Z``, scratch table, field, app …)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.auth.form_proofs import solve
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import identity as store_identity
from cairn.store import notifications as store_notifications
from factories import make_crm, make_services, make_user
from support.db import sqlite_url
from support.receiver import Receiver

KINDS = ("nobody", "reader", "own", "dept", "boss", "tblmgr", "appmgr", "admin")

ANY = frozenset(KINDS)
ADMIN = frozenset({"admin"})
#: Administrators and the members of a role that manages the app (apps crm and scratch).
MANAGERS = frozenset({"appmgr", "admin"})
#: Those who may change a table's definition: the app's managers and a role with the
#: manage permission on the table (customers and notes; no other permission).
TABLE_MANAGERS = MANAGERS | {"tblmgr"}
#: Members with the read permission on customers (each sees the rows of their scope).
TABLE_READERS = frozenset({"reader", "own", "dept", "boss", "admin"})
#: Members who may read record X (olga's, in Ops): only a scope of every row reaches it.
ROW_READERS = frozenset({"reader", "admin"})
#: Members with create or update on customers.
WRITERS = frozenset({"own", "dept", "boss", "admin"})
#: Public routes: no sign-in (the inbound webhook's credential is the secret in its path).
PUBLIC = "public"

PASSWORD = "Matrix-pass-2026"
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="https://cairn.dev/t">
  <bpmn:process id="approval" name="Approval" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="customers"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><cairn:assignee type="user" value="olga"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
SCORE_MODEL = {
    "name": "Health",
    "table": "customers",
    "inputs": [
        {
            "label": "Credit",
            "formula": "{credit}",
            "normalise": {"linear": {"min": 0, "max": 1e5}},
            "weight": 1,
        }
    ],
    "bands": {"green": 70, "amber": 40},
}
DATASET = {"table": "customers", "dimensions": [{"field": "tier"}]}
SEGMENT_FILTER = {"field": "tier", "op": "eq", "value": "VIP"}
WIDGET = {"id": "by_tier", "type": "bar", "dataset": DATASET}
KPI = {
    "table": "customers",
    "date_field": "signed_on",
    "match_filter": {"field": "tier", "op": "eq", "value": "VIP"},
}


@dataclass
class World:
    """The ids of the objects every path parameter names, and each kind's token."""

    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    package: str = ""
    data_dir: Path = Path()


Body = Callable[[World], Any] | Any


@dataclass(frozen=True)
class Call:
    """Who may get a 2xx from one route, and the minimal valid request for it."""

    allowed: frozenset[str] | str
    json: Body = None
    params: Body = None
    #: Path parameters other than the defaults (``PATH``).
    path: Body = None
    #: A raw body (with its content type) or multipart files instead of JSON.
    content: Body = None
    files: Body = None
    #: None: the administrator must get a 2xx (the request is valid). A string: why no valid
    #: request is built, so the control is not asked for (the denials still count).
    control: str | None = None


def path_values(w: World) -> dict[str, Any]:
    i = w.ids
    return {
        "app": "crm",
        "table": "customers",
        "record_id": i["X"],
        "dashboard_id": i["dashboard"],
        "widget_id": "by_tier",
        "kpi": "resolution_rate",
        "user": "olga",
        "token_id": i["olga_token"],
        "department_id": i["temp_dept"],
        "role": "r_temp",
        "app_id": i["deleted_app"],
        "table_id": i["deleted_table"],
        "field": "memo",
        "field_id": i["deleted_field"],
        "comment_id": i["comment"],
        "interaction_id": i["interaction"],
        "file_id": i["file"],
        "view_id": i["view"],
        "form": "default",
        "alert_id": i["alert"],
        "key": "approval",
        "instance_id": i["instance"],
        "task_id": i["task"],
        "action": "comment",
        "day": "2026-05-06",
        "rule_id": i["rule"],
        "notification_id": i["notification"],
        "delivery_id": i["delivery"],
        "secret": i["hook_secret"],
        "token": i["public_form"],
        "job_id": i["import"],
        "mapping_id": i["import_mapping"],
        "merge_id": i["merge"],
        "identity_rule_id": i["identity_rule"],
        "suggestion_id": i["suggestion"],
        "identity_job_id": i["identity_job"],
        "tag_id": i["tag"],
        "segment_id": i["segment"],
        "score_model_id": i["score_model"],
    }


APP = "/api/v1/apps/{app}"
TBL = APP + "/tables/{table}"
REC = TBL + "/records"
ONE = REC + "/{record_id}"
CHANNEL = {"key": "webhook:ops"}

#: (method, path template) → who may get a 2xx, and the request.
CALLS: dict[tuple[str, str], Call] = {
    # -- records: the table permission and the row scope -------------------------------------
    ("GET", REC): Call(TABLE_READERS),
    ("POST", REC): Call(frozenset({"own", "admin"}), json={"name": "new Co"}),
    ("POST", REC + "/query"): Call(TABLE_READERS, json={"limit": 5}),
    ("POST", REC + "/check-filter"): Call(TABLE_READERS, json={"filter": {"formula": "TRUE"}}),
    ("POST", REC + "/export"): Call(ADMIN, json={"format": "csv"}),
    ("POST", REC + "/bulk"): Call(
        frozenset({"own", "admin"}), json={"records": [{"name": "bulk Co"}]}
    ),
    ("GET", ONE): Call(ROW_READERS),
    ("PATCH", ONE): Call(ADMIN, json=lambda w: {"name": "X2", "version": w.ids["X_version"]}),
    ("DELETE", ONE): Call(ADMIN, path=lambda w: {"record_id": w.ids["Z"]}),
    ("POST", ONE + "/restore"): Call(ADMIN, path=lambda w: {"record_id": w.ids["Y"]}),
    # The table's recycle bin: its readers list (their row scope); its managers purge.
    ("GET", REC + "/recycle-bin"): Call(TABLE_READERS),
    ("POST", ONE + "/purge"): Call(TABLE_MANAGERS, path=lambda w: {"record_id": w.ids["W"]}),
    ("GET", ONE + "/history"): Call(ROW_READERS),
    # One-ID merges: update on both records (olga's: only the administrator reaches them);
    # the table's readers list and read merges.
    ("POST", TBL + "/merges/preview"): Call(
        ADMIN, json=lambda w: {"survivor_id": w.ids["M3"], "loser_id": w.ids["M4"]}
    ),
    ("POST", TBL + "/merges"): Call(
        ADMIN, json=lambda w: {"survivor_id": w.ids["M1"], "loser_id": w.ids["M2"]}
    ),
    ("GET", TBL + "/merges"): Call(TABLE_READERS),
    ("GET", TBL + "/merges/{merge_id}"): Call(TABLE_READERS),
    ("POST", TBL + "/merges/{merge_id}/unmerge"): Call(ADMIN),
    ("GET", ONE + "/comments"): Call(ROW_READERS),
    ("GET", ONE + "/timeline"): Call(ROW_READERS),
    ("POST", ONE + "/comments"): Call(ROW_READERS, json={"body": "a note"}),
    # The administrator's comment: its author (and administrators) only.
    ("DELETE", ONE + "/comments/{comment_id}"): Call(ADMIN),
    # Interactions go as comments do: whoever may read the record logs and lists them; the
    # administrator's interaction is deleted by its author (and administrators) only.
    ("GET", ONE + "/interactions"): Call(ROW_READERS),
    ("POST", ONE + "/interactions"): Call(ROW_READERS, json={"kind": "call"}),
    ("DELETE", ONE + "/interactions/{interaction_id}"): Call(ADMIN),
    ("POST", APP + "/interactions"): Call(
        ROW_READERS, json=lambda w: {"table": "customers", "record_id": w.ids["X"], "kind": "visit"}
    ),
    # The 360° summary: readers of the record. Screen pop: anybody signed in (each finds only
    # records they may read; none here, as customers have no identity key).
    ("GET", ONE + "/360"): Call(ROW_READERS),
    ("GET", "/api/v1/customers/lookup"): Call(ANY, params={"phone": "13800138000"}),
    ("GET", ONE + "/processes"): Call(ROW_READERS),
    # A table's indexes, why each exists and which recent query shapes none serves: the
    # installation's administrators (they are a database matter, not an app manager's).
    ("GET", TBL + "/indexes"): Call(ADMIN),
    # -- reports and dashboards: figures over the rows the caller reads ----------------------
    ("POST", APP + "/reports/datasets/query"): Call(TABLE_READERS, json=DATASET),
    ("POST", APP + "/reports/datasets/drill"): Call(
        TABLE_READERS, json={"dataset": DATASET, "keys": ["VIP"]}
    ),
    ("GET", APP + "/reports/kpis"): Call(ANY),
    ("POST", APP + "/reports/kpis/{kpi}"): Call(TABLE_READERS, json=KPI),
    ("POST", APP + "/reports/datasets/export"): Call(ADMIN, json=DATASET, params={"format": "csv"}),
    ("GET", APP + "/dashboards"): Call(ANY),
    ("POST", APP + "/dashboards"): Call(
        MANAGERS, json={"key": "new_board", "name": "New", "widgets": []}
    ),
    # The dashboard is shown to the role r_reader only (and to those who manage the app).
    ("GET", APP + "/dashboards/{dashboard_id}"): Call(frozenset({"reader", "appmgr", "admin"})),
    ("PUT", APP + "/dashboards/{dashboard_id}"): Call(
        MANAGERS,
        json={"key": "board", "name": "Board 2", "widgets": [WIDGET], "version": 1},
    ),
    ("DELETE", APP + "/dashboards/{dashboard_id}"): Call(MANAGERS),
    ("GET", APP + "/dashboards/{dashboard_id}/data"): Call(
        frozenset({"reader", "appmgr", "admin"})
    ),
    # A widget's numbers as a file: the export permission on its table.
    ("GET", APP + "/dashboards/{dashboard_id}/widgets/{widget_id}/export"): Call(
        ADMIN, params={"format": "csv"}
    ),
    # The records behind a widget's points: those who see the dashboard and read its table.
    ("POST", APP + "/dashboards/{dashboard_id}/widgets/{widget_id}/drill"): Call(
        frozenset({"reader", "admin"}), json={"points": [["VIP"]]}
    ),
    # An unsaved widget (the editor): a dataset query, for those who read its table.
    ("POST", APP + "/dashboards/preview"): Call(TABLE_READERS, json={"widget": WIDGET}),
    ("POST", APP + "/dashboards/preview/drill"): Call(
        TABLE_READERS, json={"widget": WIDGET, "points": [["VIP"]]}
    ),
    # The KPIs' tables and fields in the app: listed to all, set by its managers (as they
    # read: an app manager without read on customers is refused the mapping, 422).
    ("GET", APP + "/kpi-mappings"): Call(ANY),
    ("PUT", APP + "/kpi-mappings/{kpi}"): Call(MANAGERS, json={"params": KPI}),
    ("DELETE", APP + "/kpi-mappings/{kpi}"): Call(MANAGERS),
    # -- sign-in -------------------------------------------------------------------------------
    ("POST", "/api/v1/auth/login"): Call(PUBLIC, json={"username": "admin", "password": PASSWORD}),
    ("GET", "/api/v1/auth/me"): Call(ANY),
    ("POST", "/api/v1/auth/logout"): Call(ANY),
    # -- users and tokens (olga's): administrators; the user list and one's own tokens: all --
    ("GET", "/api/v1/users"): Call(ANY),
    ("POST", "/api/v1/users"): Call(ADMIN, json={"username": "newbie"}),
    ("GET", "/api/v1/users/{user}"): Call(ADMIN),
    ("PATCH", "/api/v1/users/{user}"): Call(ADMIN, json={"display_name": "Olga"}),
    ("POST", "/api/v1/users/{user}/password"): Call(ADMIN, json={"password": "Secret-pass-2026"}),
    # Department managers are public in the department list already.
    ("GET", "/api/v1/users/{user}/manager"): Call(ANY),
    ("GET", "/api/v1/tokens"): Call(ANY),
    ("POST", "/api/v1/tokens"): Call(ANY, json={"name": "mine"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Call(ADMIN),
    # -- organisation ------------------------------------------------------------------------
    ("GET", "/api/v1/departments"): Call(ANY),
    ("POST", "/api/v1/departments"): Call(ADMIN, json={"name": "New"}),
    ("PATCH", "/api/v1/departments/{department_id}"): Call(ADMIN, json={"name": "Temp 2"}),
    ("DELETE", "/api/v1/departments/{department_id}"): Call(ADMIN),
    ("GET", "/api/v1/roles"): Call(ADMIN),
    ("POST", "/api/v1/roles"): Call(ADMIN, json={"key": "r_new", "name": "New"}),
    ("GET", "/api/v1/roles/{role}"): Call(ADMIN),
    ("PATCH", "/api/v1/roles/{role}"): Call(ADMIN, json={"name": "Temp 2"}),
    ("DELETE", "/api/v1/roles/{role}"): Call(ADMIN),
    # About someone else (olga): administrators; members ask about themselves.
    ("GET", "/api/v1/permissions/explain"): Call(
        ADMIN, params={"app": "crm", "table": "customers", "user": "olga"}
    ),
    ("GET", "/api/v1/audit"): Call(ADMIN),
    ("GET", "/api/v1/audit/verify"): Call(ADMIN),
    # -- apps, tables, fields: definitions are read by all, changed by those who manage them --
    ("GET", "/api/v1/apps"): Call(ANY),
    ("POST", "/api/v1/apps"): Call(ADMIN, json={"key": "new_app", "name": "New"}),
    ("POST", "/api/v1/apps/import"): Call(
        ADMIN,
        params={"key": "imported"},
        content=lambda w: (w.package, "application/yaml"),
    ),
    ("GET", "/api/v1/apps/recycle-bin"): Call(ANY),
    ("POST", "/api/v1/apps/recycle-bin/{app_id}/restore"): Call(ADMIN),
    ("GET", APP): Call(ANY),
    ("PATCH", APP): Call(MANAGERS, json={"name": "CRM 2"}),
    ("DELETE", APP): Call(MANAGERS, path={"app": "scratch"}),
    ("GET", APP + "/export"): Call(MANAGERS),
    ("POST", APP + "/tables"): Call(MANAGERS, json={"key": "new_table", "name": "New"}),
    ("GET", APP + "/tables"): Call(ANY),
    # Deleted tables and fields: those who manage the app; a table's managers, its fields.
    ("GET", APP + "/recycle-bin"): Call(TABLE_MANAGERS),
    ("POST", APP + "/recycle-bin/tables/{table_id}/restore"): Call(MANAGERS),
    ("GET", TBL): Call(ANY),
    ("PATCH", TBL): Call(TABLE_MANAGERS, json={"name": "Clients"}),
    ("DELETE", TBL): Call(TABLE_MANAGERS, path={"table": "notes"}),
    ("GET", TBL + "/layout"): Call(ANY),
    ("PUT", TBL + "/layout"): Call(
        TABLE_MANAGERS, json={"sections": [{"title": "Main", "rows": [["name", "tier"]]}]}
    ),
    ("POST", TBL + "/fields"): Call(
        TABLE_MANAGERS, json={"key": "new_field", "name": "New", "type": "text"}
    ),
    ("POST", TBL + "/fields/number-preview"): Call(
        TABLE_MANAGERS, json={"options": {"pattern": "BJ-{YYYY}{MM}-{####}", "reset": "month"}}
    ),
    ("GET", TBL + "/fields"): Call(ANY),
    # -- forms: read by whoever may list the table (as its layout), designed by its managers --
    ("GET", TBL + "/forms"): Call(ANY),
    ("GET", TBL + "/forms/{form}"): Call(ANY),
    ("POST", TBL + "/forms"): Call(TABLE_MANAGERS, json={"key": "intake", "name": "Intake"}),
    ("PATCH", TBL + "/forms/{form}"): Call(
        TABLE_MANAGERS, json={"layout": {"sections": [{"title": "Main", "rows": [["name"]]}]}}
    ),
    ("DELETE", TBL + "/forms/{form}"): Call(TABLE_MANAGERS, path={"form": "scratch"}),
    ("GET", TBL + "/defaults"): Call(ANY),
    ("PATCH", TBL + "/fields/{field}"): Call(TABLE_MANAGERS, json={"name": "Memo 2"}),
    ("DELETE", TBL + "/fields/{field}"): Call(TABLE_MANAGERS),
    ("POST", TBL + "/recycle-bin/fields/{field_id}/restore"): Call(TABLE_MANAGERS),
    # -- files: upload with create or update on the table; download from a readable record --
    ("POST", TBL + "/fields/{field}/files"): Call(
        WRITERS, path={"field": "docs"}, files={"file": ("a.txt", b"hello", "text/plain")}
    ),
    ("GET", "/api/v1/files/{file_id}"): Call(ROW_READERS),
    # -- imports: uploaded by writers of the table; a job is its uploader's (and admins') ----
    ("POST", TBL + "/imports"): Call(
        WRITERS, files={"file": ("c.csv", "客户名称\nA Co\n".encode(), "text/csv")}
    ),
    ("GET", TBL + "/imports"): Call(TABLE_READERS),
    ("GET", TBL + "/imports/{job_id}"): Call(ADMIN),
    ("POST", TBL + "/imports/{job_id}/source"): Call(ADMIN, json={}),
    ("POST", TBL + "/imports/{job_id}/dry-run"): Call(ADMIN, json={"mode": "insert"}),
    ("POST", TBL + "/imports/{job_id}/run"): Call(ADMIN, json={"mode": "insert"}),
    ("POST", TBL + "/imports/{job_id}/cancel"): Call(ADMIN),
    ("GET", TBL + "/imports/{job_id}/errors.csv"): Call(ADMIN),
    ("GET", TBL + "/import-mappings"): Call(WRITERS),
    ("POST", TBL + "/import-mappings"): Call(
        WRITERS, json={"name": "monthly", "mapping": {"客户名称": "name"}}
    ),
    ("PUT", TBL + "/import-mappings/{mapping_id}"): Call(
        WRITERS, json={"name": "dms", "mapping": {"名称": "name"}}
    ),
    ("DELETE", TBL + "/import-mappings/{mapping_id}"): Call(WRITERS),
    # -- One-ID: rules are the table's design; the queue is read by readers (pairs of records
    # they may see), decided by writers (pairs of records they may update) --------------------
    ("GET", TBL + "/identity-rules"): Call(ANY),
    ("POST", TBL + "/identity-rules"): Call(
        TABLE_MANAGERS,
        json={"name": "Same memo", "kind": "exact", "parts": [{"field": "memo"}]},
    ),
    ("PATCH", TBL + "/identity-rules/{identity_rule_id}"): Call(
        TABLE_MANAGERS, json={"threshold": 90}
    ),
    ("DELETE", TBL + "/identity-rules/{identity_rule_id}"): Call(TABLE_MANAGERS),
    ("GET", TBL + "/duplicates"): Call(TABLE_READERS),
    ("POST", TBL + "/duplicates/{suggestion_id}/decision"): Call(ADMIN, json={"decision": "later"}),
    ("POST", TBL + "/duplicates/decisions"): Call(
        WRITERS, json=lambda w: {"ids": [w.ids["suggestion"]], "decision": "later"}
    ),
    ("POST", TBL + "/duplicate-jobs"): Call(WRITERS),
    ("GET", TBL + "/duplicate-jobs"): Call(TABLE_READERS),
    ("GET", TBL + "/duplicate-jobs/{identity_job_id}"): Call(TABLE_READERS),
    ("POST", TBL + "/duplicate-jobs/{identity_job_id}/cancel"): Call(WRITERS),
    ("POST", TBL + "/identity/match"): Call(TABLE_READERS, json={"values": {"name": "X Co"}}),
    # -- tags: the vocabulary is read by every member and changed by the app's managers; a
    # record's tags are read with the record and changed by those who may update it ----------
    ("GET", APP + "/tags"): Call(ANY),
    ("POST", APP + "/tags"): Call(MANAGERS, json={"name": "New tag"}),
    ("PATCH", APP + "/tags/{tag_id}"): Call(MANAGERS, json={"colour": "red"}),
    ("DELETE", APP + "/tags/{tag_id}"): Call(MANAGERS, path=lambda w: {"tag_id": w.ids["tag_z"]}),
    ("GET", ONE + "/tags"): Call(ROW_READERS),
    ("PUT", ONE + "/tags"): Call(ADMIN, json=lambda w: {"tags": [w.ids["tag"]]}),
    ("POST", ONE + "/tags"): Call(ADMIN, json=lambda w: {"tag_id": w.ids["tag"]}),
    ("DELETE", ONE + "/tags/{tag_id}"): Call(ADMIN),
    ("POST", TBL + "/tags/apply"): Call(
        ADMIN, json=lambda w: {"ids": [w.ids["X"]], "add": [w.ids["tag"]]}
    ),
    # -- segments: app managers define them; readers of the table read them (members: only
    # rows they read); the segments of record X: its readers ---------------------------------
    ("GET", APP + "/segments"): Call(ANY),
    ("POST", APP + "/segments"): Call(
        MANAGERS, json={"name": "VIP", "table": "customers", "filter": SEGMENT_FILTER}
    ),
    ("POST", APP + "/segments/preview"): Call(
        TABLE_READERS, json={"table": "customers", "filter": SEGMENT_FILTER}
    ),
    ("GET", APP + "/segments/{segment_id}"): Call(TABLE_READERS),
    ("PATCH", APP + "/segments/{segment_id}"): Call(MANAGERS, json={"description": "d"}),
    ("DELETE", APP + "/segments/{segment_id}"): Call(
        MANAGERS, path=lambda w: {"segment_id": w.ids["scratch_segment"]}
    ),
    ("POST", APP + "/segments/{segment_id}/evaluate"): Call(MANAGERS),
    ("POST", APP + "/segments/{segment_id}/freeze"): Call(MANAGERS, json={}),
    ("GET", APP + "/segments/{segment_id}/members"): Call(TABLE_READERS),
    ("POST", APP + "/segments/{segment_id}/members"): Call(
        MANAGERS,
        path=lambda w: {"segment_id": w.ids["static_segment"]},
        json=lambda w: {"ids": [w.ids["X"]]},
    ),
    ("DELETE", APP + "/segments/{segment_id}/members"): Call(
        MANAGERS,
        path=lambda w: {"segment_id": w.ids["static_segment"]},
        params=lambda w: {"ids": [w.ids["X"]]},
    ),
    ("GET", APP + "/segments/{segment_id}/history"): Call(TABLE_READERS),
    ("GET", APP + "/segments/{segment_id}/counts"): Call(TABLE_READERS),
    ("GET", ONE + "/segments"): Call(ROW_READERS),
    # -- score models: read by every member (the app's design), changed, computed and previewed
    # by its managers; a record's scores by the readers of the record -------------------------
    ("GET", APP + "/score-models"): Call(ANY),
    ("POST", APP + "/score-models"): Call(MANAGERS, json=SCORE_MODEL),
    ("POST", APP + "/score-models/preview"): Call(MANAGERS, json=SCORE_MODEL),
    ("GET", APP + "/score-models/{score_model_id}"): Call(ANY),
    ("PATCH", APP + "/score-models/{score_model_id}"): Call(MANAGERS, json={"name": "Health 2"}),
    ("DELETE", APP + "/score-models/{score_model_id}"): Call(MANAGERS),
    ("POST", APP + "/score-models/{score_model_id}/compute"): Call(MANAGERS),
    ("POST", APP + "/score-models/{score_model_id}/train"): Call(
        MANAGERS,
        json={"churn_field": "active"},
        control="training needs 40 customers with a churned field; the world has a few",
    ),
    ("POST", APP + "/score-models/{score_model_id}/learned"): Call(MANAGERS, json={"on": False}),
    ("GET", ONE + "/score"): Call(ROW_READERS),
    # -- the customer 360° view ---------------------------------------------------------------
    ("GET", APP + "/customer-view"): Call(ANY),
    ("PUT", APP + "/customer-view"): Call(
        MANAGERS, json={"table": "customers", "metrics": ["credit"], "sections": []}
    ),
    # -- public forms: published by those who manage the app; the public routes need nothing --
    ("GET", TBL + "/forms/{form}/publication"): Call(MANAGERS),
    ("PUT", TBL + "/forms/{form}/publication"): Call(MANAGERS, json={"difficulty": 9}),
    ("DELETE", TBL + "/forms/{form}/publication"): Call(MANAGERS),
    ("POST", TBL + "/forms/{form}/publication/links"): Call(
        MANAGERS, json={"values": {"name": "Linked Co"}}
    ),
    ("GET", "/api/v1/public/forms/{token}"): Call(PUBLIC),
    # A challenge solved when the world was built (each kind's copy has it unspent).
    ("POST", "/api/v1/public/forms/{token}"): Call(
        PUBLIC,
        json=lambda w: {
            "values": {"name": "Public Co"},
            "challenge": w.ids["challenge"],
            "proof": w.ids["proof"],
        },
    ),
    # -- saved grid views (the administrator's private view) ------------------------------------
    ("GET", TBL + "/views"): Call(TABLE_READERS),
    ("POST", TBL + "/views"): Call(TABLE_READERS, json={"name": "Mine", "config": {}}),
    ("PATCH", TBL + "/views/{view_id}"): Call(ADMIN, json={"name": "Renamed", "version": 1}),
    ("DELETE", TBL + "/views/{view_id}"): Call(ADMIN),
    # -- alerts: those who manage the app ------------------------------------------------------
    ("GET", APP + "/alerts"): Call(MANAGERS),
    ("POST", APP + "/alerts"): Call(MANAGERS, json=lambda w: alert_body("new_alert")),
    ("GET", APP + "/alerts/{alert_id}"): Call(MANAGERS),
    ("PUT", APP + "/alerts/{alert_id}"): Call(
        MANAGERS, json=lambda w: {**alert_body("vip_high"), "version": 1}
    ),
    ("DELETE", APP + "/alerts/{alert_id}"): Call(MANAGERS),
    ("POST", APP + "/alerts/{alert_id}/check"): Call(MANAGERS, params={"dry_run": "true"}),
    ("GET", APP + "/alerts/{alert_id}/checks"): Call(MANAGERS),
    # -- processes ------------------------------------------------------------------------------
    ("GET", APP + "/processes"): Call(ANY),
    ("POST", APP + "/processes"): Call(MANAGERS, json={"bpmn": BPMN}),
    ("GET", APP + "/processes/{key}"): Call(ANY),
    ("GET", APP + "/processes/{key}/versions"): Call(ANY),
    # Checking a diagram is part of designing it: those who deploy.
    ("POST", APP + "/processes/validate"): Call(MANAGERS, json={"bpmn": BPMN}),
    # Starting on a record needs that record to be readable.
    ("POST", APP + "/processes/{key}/start"): Call(
        ROW_READERS, json=lambda w: {"record_id": w.ids["X"]}
    ),
    # The administrator started the instances on X: its initiator, task holders and the
    # record's readers see them; the initiator withdraws; administrators cancel and retry.
    ("GET", "/api/v1/process-instances/{instance_id}"): Call(ROW_READERS),
    ("GET", "/api/v1/process-instances/{instance_id}/diagram"): Call(ROW_READERS),
    # The administrators' list: every app for administrators, their own for app managers.
    ("GET", "/api/v1/process-instances"): Call(MANAGERS),
    # Someone left: only administrators hand their open tasks to somebody else.
    ("POST", "/api/v1/process-tasks/reassign"): Call(
        ADMIN, json=lambda w: {"from_user": w.users["reader"], "to_user": w.users["boss"]}
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/withdraw"): Call(
        ADMIN, json={}, path=lambda w: {"instance_id": w.ids["instance_withdraw"]}
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/cancel"): Call(
        ADMIN, json={"reason": "test"}, path=lambda w: {"instance_id": w.ids["instance_cancel"]}
    ),
    ("POST", "/api/v1/process-instances/{instance_id}/retry"): Call(
        ADMIN,
        control="needs an instance whose service task failed (status error); none is built",
    ),
    ("GET", "/api/v1/tasks"): Call(ANY),
    ("GET", "/api/v1/tasks/counts"): Call(ANY),
    ("GET", "/api/v1/tasks/{task_id}"): Call(ROW_READERS),
    # olga's task: its assignee (no kind) and administrators.
    ("POST", "/api/v1/tasks/{task_id}/{action}"): Call(ADMIN, json={"comment": "a note"}),
    # -- the working calendar: read by all, changed by administrators ------------------------
    ("GET", "/api/v1/calendar"): Call(ANY),
    ("PUT", "/api/v1/calendar/hours"): Call(
        ADMIN, json={"work_start": "09:00", "work_end": "18:00"}
    ),
    ("POST", "/api/v1/calendar/days"): Call(
        ADMIN, json={"day": "2026-05-07", "is_workday": False, "name": "Holiday"}
    ),
    ("DELETE", "/api/v1/calendar/days/{day}"): Call(ADMIN),
    # -- rules: those who manage the app -------------------------------------------------------
    ("GET", APP + "/rules"): Call(MANAGERS),
    ("POST", APP + "/rules"): Call(MANAGERS, json=lambda w: rule_body("new_rule")),
    ("GET", APP + "/rules/{rule_id}"): Call(MANAGERS),
    ("PUT", APP + "/rules/{rule_id}"): Call(
        MANAGERS, json=lambda w: {**rule_body("contract_day"), "version": 1}
    ),
    ("DELETE", APP + "/rules/{rule_id}"): Call(MANAGERS),
    ("GET", APP + "/rules/{rule_id}/runs"): Call(MANAGERS),
    ("POST", APP + "/rules/{rule_id}/test"): Call(
        MANAGERS, json=lambda w: {"record_id": w.ids["X"]}
    ),
    ("GET", APP + "/rules/{rule_id}/forecast"): Call(MANAGERS),
    ("POST", APP + "/rules/validate"): Call(MANAGERS, json=lambda w: rule_body("draft")),
    ("POST", APP + "/rules/dry-run"): Call(
        MANAGERS, json=lambda w: {"rule": rule_body("draft"), "record_id": w.ids["X"]}
    ),
    ("POST", APP + "/rules/forecast"): Call(MANAGERS, json=lambda w: {"rule": rule_body("d")}),
    # a second webhook rule's (the first one's secret is used by the inbound call)
    ("POST", APP + "/rules/{rule_id}/webhook-secret"): Call(
        MANAGERS, path=lambda w: {"rule_id": w.ids["hook_rule_2"]}
    ),
    # the formula editor's function help: anyone signed in
    ("GET", "/api/v1/formula/functions"): Call(ANY),
    ("POST", "/api/v1/hooks/rules/{rule_id}/{secret}"): Call(
        PUBLIC, json={"name": "hooked"}, path=lambda w: {"rule_id": w.ids["hook_rule"]}
    ),
    # -- notifications: one's own (the administrator's notification) -------------------------
    ("GET", "/api/v1/notifications"): Call(ANY),
    ("GET", "/api/v1/notifications/unread-count"): Call(ANY),
    ("POST", "/api/v1/notifications/read-all"): Call(ANY),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Call(ADMIN),
    # -- channels and deliveries: administrators -------------------------------------------------
    ("GET", "/api/v1/channels"): Call(ADMIN),
    ("POST", "/api/v1/channels"): Call(
        ADMIN,
        json=lambda w: {
            "key": "webhook:new",
            "name": "New",
            "settings": {"url": w.ids["receiver"] + "/new"},
        },
    ),
    ("GET", "/api/v1/channels/{key}"): Call(ADMIN, path=CHANNEL),
    ("PATCH", "/api/v1/channels/{key}"): Call(ADMIN, path=CHANNEL, json={"name": "Ops 2"}),
    ("DELETE", "/api/v1/channels/{key}"): Call(ADMIN, path=CHANNEL),
    ("POST", "/api/v1/channels/{key}/test"): Call(ADMIN, path=CHANNEL, json={}),
    ("GET", "/api/v1/deliveries"): Call(ADMIN),
    ("GET", "/api/v1/deliveries/summary"): Call(ADMIN),
    ("GET", "/api/v1/deliveries/{delivery_id}"): Call(ADMIN),
    ("POST", "/api/v1/deliveries/{delivery_id}/replay"): Call(ADMIN),
    ("POST", "/api/v1/deliveries/replay"): Call(ADMIN, json={"channel": "webhook:ops"}),
    # -- directory sync from WeCom / DingTalk: administrators ---------------------------------
    ("POST", "/api/v1/directory/sync"): Call(
        ADMIN,
        json={"channel": "webhook:ops"},
        control="a sync needs a WeCom / DingTalk application and its API: "
        "tests/api/test_im_directory.py",
    ),
    ("GET", "/api/v1/directory/sync-runs"): Call(ADMIN),
    ("GET", "/api/v1/health"): Call(PUBLIC),
    ("GET", "/api/v1/version"): Call(PUBLIC),
}


def alert_body(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": "VIP share",
        "kpi": {"key": "resolution_rate", "params": KPI},
        "op": ">",
        "threshold": 50,
        "schedule": {"every": 15, "unit": "minutes"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["user:olga"], "subject": "x"}],
    }


def rule_body(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": "Contract day",
        "table": "customers",
        "trigger": {"type": "date", "field": "signed_on", "offset": 0, "at": "09:00"},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["user:olga"], "subject": "x"}],
    }


# -- the world ---------------------------------------------------------------------------------
def build(services: Services, c: TestClient, w: World, receiver_url: str) -> None:
    """The app and everything the routes name, through the services and the API (admin)."""
    d = services.directory
    make_crm(services)
    hq = d.create_department(cli(), {"name": "HQ"})["id"]
    sales = d.create_department(cli(), {"name": "Sales", "parent_id": hq})["id"]
    d.create_department(cli(), {"name": "East", "parent_id": sales})
    ops = d.create_department(cli(), {"name": "Ops"})["id"]
    w.ids["temp_dept"] = d.create_department(cli(), {"name": "Temp"})["id"]
    depts = {
        "admin": ops,
        "nobody": ops,
        "reader": ops,
        "own": sales,
        "dept": sales,
        "boss": hq,
        "tblmgr": ops,
        "appmgr": ops,
        "olga": ops,
    }
    for name, dept in depts.items():
        extra: dict[str, Any] = {"department_id": dept}
        if name == "admin":
            extra.update(is_admin=True, password=PASSWORD)
        w.users[name], w.tokens[name] = make_user(services, name, **extra)
    d.update_department(cli(), hq, {"manager_id": w.users["boss"]})
    w.ids["olga_token"] = services.auth.create_token(cli(), w.users["olga"], "olga")[0]["id"]

    h = {"authorization": f"Bearer {w.tokens['admin']}"}

    def ok(method: str, url: str, **kw: Any) -> Any:
        r = c.request(method, url, headers=h, **kw)
        assert r.status_code < 300, (method, url, r.status_code, r.text)
        return r.json() if r.content and "json" in r.headers.get("content-type", "") else None

    T = "/api/v1/apps/crm/tables"
    ok("POST", f"{T}/customers/fields", json={"key": "docs", "name": "Docs", "type": "attachment"})
    ok("POST", f"{T}/customers/fields", json={"key": "memo", "name": "Memo", "type": "text"})
    old = ok("POST", f"{T}/customers/fields", json={"key": "old", "name": "Old", "type": "text"})
    ok("DELETE", f"{T}/customers/fields/old")
    w.ids["deleted_field"] = old["id"]
    ok("POST", "/api/v1/apps/crm/tables", json={"key": "notes", "name": "Notes"})
    gone = ok("POST", "/api/v1/apps/crm/tables", json={"key": "gone", "name": "Gone"})
    ok("DELETE", f"{T}/gone")
    w.ids["deleted_table"] = gone["id"]
    ok("POST", "/api/v1/apps", json={"key": "scratch", "name": "Scratch"})
    w.package = services.packages.export_yaml("scratch")
    w.ids["deleted_app"] = ok("POST", "/api/v1/apps", json={"key": "old_app", "name": "Old"})["id"]
    ok("DELETE", "/api/v1/apps/old_app")

    roles: list[tuple[str, list[str], list[dict[str, Any]], list[str]]] = [
        ("r_reader", ["reader"], [cust(["read"], "all")], []),
        ("r_own", ["own"], [cust(["create", "read", "update", "delete"], "own")], []),
        ("r_dept", ["dept"], [cust(["read", "update"], "department")], []),
        ("r_tree", ["boss"], [cust(["read", "update"], "department_tree")], []),
        ("r_mgr", ["appmgr"], [], ["crm", "scratch"]),
        (
            "r_tblmgr",
            ["tblmgr"],
            [cust(["manage"], "all"), {**cust(["manage"], "all"), "table": "notes"}],
            [],
        ),
        ("r_temp", [], [], []),
    ]
    for key, members, tables, manages in roles:
        body = {"key": key, "name": key, "members": members, "tables": tables}
        ok("POST", "/api/v1/roles", json={**body, "manages_apps": manages})

    rec = f"{T}/customers/records"
    for name in ("X", "Y", "Z", "W", "M1", "M2", "M3", "M4", "U1", "U2"):
        body = {"name": f"{name} Co", "tier": "VIP", "signed_on": "2026-01-02"}
        w.ids[name] = services.records.create("crm", "customers", body, actor_id=w.users["olga"])[
            "id"
        ]
    ok("DELETE", f"{rec}/{w.ids['Y']}")
    ok("DELETE", f"{rec}/{w.ids['W']}")
    w.ids["merge"] = services.merges.merge("crm", "customers", w.ids["U1"], w.ids["U2"])["id"]
    upload = ok(
        "POST",
        f"{T}/customers/fields/docs/files",
        files={"file": ("doc.txt", b"contract", "text/plain")},
    )
    w.ids["file"] = upload["id"]
    imported = ok(
        "POST",
        f"{T}/customers/imports",
        files={"file": ("c.csv", "客户名称,等级\nB Co,VIP\n".encode(), "text/csv")},
    )
    w.ids["import"] = imported["id"]
    saved = {"name": "dms", "mapping": {"客户名称": "name"}}
    w.ids["import_mapping"] = ok("POST", f"{T}/customers/import-mappings", json=saved)["id"]
    same_name = {"name": "Same name", "kind": "exact", "parts": [{"field": "name"}]}
    w.ids["identity_rule"] = ok("POST", f"{T}/customers/identity-rules", json=same_name)["id"]
    with unit_of_work(services) as uow:
        pair = {"rule_id": w.ids["identity_rule"], "score": 100.0, "evidence": [], "status": "open"}
        pair.update(record_a=w.ids["X"], record_b=w.ids["Z"])
        store_identity.upsert_suggestions(
            uow.conn, uow.catalog.table("crm", "customers").id, [pair], uow.now
        )
    w.ids["suggestion"] = services.identity.duplicates("crm", "customers")["items"][0]["id"]
    w.ids["identity_job"] = ok("POST", f"{T}/customers/duplicate-jobs")["id"]
    w.ids["tag"] = ok("POST", "/api/v1/apps/crm/tags", json={"name": "VIP"})["id"]
    w.ids["tag_z"] = ok("POST", "/api/v1/apps/crm/tags", json={"name": "Z tag"})["id"]
    segment = {"name": "VIP", "table": "customers", "filter": SEGMENT_FILTER}
    w.ids["segment"] = ok("POST", "/api/v1/apps/crm/segments", json=segment)["id"]
    w.ids["scratch_segment"] = ok("POST", "/api/v1/apps/crm/segments", json=segment)["id"]
    static = {"name": "List", "table": "customers", "kind": "static"}
    w.ids["static_segment"] = ok("POST", "/api/v1/apps/crm/segments", json=static)["id"]
    x = ok("GET", f"{rec}/{w.ids['X']}")
    x = ok("PATCH", f"{rec}/{w.ids['X']}", json={"docs": [upload["id"]], "version": x["version"]})
    w.ids["X_version"] = x["version"]
    w.ids["comment"] = ok("POST", f"{rec}/{w.ids['X']}/comments", json={"body": "hi"})["id"]
    w.ids["interaction"] = ok("POST", f"{rec}/{w.ids['X']}/interactions", json={"kind": "call"})[
        "id"
    ]

    A = "/api/v1/apps/crm"
    board = {
        "key": "board",
        "name": "Board",
        "roles": ["r_reader"],
        "widgets": [WIDGET],
    }
    w.ids["dashboard"] = ok("POST", f"{A}/dashboards", json=board)["id"]
    ok("PUT", f"{A}/kpi-mappings/resolution_rate", json={"params": KPI})
    w.ids["alert"] = ok("POST", f"{A}/alerts", json=alert_body("vip_high"))["id"]
    w.ids["rule"] = ok("POST", f"{A}/rules", json=rule_body("contract_day"))["id"]
    w.ids["score_model"] = ok("POST", f"{A}/score-models", json=SCORE_MODEL)["id"]
    ok("POST", f"{A}/score-models/{w.ids['score_model']}/compute")
    hook = {
        "key": "hook",
        "name": "Hook",
        "table": "customers",
        "trigger": {"type": "webhook", "mapping": {"name": "name"}},
        "actions": [{"type": "notify", "channel": "inapp", "to": ["user:olga"], "subject": "x"}],
    }
    hooked = ok("POST", f"{A}/rules", json=hook)
    w.ids["hook_rule"], w.ids["hook_secret"] = hooked["id"], hooked["webhook"]["secret"]
    w.ids["hook_rule_2"] = ok("POST", f"{A}/rules", json=hook | {"key": "hook_2"})["id"]
    published = ok(
        "PUT",
        f"{T}/customers/forms/default/publication",
        json={"owner": "admin", "prefill": ["name"], "difficulty": 8, "min_fill_seconds": 0},
    )
    w.ids["public_form"] = published["token"]
    page = ok("GET", f"/api/v1/public/forms/{published['token']}")
    w.ids["challenge"] = page["challenge"]["token"]
    w.ids["proof"] = solve(page["challenge"]["token"], page["challenge"]["difficulty"])
    view = {"name": "VIP", "config": {"filter": {"field": "tier", "op": "eq", "value": "VIP"}}}
    w.ids["view"] = ok("POST", f"{T}/customers/views", json=view)["id"]
    ok("POST", f"{T}/customers/forms", json={"key": "scratch", "name": "Scratch"})
    w.ids["receiver"] = receiver_url
    channel = {"key": "webhook:ops", "name": "Ops", "settings": {"url": receiver_url + "/ops"}}
    ok("POST", "/api/v1/channels", json=channel)
    w.ids["delivery"] = ok("POST", "/api/v1/channels/webhook:ops/test", json={})["deliveries"][0][
        "delivery_id"
    ]
    ok("POST", "/api/v1/calendar/days", json={"day": "2026-05-06", "is_workday": False})
    ok("POST", f"{A}/processes", json={"bpmn": BPMN})
    started = [
        ok("POST", f"{A}/processes/approval/start", json={"record_id": w.ids["X"]})
        for _ in range(3)
    ]
    w.ids["instance"] = started[0]["id"]
    w.ids["instance_withdraw"] = started[1]["id"]
    w.ids["instance_cancel"] = started[2]["id"]
    w.ids["task"] = ok("GET", f"/api/v1/process-instances/{started[0]['id']}")["current"][0][
        "task_id"
    ]
    with unit_of_work(services) as uow:
        w.ids["notification"] = store_notifications.add(
            uow.conn, uow.now, user_id=w.users["admin"], title="For the admin"
        )


def cust(actions: list[str], scope: str) -> dict[str, Any]:
    return {"app": "crm", "table": "customers", "actions": actions, "row_scope": scope}


@dataclass
class Matrix:
    client: TestClient
    world: World
    paths: dict[str, Any]
    clock: FrozenClock
    root: Path
    copies: int = 0

    def fresh(self) -> Services:
        """A copy of the built world's database and files, served by the one client."""
        self.copies += 1
        data = self.root / f"copy{self.copies}"
        shutil.copytree(self.world.data_dir, data)
        s = make_services(sqlite_url(data / "cairn.db"), data, self.clock)
        old = self.client.app.state.services  # type: ignore[attr-defined]
        self.client.app.state.services = s  # type: ignore[attr-defined]
        old.close()
        return s


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    root = tmp_path_factory.mktemp("matrix")
    clock = FrozenClock()
    data = root / "template"
    services = make_services(sqlite_url(data / "cairn.db"), data, clock)
    app = create_app(services)
    w = World(data_dir=data)
    with Receiver().running() as receiver, TestClient(app) as client:
        build(services, client, w, receiver.url)
        client.cookies.clear()
        services.close()
        paths = app.openapi()["paths"]
        # Served until the first copy replaces it (the template itself is never written).
        app.state.services = make_services(sqlite_url(data / "cairn.db"), data, clock)
        yield Matrix(client, w, paths, clock, root)
        app.state.services.close()


def routes(paths: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document: DELETEs last, in document order."""
    out = [(m.upper(), p) for p, ops in paths.items() for m in ops]
    return sorted(out, key=lambda r: r[0] == "DELETE")


def resolve(value: Body, w: World) -> Any:
    return value(w) if callable(value) else value


def call(c: TestClient, w: World, method: str, path: str, token: str | None) -> Any:
    spec = CALLS[(method, path)]
    values = {**path_values(w), **(resolve(spec.path, w) or {})}
    url = path.format(**values)
    headers = {"accept-language": "en"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    kw: dict[str, Any] = {"params": resolve(spec.params, w), "headers": headers}
    content = resolve(spec.content, w)
    if content is not None:
        kw["content"], headers["content-type"] = content
    elif spec.files is not None:
        kw["files"] = resolve(spec.files, w)
    elif spec.json is not None or method in ("POST", "PUT", "PATCH"):
        kw["json"] = resolve(spec.json, w) if spec.json is not None else {}
    r = c.request(method, url, **kw)
    c.cookies.clear()  # the login sets a session cookie: no request may ride on it
    return r


# -- the tests -----------------------------------------------------------------------------------
def test_every_route_has_an_expectation(matrix: Matrix) -> None:
    documented = set(routes(matrix.paths))
    missing = sorted(documented - set(CALLS))
    assert not missing, f"routes with no entry in CALLS (who may call them?): {missing}"
    stale = sorted(set(CALLS) - documented)
    assert not stale, f"entries in CALLS for routes that are gone: {stale}"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_member_reaches_only_what_it_may(matrix: Matrix, kind: str) -> None:
    matrix.fresh()
    w = matrix.world
    wrong: list[str] = []
    for method, path in routes(matrix.paths):
        spec = CALLS.get((method, path))
        if spec is None:
            continue  # test_every_route_has_an_expectation says so
        r = call(matrix.client, w, method, path, w.tokens[kind])
        where = f"{method} {path} → {r.status_code}"
        if r.status_code >= 500:
            wrong.append(f"{where} (never a 500): {r.text[:200]}")
        elif r.is_success and spec.allowed != PUBLIC and kind not in spec.allowed:
            wrong.append(f"{where}: not allowed to {kind}")
        elif kind == "admin" and spec.control is None and not r.is_success:
            wrong.append(f"{where}: the control request failed: {r.text[:300]}")
    assert not wrong, f"{kind}:\n" + "\n".join(wrong)


def test_without_credentials_only_public_routes_answer(matrix: Matrix) -> None:
    matrix.fresh()
    wrong = []
    for method, path in routes(matrix.paths):
        spec = CALLS.get((method, path))
        if spec is None or spec.allowed == PUBLIC:
            continue
        r = call(matrix.client, matrix.world, method, path, None)
        if r.status_code != 401:
            wrong.append(f"{method} {path} → {r.status_code}")
    assert not wrong, "\n".join(wrong)
