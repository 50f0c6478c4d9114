from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from cairn.cli.main import app
from cairn.core import Settings
from cairn.services import build_services
from cairn.store.engine import alembic_config
from factories import make_crm

runner = CliRunner()


def test_init_migrate_export_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = runner.invoke(app, ["init", "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert (data / "cairn.db").exists()
    r = runner.invoke(app, ["migrate", "--data", str(data)])
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert r.exit_code == 0 and f"revision {head}" in r.output
    services = build_services(Settings(data_dir=data))
    make_crm(services)
    services.close()
    out = tmp_path / "crm.yaml"
    r = runner.invoke(app, ["export", "crm", "--data", str(data), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "customers" in out.read_text(encoding="utf-8")
    r = runner.invoke(app, ["import", str(out), "--key", "crm2", "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert "crm2" in r.output


def test_import_reports_bad_package(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("app: [", encoding="utf-8")
    r = runner.invoke(app, ["import", str(bad), "--data", str(tmp_path / "d")])
    assert r.exit_code == 2
    assert "not valid YAML" in r.output


def test_export_unknown_app(tmp_path: Path) -> None:
    r = runner.invoke(app, ["export", "nope", "--data", str(tmp_path / "d")])
    assert r.exit_code == 2
    assert "There is no app 'nope'" in r.output


def test_serve_refuses_open_addresses(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d")])
    assert r.exit_code == 2
    assert "127.0.0.1 only" in r.output
