"""``cairn``: init, migrate, serve, export, import, demo."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer
import uvicorn
from rich.console import Console
from sqlalchemy import make_url

from cairn.auth import cli, passwords
from cairn.core import CairnError, Settings, render
from cairn.core.crypto import KeyRing
from cairn.services import build_services
from cairn.services.keys import rotate
from cairn.services.testclock import check_bind
from cairn.store import create_engine, current_revision, workdays
from cairn.store import migrate as run_migrations
from cairn.templates import load_template

app = typer.Typer(help="Cairn: a no-code customer-management platform.", no_args_is_help=True)
user_app = typer.Typer(help="Users: create, list, disable, reset passwords.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Encryption keys of sensitive fields (CAIRN_ENCRYPTION_KEYS).", no_args_is_help=True
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
clock_app = typer.Typer(
    help="The test clock (CAIRN_TEST_CLOCK=true): show it, move it forward.", no_args_is_help=True
)
app.add_typer(clock_app, name="clock")
console = Console()
err = Console(stderr=True)


def settings(data: Path | None = None, database: str | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if data is not None:
        overrides["data_dir"] = data
    if database is not None:
        overrides["database_url"] = database
    return Settings(**overrides)  # type: ignore[arg-type]


def fail(e: CairnError) -> None:
    err.print(f"[red]error:[/red] {render(e.message, 'en')}")
    for loc, messages in getattr(e, "field_errors", {}).items():
        for m in messages:
            err.print(f"  {loc}: {render(m, 'en')}")
    raise typer.Exit(2)


DataOpt = typer.Option(None, "--data", help="Data directory (env CAIRN_DATA_DIR)")
DbOpt = typer.Option(None, "--database", help="Database URL (env CAIRN_DATABASE_URL)")


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


def _services(data: Path | None, database: str | None):  # type: ignore[no-untyped-def]

    return build_services(settings(data, database), prepare_calendar=True)


@user_app.command("create")
def user_create(
    username: str = typer.Argument(...),
    display_name: str | None = typer.Option(None, "--name", help="Display name"),
    email: str | None = typer.Option(None),
    mobile: str | None = typer.Option(None),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator"),
    password: str | None = typer.Option(None, help="Default: generated and printed once"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Create a user; prints the generated password once unless --password is given."""
    services = _services(data, database)
    pw = password or passwords.generate(username=username)
    try:
        body = {"username": username, "display_name": display_name, "password": pw}
        body.update(email=email, mobile=mobile, is_admin=admin)
        user = services.directory.create_user(cli(), body)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Created user [bold]{user['username']}[/bold] (id {user['id']}).")
    if password is None:
        console.print("Password (shown only this once):")
        console.print(pw, markup=False, highlight=False)


