from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from cairn.store import create_engine
from cairn.store.bulk import COPY_MIN_ROWS, insert_many


def test_insert_many_stores_exactly_what_core_stores(db_url: str) -> None:
    engine = create_engine(db_url)
    md = sa.MetaData()
    cols = lambda: [  # noqa: E731
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("d", sa.Date),
        sa.Column("ts", sa.DateTime),
        sa.Column("n", sa.Numeric(18, 2)),
        sa.Column("b", sa.Boolean),
        sa.Column("j", sa.JSON),
        sa.Column("t", sa.Text),
    ]
    fast, core = sa.Table("fast", md, *cols()), sa.Table("core", md, *cols())
    md.create_all(engine)
    rows = [
        {
            "id": 1,
            "d": date(2026, 1, 5),
            "ts": datetime(2026, 1, 5, 1, 2, 3),
            "n": Decimal("12.50"),
            "b": True,
            "j": {"a": [1, "中"]},
            "t": "x'); drop table fast;--",
        },
        {"id": 2, "d": None, "ts": None, "n": None, "b": False, "j": {"b": None}, "t": None},
        {
            "id": 3,
            "d": date(987, 3, 4),
            "ts": datetime(987, 3, 4, 23, 59, 59, 999999),
            "n": Decimal("-0.01"),
            "b": True,
            "j": [],
            "t": "",
        },
    ]
    # Many rows too: PostgreSQL loads a batch of COPY_MIN_ROWS or more with COPY.
    tricky = 'tab\there, new\nline, back\\slash, quote\' "dq", \\N, 中文'
    rows += [
        {**rows[i % 3], "id": 10 + i, "t": f"{tricky} {i}", "j": {"k": [i, tricky]}}
        for i in range(COPY_MIN_ROWS + 5)
    ]
    with engine.begin() as c:
        insert_many(c, fast, rows)
        c.execute(sa.insert(core), rows)
    with engine.connect() as c:
        got_fast = c.execute(sa.select(fast).order_by(fast.c.id)).all()
        got_core = c.execute(sa.select(core).order_by(core.c.id)).all()
        if engine.dialect.name == "sqlite":
            raw = (
                "select typeof(d), typeof(ts), typeof(n), typeof(b), typeof(j) from {} order by id"
            )
            assert (
                c.exec_driver_sql(raw.format("fast")).all()
                == c.exec_driver_sql(raw.format("core")).all()
            )
            text = "select d, ts from {} order by id"  # the stored text itself, not just values
            assert (
                c.exec_driver_sql(text.format("fast")).all()
                == c.exec_driver_sql(text.format("core")).all()
            )
    engine.dispose()
    assert got_fast == got_core
    assert got_fast[0]._mapping["t"] == "x'); drop table fast;--"
    assert got_fast[-1]._mapping["t"].startswith(tricky)


def test_a_constant_column_is_stored_in_every_row(db_url: str) -> None:
    engine = create_engine(db_url)
    md = sa.MetaData()
    t = sa.Table(
        "const", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("ts", sa.DateTime)
    )
    md.create_all(engine)
    now = datetime(2026, 1, 5, 9, 0, 0, 123)
    with engine.begin() as c:
        insert_many(c, t, [{"id": i, "ts": now} for i in range(1, 4)])
    with engine.connect() as c:
        assert c.execute(sa.select(t.c.ts).order_by(t.c.id)).scalars().all() == [now] * 3
    engine.dispose()
