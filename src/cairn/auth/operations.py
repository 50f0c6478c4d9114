"""What may be done, by name: the table actions a role grants, the row scopes and field access."""

from __future__ import annotations

#: Table actions; ``manage`` is the table's schema (fields, settings) and its permissions.
ACTIONS = ("create", "read", "update", "delete", "export", "manage")
#: Row scopes for read, update, delete and export.
ROW_SCOPES = ("all", "own", "department", "department_tree", "filter")
#: Field access short of full: ordered from most to least restrictive.
FIELD_ACCESS = ("hidden", "masked", "read_only")
#: Actions limited by the row scope.
SCOPED = frozenset({"read", "update", "delete", "export"})
#: The placeholder a row-scope filter may use for the signed-in user's id.
ME = "$me"
