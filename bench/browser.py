"""Pages in a real browser: what the user waits for, beside the records grid page in the same run.

Debian's Chromium (``/usr/bin/chromium``) driven by Playwright against a real ``cairn`` server
over the scenario's database, signed in as one user:

- **first paint of the list**: from the start of the navigation until the first row of the list
  is in the page and a frame has been drawn (a ``MutationObserver`` installed before the page's
  own scripts notes the time, then waits one ``requestAnimationFrame``). Median of several warm
  loads (the browser cache holds the JS, as for someone who used Cairn yesterday). The records
  grid page (its page of 50 with the count, over ``--records`` customers, at most 100,000) is the
  baseline; the inbox (100,000 open tasks, 10,000 of them the signed-in user's) is measured
  against it.
- **JavaScript per page**: the scripts a page loads on a cold start, gzip-compressed as a
  compressing proxy would send them (the bytes the user downloads), for the grid page, the
  process designer and a dashboard (a number card and a bar chart over the customers). bpmn-js
  must come only with the designer; ECharts, grid-layout-plus, html2canvas and jsPDF never with
  the grid page (the dashboards load ECharts in its own chunk, and html2canvas and jsPDF only
  when a dashboard is exported). The grid page's total is printed for comparing runs.
"""

from __future__ import annotations

import gzip
import random
import shutil
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa

from bench.core_records import APP, FIELDS, TABLE, make_records
from bench.harness import Env, Options, ServerProcess, Target, chunks, log, row, scenario

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
USER, PASSWORD = "bench-browser", "Quiet-harbor-7351"
PROCESS = "approval"
OPEN_TASKS = 100_000
MINE = 10_000
LOADS = 7
MAX_RECORDS = 100_000
INBOX_RATIO = Target("ratio", "<=", 1.5)
NO_BPMN = Target("value", "<=", 0, "bytes")
NO_ECHARTS = Target("value", "<=", 0, "bytes")
#: A library a page must not load (the dashboards' on the grid, an export's before the click).
NO_LIBRARY = Target("value", "<=", 0, "bytes")

GRID_ROW = ".el-table-v2__row"
INBOX_ROW = "[data-test=task-link]"
DESIGNER_READY = ".djs-palette"
DASHBOARD_READY = "[data-test=widget-chart][data-type=bar][data-state=drawn]"

# The libraries only some pages may load, and how a script is known to carry one: the chunk
# web/vite.config.ts's manualChunks names (``echarts``; ``bpmn``), else a string only the
# library's own code holds (grid-layout-plus, html2canvas and jsPDF are left to Rollup's
# chunking, which names their chunks after whatever module comes first).
LIBRARIES: dict[str, tuple[str | None, tuple[bytes, ...]]] = {
    "bpmn-js": ("/assets/bpmn-", (b"djs-container", b"bpmn-js")),
    "echarts": ("/assets/echarts-", (b"zrender",)),
    "grid-layout-plus": (None, (b"vgl-layout",)),
    "html2canvas": (None, (b"data-html2canvas-ignore",)),
    "jspdf": (None, (b"jsPDF-module",)),
}
DASHBOARD_LIBS = ("grid-layout-plus", "html2canvas", "jspdf")
EXPORT_LIBS = ("html2canvas", "jspdf")


class PageJs(NamedTuple):
    """The scripts a page loaded: (url, gzip bytes, libraries carried) each."""

    scripts: list[tuple[str, int, frozenset[str]]]

    @property
    def total(self) -> int:
        return sum(size for _, size, _ in self.scripts)

    def of(self, *libraries: str) -> int:
        """Gzip bytes of the scripts that carry any of ``libraries``."""
        return sum(size for _, size, libs in self.scripts if libs.intersection(libraries))


def libraries_in(url: str, body: bytes) -> frozenset[str]:
    return frozenset(
        name
        for name, (chunk, marks) in LIBRARIES.items()
        if (chunk is not None and chunk in url) or any(m in body for m in marks)
    )


def dashboard() -> dict[str, Any]:
    """A number card (how many customers) and a bar chart (customers per tier)."""
    table = {"table": TABLE}
    return {
        "key": "bench",
        "name": "客户概览",
        "widgets": [
            {"id": "count", "type": "number", "title": "客户数", "dataset": table, "layout": {"w": 4, "h": 3}},
            {"id": "tiers", "type": "bar", "title": "各等级客户", "dataset": {**table, "dimensions": [{"field": "tier"}]}, "layout": {"x": 4, "w": 8, "h": 6}},
        ],
    }  # fmt: skip


APPROVAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:cairn="https://cairn.dev/bpmn" id="d" targetNamespace="https://cairn.dev/bench">
  <bpmn:process id="{PROCESS}" name="审批" isExecutable="true">
    <bpmn:extensionElements><cairn:binding table="{TABLE}"/></bpmn:extensionElements>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="主管审批">
      <bpmn:extensionElements><cairn:assignee type="initiator"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

