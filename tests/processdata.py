"""Builders for process tests: an organisation (departments with managers, users with tokens),
an app with tables, the scenario BPMN files, and an API client per user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.services import Services
from factories import make_user

BPMN_DIR = Path(__file__).parent / "process" / "bpmn"


def app_with_table(c: TestClient, app: str, name: str, table: dict[str, Any]) -> None:
    """The app ``app`` named ``name`` with one table (``table``: the body of ``POST …/tables``)."""
    assert c.post("/api/v1/apps", json={"key": app, "name": name}).status_code == 201
    r = c.post(f"/api/v1/apps/{app}/tables", json=table)
    assert r.status_code == 201, r.text


def bpmn(name: str) -> str:
    return (BPMN_DIR / name).read_text(encoding="utf-8")


@dataclass
class Org:
    services: Services
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)

    def department(self, name: str, manager: str | None = None, parent: str | None = None) -> int:
        body: dict[str, Any] = {"name": name}
        if parent:
            body["parent_id"] = self.departments[parent]
        d = self.services.directory.create_department(cli(), body)
        self.departments[name] = d["id"]
        if manager:
            self.manage(name, manager)
        return d["id"]

    def manage(self, department: str, user: str) -> None:
        """``user`` manages ``department`` (and belongs to it, unless they belong elsewhere)."""
        self.services.directory.update_department(
            cli(), self.departments[department], {"manager_id": self.ids[user]}
        )
        if self.services.directory.get_user(cli(), self.ids[user]).get("department_id") is None:
            self.services.directory.update_user(
                cli(), self.ids[user], {"department_id": self.departments[department]}
            )

    def user(self, name: str, department: str | None = None, **extra: Any) -> int:
        body = dict(extra)
        if department:
            body["department_id"] = self.departments[department]
        uid, token = make_user(self.services, name, display_name=name, **body)
        self.ids[name] = uid
        self.tokens[name] = token
        return uid

    def role(self, key: str, members: list[str], tables: list[dict[str, Any]] | None = None):
        self.services.directory.create_role(
            cli(), {"key": key, "name": key, "members": members, "tables": tables or []}
        )

    @contextmanager
    def client(self, name: str) -> Iterator[TestClient]:
        headers = {"accept-language": "en", "authorization": f"Bearer {self.tokens[name]}"}
        with TestClient(create_app(self.services), headers=headers) as c:
            yield c


def act(c: TestClient, task_id: int, action: str, **body: Any) -> dict[str, Any]:
    r = c.post(f"/api/v1/tasks/{task_id}/{action}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def mine(c: TestClient, box: str = "mine") -> list[dict[str, Any]]:
    r = c.get("/api/v1/tasks", params={"box": box})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def only_task(c: TestClient, step: str | None = None) -> dict[str, Any]:
    items = [t for t in mine(c) if step is None or t["step"] == step]
    assert len(items) == 1, items
    return items[0]


def deploy(c: TestClient, app: str, xml: str, **extra: Any) -> dict[str, Any]:
    r = c.post(f"/api/v1/apps/{app}/processes", json={"bpmn": xml, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def timeline(c: TestClient, instance_id: int) -> dict[str, Any]:
    r = c.get(f"/api/v1/process-instances/{instance_id}")
    assert r.status_code == 200, r.text
    return r.json()
