"""The log of actions a run took (a rule's run, an alert's check): one entry per action, in
action order, a retried action's entry replacing its earlier try."""

from __future__ import annotations

from typing import Any


def entry(
    index: int,
    type_: str,
    status: str,
    ms: float,
    result: Any = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One action's entry: its position, type, status and time, with a result or an error."""
    out: dict[str, Any] = {"index": index, "type": type_, "status": status, "ms": round(ms, 1)}
    if result is not None:
        out["result"] = result
    if error is not None:
        out["error"] = error
    return out


def merge(entries: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries with ``new`` in place of an earlier try of the same action."""
    out = [e for e in entries if e.get("index") != new["index"]]
    out.append(new)
    out.sort(key=lambda e: e["index"])
    return out