# Notes the time the first element matching the selector is drawn (see the module).
FIRST_ROW_JS = """
(selector) => {
  window.__firstRow = null
  const seen = () => {
    if (window.__firstRow !== null || !document.querySelector(selector)) return false
    requestAnimationFrame(() => { window.__firstRow = performance.now() })
    return true
  }
  const obs = new MutationObserver(() => { if (seen()) obs.disconnect() })
  // Init scripts run before the document has its root element: observe the document itself.
  obs.observe(document, { childList: true, subtree: true })
}
"""


def _missing() -> str | None:
    from cairn.api.webui import WEBUI_DIR

    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[browser]')"
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (make test-deps installs it)"
    if not (WEBUI_DIR / "index.html").is_file():
        return "the web UI is not built (make web)"
    return None


def fill(env: Env, records: int) -> None:
    """The customers, one process bound to them, and the open tasks (10,000 the user's)."""
    from cairn.auth import cli
    from cairn.store import system

    s = env.services
    s.apps.create({"key": APP, "name": "Bench"})
    s.schema.create_table(APP, {"key": TABLE, "name": "客户", "fields": FIELDS})
    for part in chunks(make_records(records), 1000):
        s.records.bulk(APP, TABLE, list(part), return_items=False)
    me = s.directory.create_user(
        cli(), {"username": USER, "password": PASSWORD, "is_admin": True, "display_name": "王敏"}
    )
    others = [s.directory.create_user(cli(), {"username": f"u{i}"})["id"] for i in range(50)]
    s.processes.deploy(APP, {"bpmn": APPROVAL}, cli())
    now = datetime(2026, 12, 7, 9)
    rnd = random.Random(5)
    with s.engine.begin() as conn:
        app_id, table_id = conn.execute(
            sa.select(system.apps.c.id, system.tables.c.id)
            .join(system.tables, system.tables.c.app_id == system.apps.c.id)
            .where(system.apps.c.key == APP, system.tables.c.key == TABLE)
        ).one()
        def_id = conn.execute(sa.select(sa.func.max(system.process_definitions.c.id))).scalar()
        first = conn.execute(sa.select(sa.func.max(system.process_instances.c.id))).scalar() or 0
        instances = 2000
        conn.execute(
            system.process_instances.insert(),
            [
                {
                    "definition_id": def_id,
                    "app_id": app_id,
                    "table_id": table_id,
                    "record_id": 1 + i,
                    "status": "running",
                    "state": {},
                    "state_version": 1,
                    "meta": {},
                    "initiator_id": me["id"],
                    "started_at": now,
                    "updated_at": now,
                }
                for i in range(instances)
            ],
        )
        tasks = [
            {
                "instance_id": first + 1 + i % instances,
                "app_id": app_id,
                "table_id": table_id,
                "record_id": 1 + i % instances,
                "step_id": "review",
                "step_name": "主管审批",
                "engine_task_id": "00000000-0000-0000-0000-000000000000",
                "assignee_id": me["id"] if i < MINE else rnd.choice(others),
                "status": "open",
                "due_at": now + timedelta(minutes=rnd.randint(-600, 6000)),
                "created_at": now - timedelta(minutes=rnd.randint(0, 60 * 24 * 30)),
            }
            for i in range(OPEN_TASKS)
        ]
        for part in chunks(tasks, 5000):
            conn.execute(system.tasks.insert(), list(part))
    if env.db == "postgresql":
        with s.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def first_paint(page: Any, url: str, selector: str) -> float:
    """Milliseconds from navigation start to the first drawn row (see the module)."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__firstRow !== null", timeout=60_000)
    return float(page.evaluate("window.__firstRow"))


def median_paint(page: Any, url: str, selector: str) -> float:
    first_paint(page, url, selector)  # warm the cache
    return statistics.median(first_paint(page, url, selector) for _ in range(LOADS))


def page_js(browser: Any, server: ServerProcess, path: str, ready: str) -> PageJs:
    """The scripts ``path`` loads on a cold start, each gzip-compressed, until ``ready`` shows."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    sign_in(ctx, server)
    bodies: list[tuple[str, bytes]] = []
    page = ctx.new_page()
    page.on(
        "response",
        lambda r: bodies.append((r.url, r.body())) if r.request.resource_type == "script" else None,
    )
    page.goto(server.base_url + path)
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_load_state("networkidle")
    ctx.close()
    return PageJs([(u, len(gzip.compress(b, 9)), libraries_in(u, b)) for u, b in bodies])


def sign_in(ctx: Any, server: ServerProcess) -> None:
    reply = ctx.request.post(
        server.base_url + "/api/v1/auth/login", data={"username": USER, "password": PASSWORD}
    )
    if not reply.ok:
        raise RuntimeError(f"sign-in failed: {reply.status} {reply.text()}")


def js_beside_grid(page: str, db: str, note: str, js: PageJs, grid_js: PageJs) -> dict[str, Any]:
    """The row of a page's JavaScript (gzip, KiB), with the records grid page's as its baseline."""
    return row(
        f"browser · JS of {page} (gzip)",
        db,
        note,
        "KiB",
        js.total / 1024,
        baseline=grid_js.total / 1024,
        ratio=js.total / grid_js.total,
    )


