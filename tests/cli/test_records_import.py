"""``cairn records import``: a GBK CSV imported with upsert by key, a dry run first, the
refused rows written next to the file with their reasons."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cairn.cli.main import app
from cairn.core import Settings
from cairn.services import build_services
from factories import make_crm

runner = CliRunner()


def test_dry_run_then_upsert_with_an_error_file(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert runner.invoke(app, ["init", "--data", str(data)]).exit_code == 0
    s = build_services(Settings(data_dir=data))
    make_crm(s)
    s.records.create("crm", "customers", {"name": "旧", "phone": "13800138000"})
    s.close()
    f = tmp_path / "客户.csv"
    f.write_bytes("名称,手机\n新,13800138000\n乙,13900139000\n丙,bad\n".encode("gbk"))
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"名称": "name", "手机": "phone"}), encoding="utf-8")
    args = ["records", "import", str(f), "--app", "crm", "--table", "customers"]
    args += ["--mode", "upsert", "--key", "phone", "--mapping", str(mapping), "--data", str(data)]
    r = runner.invoke(app, [*args, "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "created 1, updated 1, skipped 0, refused 1 (dry run: nothing written)" in r.output
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "created 1, updated 1, skipped 0, refused 1" in r.output
    errors = (tmp_path / "客户.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[0] == "名称,手机,行号,错误原因"
    assert errors[1].startswith("丙,bad,4,")
    s = build_services(Settings(data_dir=data))
    try:
        names = sorted(r["name"] for r in s.records.query("crm", "customers")["items"])
    finally:
        s.close()
    assert names == ["乙", "新"]


def test_an_unknown_mapping_name_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "d"
    runner.invoke(app, ["init", "--data", str(data)])
    s = build_services(Settings(data_dir=data))
    make_crm(s)
    s.close()
    f = tmp_path / "c.csv"
    f.write_text("客户名称\n甲\n", encoding="utf-8")
    args = ["records", "import", str(f), "--app", "crm", "--table", "customers"]
    r = runner.invoke(app, [*args, "--mapping", "nope", "--data", str(data)])
    assert r.exit_code == 2
