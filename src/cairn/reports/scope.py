"""What the caller of a dataset query may see: a row condition and the hidden fields per table
(``Scope``; ``EVERYTHING``: no limit), and the check that refuses a filter naming a hidden field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from cairn.query.tree import Condition, FormulaNode, Group, Node, Not
from cairn.reports.refs import Context, unreadable
from cairn.store.catalog import TableSchema


@dataclass(frozen=True)
class Scope:
    """What the caller may see, per table id: a row condition over the table's record table
    (``build_select``'s ``extra_where``) and the keys of the fields hidden from them."""

    where: Mapping[int, sa.ColumnElement[bool]] = field(default_factory=dict)
    hidden: Mapping[int, Collection[str]] = field(default_factory=dict)

    def where_for(self, schema: TableSchema) -> sa.ColumnElement[bool] | None:
        return self.where.get(schema.id)

    def hidden_for(self, schema: TableSchema) -> Collection[str]:
        return self.hidden.get(schema.id, ())

    def masked_for(self, schema: TableSchema) -> Collection[str]:
        """The keys among ``hidden_for`` the caller sees masked (they know the field)."""
        return ()

    def related_hidden_for(self, schema: TableSchema) -> Collection[str]:
        """Keys of a linked table's fields that may not be read through a relation."""
        return self.hidden_for(schema)

    def check_formula(self, schema: TableSchema, text: str, loc: str) -> None:
        """Refuse a filter formula that uses what the caller may not filter on."""


EVERYTHING = Scope()


def check_hidden(node: Node | None, schema: TableSchema, scope: Scope, ctx: Context) -> None:
    """A filter naming a hidden field is refused as if the field did not exist (a masked one:
    as masked); a filter formula is checked by the scope."""
    if node is None:
        return
    if isinstance(node, Group):
        for c in node.children:
            check_hidden(c, schema, scope, ctx)
    elif isinstance(node, Not):
        check_hidden(node.child, schema, scope, ctx)
    elif isinstance(node, FormulaNode):
        scope.check_formula(schema, node.text, node.loc)
    elif isinstance(node, Condition) and node.field.partition(".")[0] in ctx.hidden:
        raise unreadable(ctx, node.field.partition(".")[0], f"{node.loc}.field")
