"""The grid's count when counting every record would be slow, in the browser: with the
threshold low (``CAIRN_COUNT_EXACT_ROWS=100``), a table of 150 records shows "100+" on SQLite
(counted up to the threshold) and the planner's "about 150" on PostgreSQL, never as if exact;
"count exactly" then shows the exact count, which stays while the data is unchanged. Desktop
and phone, zh-CN and en, on both databases (this module's own servers)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ui import open_as
from webserver import Server, launch

from cairn.api.webui import WEBUI_DIR
from support.db import PostgresTestDatabase

LOW = 100
N = 150
TEXTS = {
    "zh-CN": {"estimate": "约 150 条", "at_least": "100+ 条", "exact": "共 150 条", "button": "精确计数"},
    "en": {"estimate": "about 150 records", "at_least": "100+ records", "exact": "150 records", "button": "Count exactly"},
}  # fmt: skip


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """This module's own server with a low count threshold, on each database."""
    if not shutil.which("chromium") or not (WEBUI_DIR / "index.html").is_file():
        yield Server("http://127.0.0.1:9")  # never used: the conftest skips every test
        return
    env = {"CAIRN_COUNT_EXACT_ROWS": str(LOW)}
    db = PostgresTestDatabase.create() if request.param == "postgresql" else None
    if db is not None:
        env["CAIRN_DATABASE_URL"] = db.url
    try:
        with launch(tmp_path_factory.mktemp(f"cairn-counts-{request.param}"), env) as s:
            s.database = db  # type: ignore[attr-defined]
            yield s
    finally:
        if db is not None:
            db.drop()


@pytest.fixture
def leads(server: Server, request: pytest.FixtureRequest) -> str:
    """A table of 150 leads in an app of this test's own (a count is kept per table)."""
    app = "cnt_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-30:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "计数测试"})
    table = server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {
            "key": "leads",
            "name": "线索",
            "display_field": "name",
            "fields": [{"key": "name", "name": "名称", "type": "text", "required": True}],
        },
    )
    records = [{"name": f"线索 {i}"} for i in range(N)]
    server.api("POST", f"/api/v1/apps/{app}/tables/leads/records/bulk", {"records": records})
    db: PostgresTestDatabase | None = getattr(server, "database", None)
    if db is not None:  # fresh planner statistics, as autovacuum keeps them on a live server
        engine = sa.create_engine(db.url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"ANALYZE t_{int(table['id'])}"))
        engine.dispose()
    return app


@pytest.mark.parametrize(
    ("size", "lang"), [((1440, 900), "zh-CN"), ((390, 844), "en")], ids=["desktop-zh", "phone-en"]
)
def test_an_inexact_count_says_so_and_counts_exactly_on_request(
    signed_in: Any,
    server: Server,
    leads: str,
    size: tuple[int, int],
    lang: str,
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    open_as(page, f"{server.url}/apps/{leads}/tables/leads", size, lang)
    count = page.locator("[data-test=record-count]")
    kind = "estimate" if getattr(server, "database", None) is not None else "at_least"
    page.locator(f"[data-test=record-count][data-kind={kind}]").wait_for()
    texts = TEXTS[lang]
    assert count.inner_text() == texts[kind]
    button = page.locator("[data-test=count-exact]")
    assert button.inner_text() == texts["button"]
    assert page.evaluate("w => document.documentElement.scrollWidth <= w + 1", size[0])
    shoot(page, f"record-count-{kind}")

    button.click()
    page.locator("[data-test=record-count][data-kind=exact]").wait_for()
    assert count.inner_text() == texts["exact"]
    assert button.count() == 0
    shoot(page, "record-count-exact")

    # Opened again with nothing changed: the exact count is remembered by the server.
    page.reload()
    page.locator("[data-test=record-count][data-kind=exact]").wait_for()
    assert count.inner_text() == texts["exact"]
    # A new record: counted again, as inexact as before.
    server.api("POST", f"/api/v1/apps/{leads}/tables/leads/records", {"name": "新线索"})
    page.reload()
    page.locator(f"[data-test=record-count][data-kind={kind}]").wait_for()
