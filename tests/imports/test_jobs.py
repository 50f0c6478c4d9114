"""The rules of an import job apart from its storage: start, progress, finish, expiry,
One-ID match decisions, the forms a name is looked up in."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from cairn.core import Invalid
from cairn.imports import expiry, jobs, matching
from cairn.imports.failure import describe
from cairn.imports.naming import variants
from cairn.imports.rows import Built

T0 = datetime(2026, 12, 7, 8, 0, 0)


def job(**kw: Any) -> SimpleNamespace:
    base = {
        "status": "running",
        "started_at": T0,
        "finished_at": None,
        "offset": 600,
        "started_offset": 100,
        "total_rows": 1100,
        "cancel_requested": False,
        "file_path": "/x.csv",
    }
    return SimpleNamespace(**{**base, **kw})


def test_progress_counts_this_runs_rows_only() -> None:
    assert jobs.progress(job(), T0 + timedelta(seconds=10)) == (50.0, 10.0)
    done = job(status="done", finished_at=T0 + timedelta(seconds=5))
    assert jobs.progress(done, T0 + timedelta(hours=1)) == (100.0, None)
    assert jobs.progress(job(status="queued"), T0 + timedelta(seconds=10)) == (None, None)
    assert jobs.progress(job(offset=100), T0 + timedelta(seconds=10)) == (None, None)


def test_startable_and_final_status() -> None:
    jobs.startable(job(status="done"))
    with pytest.raises(Invalid):
        jobs.startable(job(status="running"))
    with pytest.raises(Invalid):
        jobs.startable(job(status="failed", file_path=""))
    assert jobs.final_status(job(cancel_requested=True), "done") == "cancelled"
    assert jobs.final_status(job(cancel_requested=True), "failed") == "failed"
    assert jobs.final_status(job(), "done") == "done"


def test_actions_of_each_mode() -> None:
    assert jobs.actions_of("insert") == ("create",)
    assert jobs.actions_of("update") == ("update",)
    assert jobs.actions_of("upsert") == jobs.actions_of(matching.MODE) == ("create", "update")


def test_expiry_cutoffs() -> None:
    assert expiry.cutoffs(T0, 7, 24) == (T0 - timedelta(days=7), T0 - timedelta(hours=24))
    expiry.unlink("")  # no file: nothing to do


def test_match_decisions() -> None:
    rows = [Built(i, [], item={"n": i}) for i in range(4)]
    found = {
        0: [{"record_id": 7, "score": 90}, {"record_id": 8, "score": 80}],
        1: [{"record_id": 7, "score": 90}, {"record_id": 9, "score": 90}],
        2: [],
        3: [{"record_id": 5, "score": 95}],  # the user may not update record 5
    }
    out = matching.matched(
        rows, lambda item: found[item["n"]], lambda ids: {i: 1 for i in ids if i != 5}
    )
    assert [(b.row_no, hit) for b, hit, _ in out] == [(0, (7, 1)), (1, None), (2, None), (3, None)]
    why = out[1][2]
    assert why is not None and why.key == "import.match_ambiguous"
    assert why.params == {"candidates": "#7, #9"}


def test_name_variants_and_failure_text() -> None:
    assert variants({" ＡＣＭＥ "}) == {"ＡＣＭＥ", "ａｃｍｅ", "ACME", "acme"}
    assert variants({"  "}) == set()
    assert "ValueError: bad" in describe(ValueError("bad"), "en")
