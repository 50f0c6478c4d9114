"""The browser tests' server start (``webserver.wait_ready``): a server that dies or never
answers is a clear error with the end of its stderr, not a hang or a bare timeout."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from webserver import wait_ready


def _closed_url() -> str:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _start(code: str, log: Path) -> subprocess.Popen[bytes]:
    """A stand-in for ``cairn serve`` running ``code``; its stdin a pipe kept open (a stand-in
    that reads it waits until killed)."""
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stderr=err)


def test_a_server_that_exits_says_so_with_its_stderr(tmp_path: Path) -> None:
    log = tmp_path / "serve.stderr"
    proc = _start("import sys; sys.stderr.write('x' * 5000 + 'port in use'); sys.exit(3)", log)
    proc.wait()
    with pytest.raises(RuntimeError) as e:
        wait_ready(proc, _closed_url(), log)
    assert "exited with code 3" in str(e.value)
    assert str(e.value).endswith("port in use") and "x" * 5000 not in str(e.value)


def test_a_server_that_never_answers_is_killed_at_the_bound(tmp_path: Path) -> None:
    log = tmp_path / "serve.stderr"
    proc = _start("import sys; sys.stdin.read()", log)
    with pytest.raises(RuntimeError) as e:
        wait_ready(proc, _closed_url(), log, bound=0)
    assert "did not answer" in str(e.value) and "within 0 s (killed)" in str(e.value)
    assert proc.poll() is not None  # killed, not left running
