"""Use cases that combine the engines inside one transaction, and the composition root."""

from cairn.services.context import Services, build_services
from cairn.services.uow import UnitOfWork, unit_of_work

__all__ = ["Services", "UnitOfWork", "build_services", "unit_of_work"]
