"""Identity and permissions: users, departments, roles, sessions, API tokens, the audit log.

Other layers use: ``Principal`` (who acts), ``SYSTEM``, ``access.for_table`` (what a principal
may do with a table's records), ``audit`` (the hash-chained log) and ``departments.manager_of``.
"""

from cairn.auth import access, apitokens, audit, departments, masking, passwords, sessions, users
from cairn.auth.access import (
    for_table,
    known_role_keys,
    managed_apps,
    manages_app,
    manages_table,
    role_keys,
)
from cairn.auth.audit import Entry
from cairn.auth.departments import manager_of
from cairn.auth.principal import SYSTEM, Principal, cli, require_admin
from cairn.auth.table_access import TableAccess

__all__ = [
    "SYSTEM",
    "Entry",
    "Principal",
    "TableAccess",
    "access",
    "apitokens",
    "audit",
    "cli",
    "departments",
    "for_table",
    "known_role_keys",
    "managed_apps",
    "manager_of",
    "manages_app",
    "manages_table",
    "masking",
    "passwords",
    "require_admin",
    "role_keys",
    "sessions",
    "users",
]
