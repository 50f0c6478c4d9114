"""A small real schema for formula tests: records (``rec``) with typed columns and their
linked orders (``orders``, many per record) and visits (``visits``, many per record), with the Resolver/SqlSource/Record adapters a
form engine would supply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from cairn.formula import (
    BOOLEAN,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    DictRecord,
    Environment,
    FieldInfo,
    SqlEnvironment,
    SqlRelated,
    Type,
)

FIELDS: dict[str, tuple[str, Type]] = {
    # key: (name, type)
    "n1": ("数量", NUMBER),
    "n2": ("单价", NUMBER),
    "t1": ("名称", TEXT),
    "t2": ("级别", TEXT),
    "b1": ("已付", BOOLEAN),
    "d1": ("签约日期", DATE),
    "d2": ("到期日期", DATE),
    "dt1": ("创建时间", DATETIME),
}
ORDER_FIELDS: dict[str, tuple[str, Type]] = {
    "amount": ("金额", NUMBER),
    "note": ("备注", TEXT),
    "day": ("日期", DATE),
    "at": ("时间", DATETIME),
    "paid": ("已付款", BOOLEAN),
}
VISIT_FIELDS: dict[str, tuple[str, Type]] = {"day": ("日期", DATE), "kind": ("方式", TEXT)}
RELATIONS = {"orders": ("订单", ORDER_FIELDS), "visits": ("拜访", VISIT_FIELDS)}

metadata = sa.MetaData()
rec = sa.Table(
    "rec",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n1", sa.Numeric(20, 4)),
    sa.Column("n2", sa.Float),
    sa.Column("t1", sa.Text),
    sa.Column("t2", sa.Text),
    sa.Column("b1", sa.Boolean),
    sa.Column("d1", sa.Date),
    sa.Column("d2", sa.Date),
    sa.Column("dt1", sa.DateTime),
)
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rec_id", sa.Integer, sa.ForeignKey("rec.id"), index=True),
    sa.Column("amount", sa.Numeric(20, 2)),
    sa.Column("note", sa.Text),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime),
    sa.Column("paid", sa.Boolean),
)
visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rec_id", sa.Integer, index=True),
    sa.Column("day", sa.Date),
    sa.Column("kind", sa.Text),
)
calendar = sa.Table(
    "calendar_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("is_workday", sa.Boolean, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False, index=True),
)


class FieldsResolver:
    def __init__(self, fields: Mapping[str, tuple[str, Type]], relations: bool = True) -> None:
        self.fields = fields
        self.relations = relations

    def field(self, name: str) -> FieldInfo | None:
        for key, (label, _) in RELATIONS.items():
            if self.relations and name in (key, label):
                return FieldInfo(key, Type("list", "record"), relation=True, multiple=True)
        for key, (label, t) in self.fields.items():
            if name in (key, label):
                return FieldInfo(key, t)
        return None

    def target(self, relation_key: str) -> FieldsResolver | None:
        if relation_key not in RELATIONS:
            return None
        return FieldsResolver(RELATIONS[relation_key][1], relations=False)


RESOLVER = FieldsResolver(FIELDS)


@dataclass
class TableSource:
    table: Any

    def column(self, key: str) -> Any:
        return self.table.c[key]

    def related(self, relation_key: str) -> SqlRelated:
        o = (orders if relation_key == "orders" else visits).alias()
        t = self.table

        def select(*cols: Any) -> sa.Select[Any]:
            return sa.select(*cols).select_from(o).where(o.c.rec_id == t.c.id).correlate(t)

        return SqlRelated(TableSource(o), select, o.c.id)


SOURCE = TableSource(rec)


def python_record(
    row: Mapping[str, Any],
    order_rows: Sequence[Mapping[str, Any]],
    visit_rows: Sequence[Mapping[str, Any]] = (),
) -> DictRecord:
    return DictRecord(
        dict(row),
        {
            "orders": [DictRecord(dict(o)) for o in order_rows],
            "visits": [DictRecord(dict(v)) for v in visit_rows],
        },
    )


def sql_env(engine: sa.Engine, env: Environment) -> SqlEnvironment:
    return SqlEnvironment.of(env, engine.dialect.name, calendar)


ENV = Environment(today=date(2026, 1, 5), now=datetime(2026, 1, 5, 17, 0, 0), utc_offset=8 * 3600)


def env_with_calendar() -> Environment:
    return Environment(ENV.today, ENV.now, ENV.utc_offset, _calendar())


def as_decimal(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(str(x))


_CAL: list[Any] = []


def _calendar() -> Any:
    from cairn.core.workcalendar import WorkCalendar

    if not _CAL:
        _CAL.append(WorkCalendar(2024, 2027))
    return _CAL[0]


def setup_database(url: str) -> sa.Engine:
    """An engine on ``url`` with the schema and the working calendar table filled."""
    from cairn.store.engine import create_engine

    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            calendar.insert(),
            [{"day": r.day, "is_workday": r.is_workday, "seq": r.seq} for r in _calendar().rows()],
        )
    return engine


def run_both(engine: sa.Engine, text: str, env: Environment) -> list[tuple[Any, Any]]:
    """[(python value, sql value)] for every record in the table (errors as ErrorValue)."""
    from cairn.formula import ErrorValue, Formula

    f = Formula.compile(text, RESOLVER)
    c = f.to_sql(SOURCE, sql_env(engine, env))
    cols = [c.value.label("v")]
    if c.error is not None:
        cols.append(c.error.label("e"))
    with engine.connect() as conn:
        got = conn.execute(sa.select(rec.c.id, *cols).order_by(rec.c.id)).all()
        rows = [dict(r._mapping) for r in conn.execute(sa.select(rec).order_by(rec.c.id))]
        ords = [dict(r._mapping) for r in conn.execute(sa.select(orders).order_by(orders.c.id))]
        vis = [dict(r._mapping) for r in conn.execute(sa.select(visits).order_by(visits.c.id))]
    out = []
    for row, g in zip(rows, got, strict=True):
        record = python_record(
            row,
            [o for o in ords if o["rec_id"] == row["id"]],
            [v for v in vis if v["rec_id"] == row["id"]],
        )
        py = f.evaluate(record, env)
        sql = ErrorValue(g.e) if c.error is not None and g.e is not None else g.v
        out.append((py, sql))
    return out
