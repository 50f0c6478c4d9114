"""Reusing page plans: the same query asked again (a grid refreshed, a dashboard, the next
visitor) skips building and compiling its SELECT.

A plan is keyed on the schema version and the exact inputs, so any schema change (another
process's included: the version is read per unit of work) makes old plans unreachable. Plans
whose SQL depends on the clock (relative dates) or on a caller-supplied condition are never
cached. The cache is a bounded LRU: memory stays flat however many distinct queries come.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar


def plan_key(
    version: int,
    table_id: int,
    *,
    filter: Any,
    sort: Any,
    fields: Sequence[str] | None,
    limit: int,
    cursor: str | None,
) -> str | None:
    """The cache key of a page query, or None when its inputs are not plain JSON."""
    try:
        inputs = json.dumps(
            [filter, sort, list(fields) if fields is not None else None, limit, cursor],
            sort_keys=True,
            separators=(",", ":"),
        )
    except (TypeError, ValueError):  # e.g. dates or decimals passed by Python callers
        return None
    return f"{version}:{table_id}:{inputs}"


class Reusable(Protocol):
    @property
    def reusable(self) -> bool: ...


P = TypeVar("P", bound=Reusable)


class PlanCache:
    """Built queries by key: record pages (``QueryPlan``) and report datasets."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._plans: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None, build: Callable[[], P]) -> P:
        if key is None:
            return build()
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        plan = build()
        if plan.reusable:
            with self._lock:
                self._plans[key] = plan
                if len(self._plans) > self.size:
                    self._plans.popitem(last=False)
        return plan

    def __len__(self) -> int:
        return len(self._plans)
