"""``cairn audit``, ``cairn keys`` and ``cairn clock``: the audit log, encryption keys
and the test clock."""

from __future__ import annotations

from pathlib import Path

import typer

from cairn.auth import cli
from cairn.cli.common import DataOpt, DbOpt, console, err, fail, open_services, settings
from cairn.core import CairnError
from cairn.core.crypto import KeyRing
from cairn.services import build_services
from cairn.services.keys import rotate

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
keys_app = typer.Typer(
    help="Encryption keys of sensitive fields (CAIRN_ENCRYPTION_KEYS).", no_args_is_help=True
)
clock_app = typer.Typer(
    help="The test clock (CAIRN_TEST_CLOCK=true): show it, move it forward.", no_args_is_help=True
)


@audit_app.command("verify")
def audit_verify(data: Path | None = DataOpt, database: str | None = DbOpt) -> None:
    """Check the audit log's hash chain; reports the first broken link (exit code 1)."""
    services = open_services(data, database)
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
    services = open_services(data, database)
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
