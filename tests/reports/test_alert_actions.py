"""The alert checker's pure parts: the check log's action entries (a retry replaces the
earlier try), the record a crossing's ``create_record`` made, errors as the log keeps them
(checks and actions themselves run through the API in tests/api/test_alerts_api.py)."""

from __future__ import annotations

from cairn.core import Invalid
from cairn.core.actionlog import entry, merge
from cairn.reports.alert_actions import created_record, shown_number
from cairn.reports.alerts import error_text, number


def test_a_retry_replaces_the_earlier_try_of_the_same_action() -> None:
    failed = entry(1, "notify", "failed", 12.345, error="down")
    assert failed == {"index": 1, "type": "notify", "status": "failed", "ms": 12.3, "error": "down"}
    first = entry(0, "webhook", "ok", 1.0, {"deliveries": []})
    entries = merge([failed], first)
    assert [e["index"] for e in entries] == [0, 1]
    retried = merge(entries, entry(1, "notify", "ok", 2.0))
    assert [(e["index"], e["status"]) for e in retried] == [(0, "ok"), (1, "ok")]


def test_the_record_a_crossing_created_is_the_last_one_that_succeeded() -> None:
    entries = [
        entry(0, "create_record", "ok", 1, {"records": [7]}),
        entry(1, "create_record", "failed", 1, error="x"),
        entry(2, "create_record", "ok", 1, {"records": []}),
        entry(3, "notify", "ok", 1, {"records": [9]}),
    ]
    assert created_record(entries) == 7
    assert created_record([]) is None


def test_errors_are_kept_in_english_with_their_fields() -> None:
    text = error_text(Invalid.on("kpi.key", "report.kpi_unknown", kpi="nope"))
    assert "kpi.key:" in text and "nope" in text
    assert error_text(ValueError("boom")) == "ValueError: boom"
    assert len(error_text(ValueError("x" * 5000))) == 2000


def test_only_numbers_are_values() -> None:
    assert number(3) == 3.0
    assert number("2.5") == 2.5
    assert number(True) is None
    assert number("abc") is None
    assert number(None) is None


def test_a_whole_number_reads_without_a_decimal_in_messages() -> None:
    assert shown_number(4.0) == 4 and str(shown_number(4.0)) == "4"
    assert shown_number(82.5) == 82.5
    assert shown_number(3) == 3
    assert shown_number(None) is None
