"""What the import engine needs from outside, supplied by ``cairn.services``."""

from __future__ import annotations

from typing import Any, Protocol

from cairn.meta import Field


class Lookups(Protocol):
    """Names to ids, as the importing user may read them, once per batch and column."""

    def users(self, names: set[str]) -> dict[str, dict[int, str]]:
        """Folded user name (login or display name) → the active users' ids and names."""
        ...

    def records(self, field: Field, texts: set[str]) -> dict[str, dict[int, str]]:
        """Folded text → the ids (and the text they hold) of the records of ``field``'s
        related table whose display field or a unique field holds it, compared ignoring
        case, width and surrounding spaces."""
        ...


class BatchWriter(Protocol):
    def __call__(self, rows: list[tuple[int, list[Any]]], offset: int) -> bool:
        """Write a batch and move the job to ``offset`` in one transaction; False when the
        job was cancelled (nothing of the batch is kept)."""
        ...
