"""Browser tests: Playwright drives Debian's Chromium against `cairn serve` on a free port.

- The server runs in a subprocess with a fresh SQLite database in a temporary directory (the API
  tests cover PostgreSQL). It also holds the general-aviation demo app, for pages with data.
- Without /usr/bin/chromium, or without a built UI (``make web``), the tests skip with the
  reason, except under ``CI=true``, where they fail.
- ``signed_in`` is the one place that signs in (see its docstring).
- ``shoot(page, name)`` saves a screenshot under test-output/web/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from webserver import Server, launch

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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if _missing():
        yield Server("http://127.0.0.1:9")  # never used: every test skips first
        return
    with launch(tmp_path_factory.mktemp("cairn-web")) as s:
        yield s


@pytest.fixture
def signed_in(page: Any, server: Server) -> Any:
    """The page, signed in and on the app list.

    Signs in through the sign-in page as the administrator the demo printed, and checks that it
    lands on the app list. The first sign-in on a server tries a wrong password first (an error
    is shown): only the first, as failures from one address add up to a lock-out of that address
    (a right password clears the user's count, not the address's: auth/throttle.py).
    """
    page.set_default_timeout(15_000)
    username, password = admin_credentials(server)
    page.goto(server.url + "/")
    page.wait_for_url("**/sign-in**")
    page.locator("input[name=username]").fill(username)
    if not server.wrong_password_tried:
        server.wrong_password_tried = True
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
