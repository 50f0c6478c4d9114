"""What one batch of an import did: the counts, the per-row sample the wizard shows, the
refused rows for the error file; and how a job's report keeps the first rows' sample."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.imports.rows import Built

#: Per-row outcomes kept in a job's report (the first rows: what the wizard shows).
REPORT_ROWS = 200


@dataclass
class Outcome:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "skipped": 0, "refused": 0}
    )
    rows: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, list[Any], str]] = field(default_factory=list)
    #: The key values of the rows created (a dry run remembers them for its later batches).
    created_keys: list[Any] = field(default_factory=list)
    #: Per-row entries are kept up to this file row (the report's sample, the file's first
    #: rows); later rows are counted only, so a million-row job builds no entry per row.
    sample_to: int = -1

    @classmethod
    def sampling(cls, rows: list[tuple[int, list[Any]]], sampled: int) -> Outcome:
        """The outcome of a batch of ``rows`` when the report already holds ``sampled``
        rows: it keeps entries for the rows the sample still lacks."""
        wanted = REPORT_ROWS - sampled
        return cls(sample_to=rows[min(wanted, len(rows)) - 1][0] if wanted > 0 and rows else -1)

    def add(self, b: Built, outcome: str, reason: str | None = None) -> None:
        self.counts[outcome] += 1
        if outcome == "created" and b.key is not None:
            self.created_keys.append(b.key)
        if outcome == "refused":
            self.refused.append((b.row_no, [jsonable(c) for c in b.cells], reason or ""))
        if b.row_no > self.sample_to:
            return
        entry: dict[str, Any] = {"row": b.row_no, "outcome": outcome}
        if reason:
            entry["reason"] = reason
        self.rows.append(entry)

    def in_file_order(self) -> Outcome:
        """The sample and the error file in the file's order."""
        self.rows.sort(key=lambda r: r["row"])
        self.refused.sort(key=lambda r: r[0])
        return self


class Report:
    """A job's report of one phase: the first ``REPORT_ROWS`` rows' outcomes, carried on
    from the batches already committed (a resumed job goes on with its sample)."""

    def __init__(self, report: dict[str, Any] | None, phase: str) -> None:
        self.phase = phase
        self.report = dict(report or {})
        self.sample: list[dict[str, Any]] = list(self.report.get(phase, {}).get("rows", []))

    def take(self, out: Outcome) -> dict[str, Any] | None:
        """The report with ``out``'s sample added, or None when the sample was full."""
        if len(self.sample) >= REPORT_ROWS:
            return None
        self.sample.extend(out.rows[: REPORT_ROWS - len(self.sample)])
        self.report[self.phase] = {"rows": self.sample}
        return dict(self.report)


def groups(rows: list[Built]) -> list[list[Built]]:
    """The rows in runs without a repeated key (a key twice in a batch: the second row is
    written after the first, as an update of it)."""
    out: list[list[Built]] = []
    current: list[Built] = []
    seen: set[Any] = set()
    for b in rows:
        if b.key is not None and b.key in seen:
            out.append(current)
            current, seen = [], set()
        current.append(b)
        if b.key is not None:
            seen.add(b.key)
    if current:
        out.append(current)
    return out


def jsonable(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)
