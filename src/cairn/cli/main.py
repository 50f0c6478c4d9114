"""``cairn``: the app and its commands init, export, import, demo (the others live in
users, admin and server)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import make_url

from cairn.auth import cli, passwords
from cairn.cli.admin import audit_app, clock_app, keys_app
from cairn.cli.common import DataOpt, DbOpt, console, fail, settings
from cairn.cli.records import records_app
from cairn.cli.server import migrate, serve, worker
from cairn.cli.users import token_app, user_app
from cairn.core import CairnError
from cairn.services import build_services
from cairn.templates import load_template

app = typer.Typer(help="Cairn: a no-code customer-management platform.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(clock_app, name="clock")
app.add_typer(records_app, name="records")


@app.command()
def init(
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
    admin_username: str = typer.Option("admin", help="User name of the first administrator"),
    admin_password: str | None = typer.Option(
        None, help="Password of the first administrator (default: generated and printed once)"
    ),
) -> None:
    """Create the data directory and the database (runs the migrations) and, on an empty
    database, the first administrator."""
    s = settings(data, database)
    s.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(s, prepare_calendar=True)
    try:
        console.print(
            f"Initialised Cairn in [bold]{s.data_dir.resolve()}[/bold] ({_safe_url(s.db_url)})"
        )
        if not services.directory.any_user():
            password = _first_admin(services, admin_username, admin_password)
            console.print(f"Created the administrator [bold]{admin_username}[/bold].")
            if admin_password is None:
                console.print("Its password (shown only this once):")
                console.print(password, markup=False, highlight=False)
    except CairnError as e:
        fail(e)
    finally:
        services.close()


def _first_admin(services: object, username: str, password: str | None) -> str:
    pw = password or passwords.generate(username=username)
    services.directory.create_user(  # type: ignore[attr-defined]
        cli(),
        {"username": username, "display_name": "Administrator", "is_admin": True, "password": pw},
    )
    return pw


app.command()(migrate)
app.command()(serve)
app.command()(worker)


@app.command("export")
def export_app(
    app_key: str = typer.Argument(..., metavar="APP"),
    output: Path | None = typer.Option(None, "-o", "--output", help="File (default: stdout)"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Write an app's package (YAML)."""
    services = build_services(settings(data, database), prepare_calendar=True)
    try:
        text = services.packages.export_yaml(app_key)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {output}")
    else:
        sys.stdout.write(text)


@app.command("import")
def import_app(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="FILE"),
    key: str | None = typer.Option(None, help="Import under another app key"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Create an app from a package file (YAML)."""
    services = build_services(settings(data, database), prepare_calendar=True)
    try:
        result = services.packages.import_yaml(file.read_bytes(), key=key)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Imported app [bold]{result['key']}[/bold] with {len(result['tables'])} tables")


@app.command()
def demo(
    data: Path = typer.Option(Path("data/demo"), "--data", help="Data directory for the demo"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    customers: int = typer.Option(300, help="How many demo customers"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load the demo and stop"),
) -> None:
    """Load the example app with demo data (once) and serve it."""
    s = settings(data, None)
    s.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(s, prepare_calendar=True)
    try:
        login = _demo_login(services)
        if not any(a["key"] == "general_aviation" for a in services.apps.list()):
            with console.status("Loading the demo app and its data…"):
                load_template(services, "general_aviation", customers=customers, owner=login[0])
            console.print("Loaded the demo app [bold]general_aviation[/bold] (通航客户管理)")
        else:
            console.print("The demo app is loaded already.")
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    if no_serve:
        console.print(f"Serve it with [bold]cairn serve --data {data}[/bold]; then sign in with:")
    else:
        console.print(
            f"Open [bold]http://{host}:{port}/[/bold] (the web UI; API docs at /docs) and sign in"
            " with:"
        )
    console.print(f"  user name: {login[0]}\n  password:  {login[1]}", markup=False)
    if not no_serve:
        serve(host=host, port=port, data=data, database=None, workers=1, no_worker=False)


def _demo_login(services: object) -> tuple[str, str]:
    """The demo's administrator ``admin`` with a fresh password (printed each run: it is a
    demo on 127.0.0.1, so the password is simply set anew)."""
    directory = services.directory  # type: ignore[attr-defined]
    pw = passwords.generate(username="admin")
    try:
        directory.get_user(cli(), "admin")
    except CairnError:
        _first_admin(services, "admin", pw)
        return "admin", pw
    directory.set_password(cli(), "admin", pw)
    return "admin", pw


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    app()
