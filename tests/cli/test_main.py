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


def test_init_creates_the_first_admin_once(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from cairn.api import create_app

    data = tmp_path / "data"
    r = runner.invoke(app, ["init", "--data", str(data)])
    assert r.exit_code == 0, r.output
    password = r.output.strip().splitlines()[-1]
    r2 = runner.invoke(app, ["init", "--data", str(data)])
    assert r2.exit_code == 0 and "administrator" not in r2.output
    services = build_services(Settings(data_dir=data))
    try:
        with TestClient(create_app(services)) as c:
            login = {"username": "admin", "password": password}
            assert c.post("/api/v1/auth/login", json=login).status_code == 200
    finally:
        services.close()


def test_init_with_given_password_and_user_commands(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    r = runner.invoke(app, ["init", "--data", data, "--admin-password", "Given-pass-123"])
    assert r.exit_code == 0 and "Given-pass-123" not in r.output
    r = runner.invoke(app, ["user", "create", "bob", "--name", "Bob", "--data", data])
    assert r.exit_code == 0, r.output
    bob_pw = r.output.strip().splitlines()[-1]
    r = runner.invoke(app, ["user", "list", "--data", data])
    assert "admin" in r.output and "bob" in r.output
    services = build_services(Settings(data_dir=tmp_path / "data"))
    try:
        assert services.auth.login("bob", bob_pw).user["username"] == "bob"
        r = runner.invoke(app, ["user", "reset-password", "bob", "--data", data])
        new_pw = r.output.strip().splitlines()[-1]
        assert services.auth.login("bob", new_pw).user["display_name"] == "Bob"
        r = runner.invoke(app, ["user", "disable", "bob", "--data", data])
        assert r.exit_code == 0
        from cairn.core import Unauthenticated

        try:
            services.auth.login("bob", new_pw)
            raise AssertionError("a disabled user signed in")
        except Unauthenticated:
            pass
    finally:
        services.close()


def test_token_create_prints_the_token_last(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from cairn.api import create_app

    data = str(tmp_path / "data")
    runner.invoke(app, ["init", "--data", data, "--admin-password", "Given-pass-123"])
    r = runner.invoke(app, ["token", "create", "--user", "admin", "--name", "erp", "--data", data])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("cairn_") and " " not in token
    services = build_services(Settings(data_dir=tmp_path / "data"))
    try:
        with TestClient(create_app(services)) as c:
            me = c.get("/api/v1/auth/me", headers={"authorization": f"Bearer {token}"})
            assert me.json()["user"]["username"] == "admin"
    finally:
        services.close()


def test_audit_verify_reports_the_first_broken_link(tmp_path: Path) -> None:
    import sqlalchemy as sa

    data = str(tmp_path / "data")
    runner.invoke(app, ["init", "--data", data, "--admin-password", "Given-pass-123"])
    runner.invoke(app, ["user", "create", "bob", "--data", data])
    runner.invoke(app, ["user", "create", "carol", "--data", data])
    r = runner.invoke(app, ["audit", "verify", "--data", data])
    assert r.exit_code == 0 and "intact (3 entries)" in r.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'cairn.db'}")
    with engine.begin() as c:
        c.execute(sa.text("update audit_log set actor_name = 'mallory' where id = 2"))
    engine.dispose()
    r = runner.invoke(app, ["audit", "verify", "--data", data])
    assert r.exit_code == 1
    assert "broken at entry 2" in r.output


def test_keys_generate_and_rotate(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    data = tmp_path / "data"
    r = runner.invoke(app, ["keys", "generate", "k1"])
    assert r.exit_code == 0 and r.output.startswith("k1:")
    k1 = r.output.strip()
    k2 = runner.invoke(app, ["keys", "generate", "k2"]).output.strip()
    services = build_services(Settings(data_dir=data, encryption_keys=k1))
    make_crm(services)
    services.schema.update_field("crm", "customers", "phone", {"options": {"sensitive": True}})
    for i in range(3):
        services.records.create("crm", "customers", {"name": f"c{i}", "phone": f"1380013800{i}"})
    services.close()
    # Without keys the command says what is missing.
    monkeypatch.delenv("CAIRN_ENCRYPTION_KEYS", raising=False)
    r = runner.invoke(app, ["keys", "rotate", "--data", str(data)])
    assert r.exit_code == 2 and "CAIRN_ENCRYPTION_KEYS" in r.output
    monkeypatch.setenv("CAIRN_ENCRYPTION_KEYS", f"{k2},{k1}")
    r = runner.invoke(app, ["keys", "rotate", "--data", str(data), "--batch", "2"])
    assert r.exit_code == 0, r.output
    assert "crm.customers.phone: 3 values, 3 re-encrypted, 0 re-indexed" in r.output
    r = runner.invoke(app, ["keys", "rotate", "--data", str(data)])
    assert "3 values: 0 re-encrypted, 0 re-indexed" in r.output
    services = build_services(Settings(data_dir=data, encryption_keys=f"{k2},{k1}"))
    try:
        with services.engine.connect() as conn:
            s = services.catalogs.get(conn).table("crm", "customers")
            col = s.by_key["phone"].column_name
            tokens = conn.execute(sa.text(f"SELECT {col} FROM t_{s.id}")).scalars().all()
        assert all(t.startswith("enc1:k2:") for t in tokens)
        found = services.records.query(
            "crm", "customers", filter={"field": "phone", "op": "eq", "value": "13800138001"}
        )
        assert [x["name"] for x in found["items"]] == ["c1"]
    finally:
        services.close()
