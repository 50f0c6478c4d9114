"""``cairn user`` and ``cairn token``: users and API tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cairn.auth import cli, passwords
from cairn.cli.common import DataOpt, DbOpt, console, fail, open_services
from cairn.core import CairnError

user_app = typer.Typer(help="Users: create, list, disable, reset passwords.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)


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
    services = open_services(data, database)
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
    services = open_services(data, database)
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
    services = open_services(data, database)
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
    services = open_services(data, database)
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
    services = open_services(data, database)
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
    services = open_services(data, database)
    try:
        services.auth.revoke_token(cli(), token_id)
    except CairnError as e:
        fail(e)
    finally:
        services.close()
    console.print(f"Revoked token {token_id}.")
