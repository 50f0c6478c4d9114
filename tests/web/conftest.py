"""Browser tests: Playwright drives Debian's Chromium against `cairn serve` on a free port.

- The server runs in a subprocess with a fresh SQLite database in a temporary directory (the API
  tests cover PostgreSQL). It also holds the general-aviation demo app, for pages with data.
- Without /usr/bin/chromium, or without a built UI (``make web``), the tests skip with the
  reason, except under ``CI=true``, where they fail.
- ``signed_in`` is the one place that signs in (see its docstring).
- ``shoot(page, name)`` saves a screenshot under test-output/web/ (git-ignored).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from webserver import Server

from cairn.api.webui import WEBUI_DIR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "web"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (make test-deps installs it with apt-get)"
    if not (WEBUI_DIR / "index.html").is_file():
        return "the web UI is not built (run `make web`)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[browser]')"
    return None


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    """Runs before Playwright's own fixtures, so a missing browser skips instead of erroring."""
    reason = _missing()
    if reason:
        if CI:
            pytest.fail(f"browser tests cannot run under CI=true: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if _missing():
        yield Server("http://127.0.0.1:9")  # never used: every test skips first
        return
    data = tmp_path_factory.mktemp("cairn-web")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["CAIRN_DATA_DIR"] = str(data)
    # A fixed key ring, so fields can be made sensitive (encrypted at rest) in the UI.
    env["CAIRN_ENCRYPTION_KEYS"] = "web:" + base64.b64encode(b"w" * 32).decode()
    cli = [sys.executable, "-m", "cairn.cli.main"]
    demo = subprocess.run(
        [*cli, "demo", "--data", str(data), "--customers", "40", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    login = _printed_login(demo.stdout)
    token = (
        subprocess.run(
            [*cli, "token", "create", "--user", login[0], "--name", "browser tests"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = _free_port()
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--data", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"cairn serve did not start: {err[-2000:]}") from None
            time.sleep(0.1)
    try:
        yield Server(url, login, token)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def signed_in(page: Any, server: Server) -> Any:
    """The page, signed in and on the app list.

    Signs in through the sign-in page as the administrator the demo printed: a wrong password
    first (an error is shown), then the right one, and checks that it lands on the app list.
    """
    page.set_default_timeout(15_000)
    username, password = admin_credentials(server)
    page.goto(server.url + "/")
    page.wait_for_url("**/sign-in**")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("wrong password")
    page.locator("[data-test=sign-in]").click()
    page.get_by_role("alert").wait_for()
    page.locator("input[name=password]").fill(password)
    page.locator("[data-test=sign-in]").click()
    page.wait_for_selector("[data-test=new-app]")
    return page


def admin_credentials(server: Server) -> tuple[str, str]:
    """The first administrator of the server (``cairn demo`` prints it)."""
    return server.login


def _printed_login(output: str) -> tuple[str, str]:
    """The user name and password that ``cairn demo`` printed."""
    found = dict(
        line.strip().split(":", 1)
        for line in output.splitlines()
        if line.strip().startswith(("user name:", "password:"))
    )
    return found["user name"].strip(), found["password"].strip()


@pytest.fixture
def shoot() -> Callable[[Any, str], Path]:
    def _shoot(page: Any, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size or {"width": 0}
        lang = page.evaluate("document.documentElement.lang")
        path = OUTPUT / f"{name}-{lang}-{size['width']}.png"
        page.wait_for_timeout(150)  # let transitions settle (a screenshot, not an assertion)
        page.screenshot(path=str(path), full_page=False)
        return path

    return _shoot
