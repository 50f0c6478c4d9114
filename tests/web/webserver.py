"""The browser tests' handle on the server they drive: its address, the administrator the demo
printed, plain API calls to check what the UI did, ``launch`` which starts one, and
``launch_with_clock`` / ``server_with_clock`` for a test module's own server with a test clock (a
module of its own, not the conftest, so test modules import it by a name no other folder's conftest
shares)."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: How long ``cairn serve`` may take to answer its health check: on a loaded machine (many test
#: processes on two cores) a start took more than the 30 s this once was.
START_BOUND = 120.0
#: How much of a failed server's standard error the error quotes (its last bytes).
STDERR_TAIL = 4000


class Server:
    def __init__(
        self, url: str, login: tuple[str, str] = ("", ""), token: str | None = None
    ) -> None:
        self.url = url
        self.login = login  # the administrator the demo printed
        self.token = token  # a bearer token for the tests' own API calls
        # Whether a sign-in with a wrong password was shown already (see conftest.signed_in).
        self.wrong_password_tried = False

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A plain HTTP call to the API (to check what the UI did, never to do it for the UI)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "content-type": "application/json",
                "accept-language": "en",
                **({"authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read()[:300]!r}") from None

    def has_route(self, path: str) -> bool:
        paths = self.api("GET", "/openapi.json")["paths"]
        return path in paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _printed_login(output: str) -> tuple[str, str]:
    """The user name and password that ``cairn demo`` printed."""
    found = dict(
        line.strip().split(":", 1)
        for line in output.splitlines()
        if line.strip().startswith(("user name:", "password:"))
    )
    return found["user name"].strip(), found["password"].strip()


@contextmanager
def launch(data: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``cairn demo`` into ``data``, then ``cairn serve`` (with its worker) on a free port until
    the block ends. ``extra_env``: settings for this server only (``CAIRN_TEST_CLOCK``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["CAIRN_DATA_DIR"] = str(data)
    # A fixed key ring, so fields can be made sensitive (encrypted at rest) in the UI.
    env["CAIRN_ENCRYPTION_KEYS"] = "web:" + base64.b64encode(b"w" * 32).decode()
    env.update(extra_env or {})
    if env.get("CAIRN_TEST_CLOCK"):
        # A test-clock jump (past a deadline on tomorrow's working hours, across a month) must
        # not end the browsers' sessions, which idle out after 12 hours of the server's clock:
        # whether a jump crossed that depended on the time of day the tests ran.
        env.setdefault("CAIRN_SESSION_HOURS", str(24 * 366))
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
    # Its stderr goes to a file beside the data (a pipe nobody reads can fill up and stall it).
    with data.with_name(f"{data.name}-serve.stderr").open("wb") as stderr:
        proc = subprocess.Popen(
            [*cli, "serve", "--port", str(port), "--data", str(data)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        url = f"http://127.0.0.1:{port}"
        wait_ready(proc, url, Path(stderr.name))
        try:
            yield Server(url, login, token)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_ready(
    proc: subprocess.Popen[bytes], url: str, stderr: Path, bound: float = START_BOUND
) -> None:
    """Until ``url``'s health check answers. A server that exits first, or does not answer
    within ``bound`` seconds (then it is killed), is a RuntimeError that says which, with the
    tail of its standard error (``stderr``, the file it writes to)."""
    deadline = time.monotonic() + bound
    while True:
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2):
                return
        except OSError:
            pass
        if proc.poll() is not None:
            why = f"exited with code {proc.returncode} before it answered"
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            why = f"did not answer {url}/api/v1/health within {bound:g} s (killed)"
            break
        time.sleep(0.2)  # polling a process that is starting, not waiting on the tests' time
    tail = stderr.read_bytes()[-STDERR_TAIL:].decode(errors="replace") if stderr.exists() else ""
    raise RuntimeError(f"cairn serve {why}; the end of its stderr:\n{tail or '(empty)'}")


@contextmanager
def launch_with_clock(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    session_hours: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A test module's own server with ``CAIRN_TEST_CLOCK=true`` (the clock only moves forward),
    its data in a fresh temporary directory named after ``name``. Sessions last a year unless
    ``session_hours`` says otherwise (see ``launch``); ``env``: further settings for this server."""
    settings = {"CAIRN_TEST_CLOCK": "true", **(env or {})}
    if session_hours is not None:
        settings["CAIRN_SESSION_HOURS"] = str(session_hours)
    with launch(tmp_path_factory.mktemp(name), settings) as s:
        yield s


def server_with_clock(name: str) -> Any:
    """A module's ``server`` fixture: its own server with a test clock (``launch_with_clock``), for
    the modules that need nothing more of it. ``server = server_with_clock("cairn-x")``."""

    @pytest.fixture(scope="module", name="server")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        """This module's own server, with a test clock."""
        with launch_with_clock(tmp_path_factory, name) as s:
            yield s

    return server
