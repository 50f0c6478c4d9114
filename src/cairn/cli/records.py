"""``cairn records import``: records from a CSV or XLSX file, run here with a progress bar
(the same job, checks and error file as an import through the API and the worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cairn.auth import cli
from cairn.cli.common import DataOpt, DbOpt, console, err, fail, open_services
from cairn.core import CairnError

records_app = typer.Typer(help="Records: import from files.", no_args_is_help=True)


@records_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .xlsx file"),
    app: str = typer.Option(..., "--app", help="App key"),
    table: str = typer.Option(..., "--table", help="Table key"),
    mapping: str | None = typer.Option(
        None,
        "--mapping",
        help="A saved mapping's name, or a JSON file of {column header: field key or null} "
        "(default: suggested from the headers)",
    ),
    mode: str = typer.Option(
        "insert", "--mode", help="insert, upsert, update or match (upsert by One-ID rules)"
    ),
    key: str | None = typer.Option(None, "--key", help="The unique field for upsert / update"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing"),
    run_rules: bool = typer.Option(False, "--run-rules", help="Let rules react to the rows"),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX: the sheet (default: first)"),
    errors: Path | None = typer.Option(
        None, "--errors", help="Where the refused rows go (default: FILE.errors.csv)"
    ),
    data: Path | None = DataOpt,
    database: str | None = DbOpt,
) -> None:
    """Import records from FILE; refused rows are written to an error file with a reason."""
    services = open_services(data, database)
    principal = cli()
    try:
        with file.open("rb") as fh:
            job = services.imports.upload(app, table, file.name, fh, principal, sheet=sheet)
        body: dict[str, Any] = {"mode": mode, "key": key, "run_rules": run_rules}
        body.update(_mapping(services, app, table, mapping, job["source"]["header"]))
        job = services.imports.start(
            app, table, job["id"], body, dry_run=dry_run, principal=principal
        )
        _show_mapping(job)
        total = job["total_rows"]
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} / {task.total:,} rows"),
            TimeRemainingColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("dry run" if dry_run else "import", total=total)
            services.import_runs.run_now(
                job["id"], progress=lambda done: bar.update(task, completed=done)
            )
        job = services.imports.get(app, table, job["id"], principal)
        c = job["counts"]
        console.print(
            f"{job['status']}: {job['rows_done']:,} rows, created {c['created']:,}, "
            f"updated {c['updated']:,}, skipped {c['skipped']:,}, refused {c['refused']:,}"
            + (" (dry run: nothing written)" if dry_run else ""),
            soft_wrap=True,
        )
        if job["error"]:
            err.print(f"[red]{job['error']}[/red]")
        if c["refused"]:
            target = errors or file.with_name(file.stem + ".errors.csv")
            phase = "dry_run" if dry_run else "run"
            lines = services.imports.errors_csv(
                app, table, job["id"], phase=phase, principal=principal
            )
            with target.open("w", encoding="utf-8", newline="") as out:
                out.writelines(lines)
            console.print(f"Refused rows with their reasons: {target}", soft_wrap=True)
        if job["status"] != "done":
            raise typer.Exit(1)
    except CairnError as e:
        fail(e)
    finally:
        services.close()


def _mapping(
    services: Any, app: str, table: str, mapping: str | None, header: list[str]
) -> dict[str, Any]:
    if mapping is None:
        return {}
    path = Path(mapping)
    if path.is_file():
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            err.print("[red]error:[/red] the mapping file must hold {header: field key}")
            raise typer.Exit(2)
        return {"mapping": [raw.get(h) for h in header]}
    for m in services.import_mappings.list(app, table, cli()):
        if m["name"] == mapping:
            return {"mapping_id": m["id"]}
    err.print(f"[red]error:[/red] no saved mapping or file named {mapping!r}")
    raise typer.Exit(2)


def _show_mapping(job: dict[str, Any]) -> None:
    t = Table("column", "field")
    for h, k in zip(job["source"]["header"], job["settings"]["mapping"], strict=True):
        t.add_row(h, k or "[dim]skip[/dim]")
    console.print(t)
