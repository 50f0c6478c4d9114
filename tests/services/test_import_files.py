"""The sweep of import files (on SQLite and PostgreSQL, with the test clock): an ended
job's file and refused rows are kept ``import_keep_days``, then removed (the job stays, it
cannot be started again); an upload never started goes with its job after
``import_upload_hours``; a job started again meanwhile keeps its file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cairn.auth import cli
from cairn.core import FrozenClock, Invalid
from cairn.services import Services
from cairn.worker.imports import SWEEP_SECONDS, ImportPoller
from support.imports import csv_file, run, upload


def path_of(services: Services, job_id: int) -> Path:
    from cairn.store import imports as store

    with services.engine.connect() as conn:
        row = store.job(conn, job_id)
    assert row is not None
    return Path(row.file_path)


def test_files_are_kept_for_days_then_swept(services: Services, frozen_clock: FrozenClock) -> None:
    services.settings.import_keep_days = 7
    done = upload(services, csv_file("甲,not a phone,,,,"))
    run(services, done)
    fresh = upload(services, csv_file("乙,,,,,"))
    done_file, fresh_file = path_of(services, done), path_of(services, fresh)
    frozen_clock.advance(timedelta(hours=23))
    assert services.import_files.sweep() == 0
    frozen_clock.advance(timedelta(hours=2))  # the upload is 25 h old, never started
    assert services.import_files.sweep() == 1
    assert not fresh_file.exists() and done_file.exists()
    assert [j["id"] for j in services.imports.list("crm", "customers", cli())] == [done]
    assert services.imports.get("crm", "customers", done)["errors"]  # the error file is there
    frozen_clock.advance(timedelta(days=6))
    assert services.import_files.sweep() == 1
    assert not done_file.exists()
    job = services.imports.get("crm", "customers", done)
    assert job["file_removed"] is True and job["errors"] == []
    assert job["counts"]["refused"] == 1  # the history stays
    with pytest.raises(Invalid) as e:
        services.imports.start("crm", "customers", done, {}, dry_run=True, principal=cli())
    assert [m.key for m in e.value.field_errors["import"]] == ["import.expired"]
    with pytest.raises(Invalid):
        list(services.imports.errors_csv("crm", "customers", done, principal=cli()))
    assert services.import_files.sweep() == 0


def test_a_job_started_again_keeps_its_file(services: Services, frozen_clock: FrozenClock) -> None:
    job_id = upload(services, csv_file("甲,,,,,"))
    run(services, job_id, dry=True)
    frozen_clock.advance(timedelta(days=8))
    run(services, job_id)  # the run after an old dry run: finished just now
    assert services.import_files.sweep() == 0
    assert path_of(services, job_id).exists()


def test_the_worker_sweeps_once_an_hour(services: Services, frozen_clock: FrozenClock) -> None:
    job_id = upload(services, csv_file("甲,,,,,"))
    file = path_of(services, job_id)
    frozen_clock.advance(timedelta(days=2))
    poller = ImportPoller(services)
    assert poller.sweep_when_due(now=1000.0) is True
    assert not file.exists()
    assert services.imports.list("crm", "customers", cli()) == []
    assert poller.sweep_when_due(now=1000.0 + SWEEP_SECONDS - 1) is False
    assert poller.sweep_when_due(now=1000.0 + SWEEP_SECONDS) is True
