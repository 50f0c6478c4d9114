"""The web UI at "/": files as they are, index.html for the UI's own routes, /api left alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.services import Services


@pytest.fixture
def ui_dir(tmp_path: Path) -> Path:
    d = tmp_path / "webui"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text("<!doctype html><div id=app>UI</div>", encoding="utf-8")
    (d / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (d / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    return d


@pytest.fixture
def ui(services: Services, ui_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(services, webui_dir=ui_dir)) as c:
        yield c


def test_the_front_door_and_deep_links_serve_the_ui(ui: TestClient) -> None:
    for path in ("/", "/apps/crm/tables/customers", "/apps/crm/tables/customers/records/7/360"):
        r = ui.get(path)
        assert r.status_code == 200 and "UI" in r.text, path
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"


def test_files_are_served_and_hashed_assets_cached(ui: TestClient) -> None:
    r = ui.get("/assets/index-abc123.js")
    assert r.status_code == 200 and r.text == "console.log(1)"
    assert "immutable" in r.headers["cache-control"]
    assert ui.get("/favicon.svg").headers["content-type"].startswith("image/svg")
    # A stale asset name is a 404, never index.html served as a script.
    assert ui.get("/assets/index-old.js").status_code == 404


def test_the_api_keeps_its_own_404s_and_docs(ui: TestClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        r = ui.request(method, "/api/v1/no-such-resource")
        assert r.status_code == 404, method
        assert r.headers["content-type"] == "application/problem+json"
    assert ui.get("/api/v1/health").json()["status"] == "ok"
    assert ui.get("/openapi.json").status_code == 200
    assert "swagger" in ui.get("/docs").text.lower()


def test_writes_to_ui_paths_are_refused(ui: TestClient) -> None:
    assert ui.post("/apps/crm").status_code == 405


def test_no_file_outside_the_ui_directory(ui: TestClient) -> None:
    assert "secret" not in ui.get("/../secret.txt").text
    assert "secret" not in ui.get("/%2e%2e/secret.txt").text


def test_without_a_build_the_front_door_is_the_api_docs(services: Services, tmp_path: Path) -> None:
    with TestClient(create_app(services, webui_dir=tmp_path / "none")) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/docs"
        assert c.get("/apps/crm").status_code == 404


def test_the_api_docs_need_no_network(ui: TestClient) -> None:
    """/docs loads Swagger UI's script, style sheet and icon from this server, never a CDN."""
    html = ui.get("/docs").text
    assert "cdn." not in html and "fastapi.tiangolo.com" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    }
    for asset in assets:
        assert asset.startswith("/docs/"), asset
        r = ui.get(asset)
        assert r.status_code == 200, asset
        assert len(r.content) > 0
    assert ui.get(assets[0]).headers["cache-control"].endswith("immutable")


def test_only_the_assets_the_docs_use_are_served(ui: TestClient) -> None:
    js = next(
        a for a in re.findall(r"""src=["']([^"']+)["']""", ui.get("/docs").text) if "bundle" in a
    )
    folder = js.rsplit("/", 1)[0]
    for name in ("index.html", "swagger-ui-bundle.js.map", "oauth2-redirect.html", "../x"):
        assert ui.get(f"{folder}/{name}").status_code == 404, name
    # ReDoc would load its script from a CDN: it is off.
    assert ui.get("/redoc").status_code == 404
