"""What the form engine needs from the rest of the platform (``services`` supplies it:
``services/form_ports.py``): units of work, and a record written as a user through the one
write path (permissions, the form's linkage rules, history, rules, processes, the outbox).

The engine reads its own definitions (form variants, publications, spent challenges) and the
users and permissions of ``cairn.auth`` itself; the record write is the one effect it asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cairn.auth.ports import Work as GuardedWork

if TYPE_CHECKING:
    from cairn.auth import Principal


class Work(GuardedWork, Protocol):
    """One unit of work (``services.uow.UnitOfWork``): its connection, its time, the catalogue
    and the principal it acts for (what the permission layer reads of it), the acting user."""

    @property
    def now(self) -> datetime: ...

    @property
    def actor_id(self) -> int | None: ...

    def viewed_as(self, principal: Principal) -> Work:
        """This transaction as ``principal`` sees it (reads as another user: a publication's
        owner)."""
        ...


class Transactions(Protocol):
    def unit(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> AbstractContextManager[Work]:
        """One transaction of its own, as ``principal`` (the system if None)."""
        ...


class RecordWrites(Protocol):
    def create(
        self,
        app: str,
        table: str,
        values: dict[str, Any],
        *,
        principal: Principal,
        form: str | None,
        event_meta: dict[str, Any],
        before_commit: Callable[[Work], None],
    ) -> None:
        """Create one record as ``principal`` through the normal write path, obeying form
        ``form``'s linkage rules (None: the table's default form); ``event_meta`` goes into its
        events, ``before_commit`` runs in its transaction. Refusals raise as that path's do
        (``Invalid`` at the values' keys, ``Forbidden``, ``NotFound``)."""
        ...
