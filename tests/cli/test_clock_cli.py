"""``cairn clock show`` / ``cairn clock advance`` on a data directory, and ``cairn serve``
refusing a test clock on an address others can reach unless that is confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cairn.cli.main import app
from cairn.core import Settings
from cairn.services import build_services

runner = CliRunner()


def test_advance_moves_the_stored_clock_and_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    r = runner.invoke(app, ["clock", "advance", "3d", "--data", data])
    assert r.exit_code == 2 and "CAIRN_TEST_CLOCK=true" in r.output  # off: nothing to move
    monkeypatch.setenv("CAIRN_TEST_CLOCK", "true")
    r = runner.invoke(app, ["clock", "advance", "3d", "--data", data])
    assert r.exit_code == 0, r.output
    assert "ahead by 3d" in r.output
    r = runner.invoke(app, ["clock", "advance", "--to", "2000-01-01T00:00:00Z", "--data", data])
    assert r.exit_code == 2 and "only moves forward" in r.output
    r = runner.invoke(app, ["clock", "advance", "3 days", "--data", data])
    assert r.exit_code == 2 and "2h30m" in r.output
    r = runner.invoke(app, ["clock", "advance", "2h30m", "--data", data])
    assert r.exit_code == 0 and "ahead by 3d2h30m" in r.output
    r = runner.invoke(app, ["clock", "show", "--data", data])
    assert r.exit_code == 0 and "ahead by 3d2h30m" in r.output
    s = build_services(Settings(data_dir=tmp_path / "data", test_clock=True))
    try:
        offset = s.clock.now() - s.clock.base.now()  # type: ignore[attr-defined]
        assert round(offset.total_seconds()) == 3 * 86400 + 9000
        log = s.audit.search(s_admin(), action="test_clock.advance")["items"]
        assert [(e["actor_name"], e["details"]["by"]) for e in log] == [
            ("cli", "2h30m"),
            ("cli", "3d"),
        ]
    finally:
        s.close()


def s_admin():  # type: ignore[no-untyped-def]
    from cairn.auth import cli

    return cli()


def test_serve_refuses_a_test_clock_on_a_reachable_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_TEST_CLOCK", "true")
    args = ["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "data")]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "CAIRN_TEST_CLOCK_CONFIRM" in r.output
    monkeypatch.setenv("CAIRN_TEST_CLOCK_CONFIRM", "true")
    r = runner.invoke(app, args)  # confirmed: what is left is the rule for any address
    assert r.exit_code == 2 and "CAIRN_TEST_CLOCK_CONFIRM" not in r.output
    assert "refusing to serve on 0.0.0.0" in r.output
