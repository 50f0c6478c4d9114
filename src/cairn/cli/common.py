"""What every ``cairn`` command shares: the consoles, settings, options and error output."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cairn.core import CairnError, Settings, render
from cairn.services import build_services

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


def open_services(data: Path | None, database: str | None):  # type: ignore[no-untyped-def]
    return build_services(settings(data, database), prepare_calendar=True)
