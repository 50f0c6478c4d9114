"""The integration engine's ports (``cairn.integrations.ports``), implemented over the
services: units of work (as a principal, audited) and the stored channel configs of
``services.channels``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal
from cairn.integrations import ChannelConfig
from cairn.services.channels import load_config
from cairn.services.uow import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services


class UnitsOfWork:
    """``integrations.ports.Transactions`` over the services' units of work."""

    def __init__(self, services: Services) -> None:
        self.s = services

    @contextmanager
    def unit(
        self, *, write: bool = True, principal: Principal | None = None
    ) -> Iterator[UnitOfWork]:
        with unit_of_work(self.s, write=write, principal=principal or SYSTEM) as uow:
            yield uow


class StoredConfigs:
    """``integrations.ports.ChannelConfigs``: the configs of ``services.channels``."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def load(self, conn: sa.Connection, key: str) -> ChannelConfig | None:
        return load_config(self.s, conn, key)
