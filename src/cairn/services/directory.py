"""Users, departments and roles: the administration use cases (admins only, audited), in
``services/users.py``, ``services/departments.py`` and ``services/roles.py``; their SQL in
``auth/users.py``, ``auth/departments.py`` and ``auth/roles.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.auth import require_admin
from cairn.services.departments import DepartmentService
from cairn.services.roles import RoleService
from cairn.services.users import UserService

if TYPE_CHECKING:
    from cairn.services.context import Services


class DirectoryService(UserService, DepartmentService, RoleService):
    """Every use case of users, departments and roles (``services.directory``)."""

    def __init__(self, services: Services) -> None:
        UserService.__init__(self, services)


__all__ = ["DirectoryService", "require_admin"]
