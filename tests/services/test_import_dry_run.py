"""A dry run counts what the run will do, also when a key repeats across batches (each
dry-run batch is rolled back, so the record of row 2 is not there when row 9,000 comes)."""

from __future__ import annotations

import pytest

from cairn.services import Services
from support.imports import csv_file, run, upload


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("upsert", {"created": 2, "updated": 2, "skipped": 0, "refused": 0}),
        ("insert", {"created": 2, "updated": 0, "skipped": 2, "refused": 0}),
    ],
)
def test_a_key_repeated_in_a_later_batch_counts_as_the_run_does(
    services: Services, mode: str, expected: dict[str, int]
) -> None:
    services.settings.import_batch_rows = 2
    rows = (
        "甲,13800138000,,,,",
        "乙,13900139000,,,,",
        "甲二,138 0013 8000,,,,",  # batch 2: the key of row 2, written differently
        "丙,,,,,",  # no key: a new record
        "乙二,13900139000,,,,",  # batch 3
    )
    dry = run(services, upload(services, csv_file(*rows)), dry=True, mode=mode, key="phone")
    assert dry["status"] == "done"
    expected = {**expected, "created": expected["created"] + 1}
    assert dry["counts"] == expected
    outcomes = {r["row"]: r["outcome"] for r in dry["report"]["dry_run"]["rows"]}
    again = "updated" if mode == "upsert" else "skipped"
    assert outcomes == {2: "created", 3: "created", 4: again, 5: "created", 6: again}
    real = run(services, upload(services, csv_file(*rows)), mode=mode, key="phone")
    assert real["counts"] == dry["counts"]