@user_app.command("list")
def user_list(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """List the users."""
    services = _services(data, database)
    try:
        users = services.directory.list_users(cli())["items"]
    finally:
        services.close()
    for u in users:
        flags = " admin" if u["is_admin"] else ""
        console.print(
            f"{u['id']:>5}  {u['username']:<24} {u['status']:<9}{flags}  {u['display_name']}",
            markup=False,
            highlight=False,
        )


@user_app.command("disable")
def user_disable(
    username: str = typer.Argument(...), data: Path | None = DataOpt, database: str | None = DbOpt
) -> None:
    """Disable a user: they can no longer sign in, and their sessions end."""
    services = _services(data, database)
    try:
        services.directory.update_user(cli(), username, {"status": "disabled"})
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Disabled {username}.", markup=False)


@user_app.command("reset-password")
def user_reset_password(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, help="Default: generated and printed once"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Set a new password (ends the user's sessions)."""
    services = _services(data, database)
    try:
        pw = services.directory.set_password(cli(), username, password)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"New password set for {username}.", markup=False)
    if password is None:
        console.print(pw, markup=False, highlight=False)


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="User name"),
    name: str | None = typer.Option(None, "--name", help="A label for the token"),
    days: int | None = typer.Option(None, help="Lifetime in days (0: no expiry)"),
    read_only: bool = typer.Option(False, "--read-only", help="The token may only read"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Create an API token; the token alone is printed on the last line (shown only once)."""
    services = _services(data, database)
    try:
        public, token = services.auth.create_token(cli(), user, name, days, read_only)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    expires = public["expires_at"] or "never"
    console.print(f"API token {public['id']} for {user} (expires {expires}):", markup=False)
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(...), data: Path | None = DataOpt, database: str | None = DbOpt
) -> None:
    """Revoke an API token by id."""
    services = _services(data, database)
    try:
        services.auth.revoke_token(cli(), token_id)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Revoked token {token_id}.")


@audit_app.command("verify")
def audit_verify(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """Check the audit log's hash chain; reports the first broken link (exit code 1)."""
    services = _services(data, database)
    try:
        v = services.audit.verify()
    finally:
        services.close()
    if v.ok:
        console.print(f"The audit log is intact ({v.checked} entries).")
        return
    err.print(
        f"[red]The audit log is broken at entry {v.broken_id}[/red] ({v.reason}); "
        f"{v.checked} entries before it are intact."
    )
    raise typer.Exit(1)


def _clock_services(data: Path | None, database: str | None):  # type: ignore[no-untyped-def]
    s = settings(data, database)
    if not s.test_clock:
        err.print(
            "[red]error:[/red] there is no test clock: set CAIRN_TEST_CLOCK=true "
            "(as for the instance whose clock this is)"
        )
        raise typer.Exit(2)

    return build_services(s, prepare_calendar=True)


def _print_clock(status: dict[str, object]) -> None:
    console.print(
        f"Test clock: {status['now']} (real time {status['real_now']}, ahead by "
        f"{status['offset']})",
        markup=False,
    )


@clock_app.command("show")
def clock_show(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """Print the instance's time, real time and the offset between them."""
    services = _clock_services(data, database)
    try:
        _print_clock(services.test_clock.status(cli()))
    except CairnError as e:
        fail(e)
    finally:
        services.close()


@clock_app.command("advance")
def clock_advance(
    duration: str | None = typer.Argument(
        None, help="How far: 3d, 2h30m, 1w (w, d, h, m, s; largest unit first)"
    ),
    to: str | None = typer.Option(
        None, "--to", help="Or to this later instant (ISO 8601 with a time zone)"
    ),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Move the test clock forward (never back); audit-logged. A running worker notices
    within a second or two and runs what came due meanwhile, once, as after real downtime."""
    body = {"by": duration} if duration is not None else {}
    if to is not None:
        body["to"] = to
    services = _clock_services(data, database)
    try:
        status = services.test_clock.advance(cli(), body)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Moved the test clock from {status['previous']}.", markup=False)
    _print_clock(status)


@keys_app.command("generate")
def keys_generate(key_id: str = typer.Argument("k1", help="The new key's id")) -> None:
    """Print a new key entry to put first in CAIRN_ENCRYPTION_KEYS."""
    console.print(f"{key_id}:{KeyRing.generate_key()}")


@keys_app.command("rotate")
def keys_rotate(
    batch: int = typer.Option(500, min=1, max=10_000, help="Rows per transaction"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Re-encrypt every sensitive value under the first key of CAIRN_ENCRYPTION_KEYS and
    refresh its blind index. Each batch commits; stopped, it can simply be run again."""
    services = _services(data, database)
    try:
        report = rotate(
            services,
            batch=batch,
            progress=lambda name, c: err.print(f"  {name}: {c['scanned']} scanned"),
        )
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    for name, c in report.per_field.items():
        console.print(
            f"{name}: {c['scanned']} values, {c['reencrypted']} re-encrypted, "
            f"{c['reindexed']} re-indexed, {c['skipped']} changed meanwhile (run again)"
        )
    console.print(
        f"{report.fields} sensitive fields, {report.scanned} values: "
        f"{report.reencrypted} re-encrypted, {report.reindexed} re-indexed; "
        f"{report.channels} channel configs re-encrypted."
    )


@app.command()
def migrate(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """Bring the system tables up to date (Alembic) and fill the working calendar's days."""
    s = settings(data, database)
    engine = create_engine(s.db_url)
    run_migrations(engine)
    workdays.prepare(engine)
    console.print(f"Database at revision {current_revision(engine)}")
    engine.dispose()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
    workers: int = typer.Option(1, help="API processes"),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Do not start a background worker beside the API"
    ),
) -> None:
    """Serve the API (and the web UI once built) on http://HOST:PORT, with a background worker
    (a child process) unless --no-worker."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    s = settings(data, database)

    refusal = check_bind(s, host, loopback)
    if refusal is not None:
        err.print(f"[red]error:[/red] {refusal}.")
        raise typer.Exit(2)
    if not loopback:
        err.print(
            f"[red]error:[/red] refusing to serve on {host}: without TLS in front, sign-in cookies "
            "would travel in clear, so Cairn listens on 127.0.0.1 only."
        )
        raise typer.Exit(2)
    if data is not None:
        os.environ["CAIRN_DATA_DIR"] = str(data)
    if database is not None:
        os.environ["CAIRN_DATABASE_URL"] = database

    build_services(s, prepare_calendar=True).close()  # migrate once before the workers start
    console.print(
        f"Cairn is serving on [bold]http://{host}:{port}[/bold]  (web UI: /, API docs: /docs)"
    )
    if s.test_clock:
        console.print(
            "[yellow]Test clock on[/yellow] (CAIRN_TEST_CLOCK): administrators may move this "
            "instance's time forward (/api/v1/test-clock, cairn clock advance)."
        )
    child = None if no_worker else start_worker_process()
    try:
        uvicorn.run(
            "cairn.api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            factory=False,
        )
    finally:
        if child is not None:
            stop_worker_process(child)


def start_worker_process() -> subprocess.Popen[bytes]:
    """The worker as a child process (Huey's consumer wants a main thread of its own); it
    reads the same CAIRN_* environment."""
    args = [sys.executable, "-m", "cairn.worker", "--parent", str(os.getpid())]
    return subprocess.Popen(args)  # noqa: S603 - our own interpreter and module


def stop_worker_process(child: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGINT)  # graceful: running jobs finish
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@app.command()
def worker(
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
    threads: int = typer.Option(2, help="Job threads"),
    periodic: bool = typer.Option(
        True, "--periodic/--no-periodic", help="Run periodic jobs (exactly one worker should)"
    ),
) -> None:
    """Run the background worker: record events to the engines, and the job queue. Stop it
    with Ctrl-C (or SIGTERM): running jobs finish first."""
    if data is not None:
        os.environ["CAIRN_DATA_DIR"] = str(data)
    if database is not None:
        os.environ["CAIRN_DATABASE_URL"] = database
    args = [sys.executable, "-m", "cairn.worker", "--threads", str(threads)]
    if not periodic:
        args.append("--no-periodic")
    os.execv(sys.executable, args)  # noqa: S606 - the worker replaces this process


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
                load_template(services, "general_aviation", customers=customers)
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
