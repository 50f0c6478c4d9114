"""A batch's outcome and a job's report sample; the rows of a batch cut where a key repeats."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.imports.outcome import REPORT_ROWS, Outcome, Report, groups, jsonable
from cairn.imports.rows import Built


def built(row_no: int, key: object = None) -> Built:
    return Built(row_no, [row_no, None], key=key)


@settings(max_examples=80)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=30))
def test_groups_keep_the_order_and_no_key_twice_in_a_group(keys: list[int | None]) -> None:
    rows = [built(i, k) for i, k in enumerate(keys)]
    out = groups(rows)
    assert [b for g in out for b in g] == rows
    for g in out:
        present = [b.key for b in g if b.key is not None]
        assert len(present) == len(set(present))
    # a new group starts only where its first row's key was in the group before
    for before, after in pairwise(out):
        assert after[0].key in {b.key for b in before}


def test_an_outcome_counts_samples_and_keeps_the_refused_rows() -> None:
    out = Outcome.sampling([(3, []), (4, []), (5, [])], REPORT_ROWS - 2)
    assert out.sample_to == 4  # two rows missing from the sample
    out.add(built(5, "k5"), "created")
    out.add(built(4), "refused", "why")
    out.add(built(3, "k3"), "created")
    out.in_file_order()
    assert out.counts == {"created": 2, "updated": 0, "skipped": 0, "refused": 1}
    assert out.rows == [
        {"row": 3, "outcome": "created"},
        {"row": 4, "outcome": "refused", "reason": "why"},
    ]
    assert out.refused == [(4, [4, None], "why")]
    assert out.created_keys == ["k5", "k3"]
    assert Outcome.sampling([(1, [])], REPORT_ROWS).sample_to == -1


def test_a_report_fills_its_sample_once_and_keeps_the_other_phase() -> None:
    report = Report({"dry_run": {"rows": [{"row": 1}]}, "run": {"rows": []}}, "run")
    out = Outcome(rows=[{"row": r} for r in range(2, REPORT_ROWS + 10)])
    taken = report.take(out)
    assert taken is not None and len(taken["run"]["rows"]) == REPORT_ROWS
    assert taken["dry_run"] == {"rows": [{"row": 1}]}
    assert report.take(Outcome(rows=[{"row": 999}])) is None


def test_jsonable_cells() -> None:
    assert [jsonable(v) for v in (None, "a", 1, 1.5, True)] == [None, "a", 1, 1.5, True]
    assert jsonable(date(2026, 12, 7)) == "2026-12-07"
