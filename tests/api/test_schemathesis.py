"""Schemathesis over the whole OpenAPI document: no request, valid or not, gets a 5xx, and
every reply matches what the document declares (status, content type, body schema).

In-process against a fresh SQLite data directory, as an administrator (so requests reach the
handlers), with some data so ids exist. Settings are in ``schemathesis.toml`` (fixed seed,
deterministic generation, a few examples per operation); ``make fuzz`` sets
``CAIRN_FUZZ_EXAMPLES`` for a longer run.

In-process, a 500 does not come back as a response: the app's exception is raised in the
test (Starlette's error middleware re-raises it after answering), which fails it just the
same, followed by a ``curl`` line reproducing the request."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.services import Services
from factories import make_admin, make_crm, make_services, make_user
from support.db import sqlite_url

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"


def seed(services: Services, admin: TestClient) -> None:
    """Rows of most kinds, so that small ids (which generation favours) name something."""
    make_crm(services)
    # Throw-away ones for the deletes (schemathesis.toml sends them there).
    services.apps.create({"key": "scratch", "name": "草稿"})
    services.schema.create_table("crm", {"key": "scratch", "name": "草稿"})
    member, _ = make_user(services, "member", display_name="成员")
    # schemathesis.toml revokes only this token (the administrator's is id 1).
    [token] = services.auth.list_tokens(cli(), "member")
    assert token["id"] == 2, token
    dept = services.directory.create_department(cli(), {"name": "销售部"})
    services.directory.update_user(cli(), member, {"department_id": dept["id"]})
    services.directory.create_role(
        cli(),
        {
            "key": "sales",
            "name": "销售",
            "members": ["member"],
            "tables": [{"app": "crm", "table": "customers", "actions": ["read"]}],
        },
    )
    r = admin.post(
        "/api/v1/apps/crm/tables/customers/records/bulk",
        json={"records": [{"name": f"客户{i}", "flight_hours": i * 10} for i in range(1, 6)]},
    )
    assert r.status_code == 201, r.text
    r = admin.post(
        "/api/v1/apps/crm/tables/customers/records/1/comments", json={"body": "@member 请跟进"}
    )
    assert r.status_code == 201, r.text
    r = admin.post("/api/v1/apps/crm/tables/customers/views", json={"name": "全部", "config": {}})
    assert r.status_code == 201, r.text


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    """Optional query parameters are documented as ``anyOf: [..., {"type": "null"}]``
    (FastAPI's rendering of ``int | None = None``), and schemathesis sends a null as the
    text ``null``; in a query string, leaving the parameter out is how null is said."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                options = param.get("schema", {}).get("anyOf")
                if options and {"type": "null"} in options:
                    rest = [o for o in options if o != {"type": "null"}]
                    param["schema"] = {
                        **{k: v for k, v in param["schema"].items() if k != "anyOf"},
                        **(rest[0] if len(rest) == 1 else {"anyOf": rest}),
                    }


def load_schema() -> Any:
    """The document of an app over no services (making it touches none), with the settings
    of ``schemathesis.toml``: loaded when the module is collected, to parametrize the test."""
    config = schemathesis.Config.from_path(CONFIG)
    examples = os.environ.get("CAIRN_FUZZ_EXAMPLES")
    if examples:
        config.projects.default.generation.update(max_examples=int(examples))
    app = create_app(cast(Services, None))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


schema = load_schema()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app every generated request goes to, over seeded data, and an admin's headers.
    One per module: the operations run one after another against the same data, like
    requests to a running server."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    services = make_services(sqlite_url(tmp / "cairn.db"), tmp / "data", FrozenClock())
    token = make_admin(services)
    app = create_app(services)
    headers = {"authorization": f"Bearer {token}", "accept-language": "en"}
    with TestClient(app, headers=headers) as admin:
        seed(services, admin)
    yield app, headers
    services.close()


@schema.parametrize()
def test_api(case: schemathesis.Case, live: tuple[FastAPI, dict[str, str]]) -> None:
    app, headers = live
    case.call_and_validate(app=app, headers=headers)
    # Still signed in as an administrator (else the rest of the run would test nothing).
    me = TestClient(app, headers=headers).get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"]["is_admin"], me.text