@scenario(
    "browser",
    description="first paint of the inbox (100k open tasks) vs the records grid page; JS per "
    "page (grid, designer, dashboard)",
)
def browser(env: Env, opts: Options) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    db = env.db
    problem = _missing()
    if problem:
        log(f"browser scenario skipped: {problem}")
        return []
    records = min(opts.records, MAX_RECORDS)
    fill(env, records)
    server = env.start_server()
    with env.api_client(server) as client:
        reply = client.post(f"/api/v1/apps/{APP}/dashboards", json=dashboard())
        if reply.status_code != 201:
            raise RuntimeError(f"dashboard: {reply.status_code} {reply.text[:500]}")
        board = reply.json()["id"]
    grid_url = f"{server.base_url}/apps/{APP}/tables/{TABLE}"
    inbox_url = f"{server.base_url}/tasks"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            sign_in(ctx, server)
            page = ctx.new_page()
            page.add_init_script(
                f"({FIRST_ROW_JS})(location.pathname.startsWith('/tasks') ? "
                f"{INBOX_ROW!r} : {GRID_ROW!r})"
            )
            grid = median_paint(page, grid_url, GRID_ROW)
            inbox = median_paint(page, inbox_url, INBOX_ROW)
            ctx.close()
            grid_js = page_js(browser, server, f"/apps/{APP}/tables/{TABLE}", GRID_ROW)
            design_js = page_js(
                browser, server, f"/apps/{APP}/processes/new/design", DESIGNER_READY
            )
            board_js = page_js(browser, server, f"/apps/{APP}/dashboards/{board}", DASHBOARD_READY)
        finally:
            browser.close()
    kib = {
        name: f"{js.total / 1024:.0f} KiB"
        for name, js in (("grid", grid_js), ("designer", design_js), ("dashboard", board_js))
    }
    log(
        f"{db}: grid {grid:.0f} ms, inbox {inbox:.0f} ms; JS gzip grid {kib['grid']}"
        f" (bpmn-js {grid_js.of('bpmn-js')} B, ECharts {grid_js.of('echarts')} B,"
        f" dashboard libraries {grid_js.of(*DASHBOARD_LIBS)} B), designer {kib['designer']},"
        f" dashboard {kib['dashboard']} (ECharts {board_js.of('echarts') / 1024:.0f} KiB)"
    )
    # The markers must find what they look for where it has to be, or a 0 above means nothing.
    if not design_js.of("bpmn-js"):
        raise AssertionError("the designer page did not load bpmn-js")
    if not board_js.of("echarts") or not board_js.of("grid-layout-plus"):
        raise AssertionError("the dashboard page did not load ECharts and grid-layout-plus")
    mine = f"{OPEN_TASKS:,} open tasks, {MINE:,} the user's; grid page over {records:,} records"
    return [
        row(
            "browser · inbox first paint (my tasks)",
            db,
            f"median of {LOADS} warm loads; {mine}",
            "ms",
            inbox,
            baseline=grid,
            ratio=inbox / grid,
            target=INBOX_RATIO,
        ),
        row(
            "browser · records grid page first paint",
            db,
            f"median of {LOADS} warm loads; page of 50 with its count",
            "ms",
            grid,
        ),
        row(
            "browser · JS of the records grid page (gzip)",
            db,
            "cold load; bpmn-js, ECharts and the dashboards' libraries among them below",
            "KiB",
            grid_js.total / 1024,
        ),
        row(
            "browser · bpmn-js on the records grid page",
            db,
            "scripts of the grid page that carry bpmn-js",
            "bytes",
            grid_js.of("bpmn-js"),
            target=NO_BPMN,
        ),
        row(
            "browser · ECharts on the records grid page",
            db,
            "scripts of the grid page that carry ECharts (its chunk 'echarts')",
            "bytes",
            grid_js.of("echarts"),
            target=NO_ECHARTS,
        ),
        row(
            "browser · dashboard libraries on the records grid page",
            db,
            "scripts carrying grid-layout-plus, html2canvas or jsPDF",
            "bytes",
            grid_js.of(*DASHBOARD_LIBS),
            target=NO_LIBRARY,
        ),
        js_beside_grid(
            "the process designer page", db, "cold load, bpmn-js included", design_js, grid_js
        ),
        js_beside_grid(
            "a dashboard page",
            db,
            "cold load until its bar chart is drawn; a number card and a bar chart",
            board_js,
            grid_js,
        ),
        row(
            "browser · ECharts on the dashboard page (gzip)",
            db,
            "its chunk 'echarts', part of the row above",
            "KiB",
            board_js.of("echarts") / 1024,
        ),
        row(
            "browser · html2canvas and jsPDF on the dashboard page",
            db,
            "before an export asks for them",
            "bytes",
            board_js.of(*EXPORT_LIBS),
            target=NO_LIBRARY,
        ),
    ]
