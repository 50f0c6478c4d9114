"""What the import engine needs from outside, supplied by ``cairn.services``."""

from __future__ import annotations

from typing import Any, Protocol

from cairn.core import Invalid
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

    def tags(self, names: set[str]) -> dict[str, int]:
        """Tag name (exactly) → id of the app's tags named ``names``; with the job's "create
        missing tags" on, the missing ones are created (by a user who manages the app)."""
        ...


class BatchWriter(Protocol):
    def __call__(self, rows: list[tuple[int, list[Any]]], offset: int) -> bool:
        """Write a batch and move the job to ``offset`` in one transaction; False when the
        job was cancelled (nothing of the batch is kept)."""
        ...


class Records(Protocol):
    """The table a batch writes, in the batch's own transaction, as the importing user."""

    def existing(self, key: Field, values: list[Any]) -> dict[Any, tuple[int, int]]:
        """Key value (as stored) → (id, version) of the live records holding it that the
        user may update."""
        ...

    def candidates(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The records the table's One-ID rules match ``item`` with, best score first
        (``record_id``, ``score``)."""
        ...

    def updatable(self, ids: list[int]) -> dict[int, int]:
        """id → version of the live records among ``ids`` the user may update."""
        ...

    def write(self, items: list[dict[str, Any]]) -> Invalid | None:
        """Write ``items`` (an ``id`` and ``version``: an update) through the bulk write
        path; its refusal, with nothing of the items kept (their events and audit entries
        dropped), or None when all were written."""
        ...
