"""The one MetaData every system table is on, and the column types the tables share."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Integer primary keys that autoincrement on both databases.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def id_column() -> sa.Column:
    """The ``id`` primary key of a table whose rows are numbered."""
    return sa.Column("id", ID, primary_key=True, autoincrement=True)
