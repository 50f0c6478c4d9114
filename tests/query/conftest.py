"""Builders for query tests: a real record schema on SQLite and PostgreSQL (the shared
``db_url`` fixture), made without the services layer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cairn.core import FrozenClock
from cairn.meta import FieldContext, builtin_field_types
from cairn.store import ddl, system
from cairn.store.catalog import Catalog, TableSchema, load_catalog
from cairn.store.engine import create_engine

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty database: SQLite in a tmp file, then PostgreSQL (the shared
    ``db_url`` fixture: skipped when PostgreSQL is unreachable unless CI=true)."""
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


class World:
    """Makes apps, tables, fields and records straight in the database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.types = builtin_field_types()
        self.ctx = FieldContext(timezone=TZ)
        self.clock = FrozenClock(NOW)
        self.now = datetime(2026, 1, 1, 0, 0)
        system.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(system.schema_state).values(id=1, version=1))
            self.app_id = conn.execute(
                sa.insert(system.apps)
                .values(key="crm", name="CRM", created_at=self.now, updated_at=self.now)
                .returning(system.apps.c.id)
            ).scalar_one()
        self.table_ids: dict[str, int] = {}
        self.catalog: Catalog = self.reload()

    def reload(self) -> Catalog:
        with self.engine.connect() as conn:
            self.catalog = load_catalog(conn, self.types, self.ctx, 1)
        return self.catalog

    def schema(self, table: str) -> TableSchema:
        return self.catalog.schema(self.table_ids[table])

    def table(self, key: str) -> int:
        with self.engine.begin() as conn:
            tid = conn.execute(
                sa.insert(system.tables)
                .values(
                    app_id=self.app_id,
                    key=key,
                    name=key,
                    created_at=self.now,
                    updated_at=self.now,
                )
                .returning(system.tables.c.id)
            ).scalar_one()
            ddl.create_record_table(conn, tid)
        self.table_ids[key] = tid
        return tid

    def _insert_field(
        self, conn: sa.Connection, table: str, key: str, type_: str, options: dict
    ) -> int:
        return conn.execute(
            sa.insert(system.fields)
            .values(
                table_id=self.table_ids[table],
                key=key,
                name=key,
                type=type_,
                options=options,
                created_at=self.now,
                updated_at=self.now,
            )
            .returning(system.fields.c.id)
        ).scalar_one()

    def field(self, table: str, key: str, type_: str, **options: Any) -> int:
        ft = self.types.get(type_)
        opts = ft.validate_options(options) if type_ not in ("relation",) else options
        with self.engine.begin() as conn:
            fid = self._insert_field(conn, table, key, type_, opts)
            if ft.stored:
                from cairn.meta import Field

                f = Field(
                    id=fid,
                    table_id=self.table_ids[table],
                    key=key,
                    name=key,
                    type=type_,
                    options=opts,
                )
                ddl.add_column(conn, self.table_ids[table], f, ft)
        self.reload()
        return fid

    def relation(
        self,
        table: str,
        key: str,
        target: str,
        *,
        multiple: bool = True,
        reverse_key: str,
        reverse_multiple: bool = True,
    ) -> tuple[int, int]:
        with self.engine.begin() as conn:
            fid = self._insert_field(
                conn,
                table,
                key,
                "relation",
                {"target_table_id": self.table_ids[target], "multiple": multiple},
            )
            rid = self._insert_field(
                conn,
                target,
                reverse_key,
                "relation",
                {
                    "target_table_id": self.table_ids[table],
                    "multiple": reverse_multiple,
                    "reverse_of": fid,
                },
            )
            conn.execute(
                sa.update(system.fields)
                .where(system.fields.c.id == fid)
                .values(
                    options={
                        "target_table_id": self.table_ids[target],
                        "multiple": multiple,
                        "reverse_field_id": rid,
                    }
                )
            )
            ddl.create_junction(conn, fid, not multiple, not reverse_multiple)
        self.reload()
        return fid, rid

    def insert(self, table: str, **values: Any) -> int:
        s = self.schema(table)
        row: dict[str, Any] = {
            "created_at": values.pop("created_at", self.now),
            "updated_at": self.now,
            "version": 1,
        }
        links: dict[int, list[int]] = {}
        for key, value in values.items():
            f = s.by_key[key]
            if f.type == "relation":
                links[f.id] = s.coercers[f.id](value)
            else:
                row[f.column_name] = s.coercers[f.id](value)
        with self.engine.begin() as conn:
            rid = conn.execute(
                sa.insert(s.sa_table).values(**row).returning(s.sa_table.c.id)
            ).scalar_one()
            for fid, targets in links.items():
                self._link(conn, s.by_id[fid], rid, targets)
        return rid

    def link(self, table: str, key: str, record_id: int, targets: list[int]) -> None:
        f = self.schema(table).by_key[key]
        with self.engine.begin() as conn:
            self._link(conn, f, record_id, targets)

    def _link(self, conn: sa.Connection, f: Any, rid: int, targets: list[int]) -> None:
        from cairn.meta import junction_sides

        j = self.catalog.junction(f)
        this, other = junction_sides(f)
        for t in targets:
            conn.execute(sa.insert(j).values({this: rid, other: t}))

    def delete(self, table: str, record_id: int) -> None:
        t = self.schema(table).sa_table
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == record_id).values(deleted_at=self.now))

    def rows(self, plan_select: sa.Select) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(plan_select))

    def choice_id(self, table: str, key: str, value: str) -> str:
        f = self.schema(table).by_key[key]
        return next(c["id"] for c in f.options["choices"] if c["value"] == value)


@pytest.fixture
def world(engine: sa.Engine) -> World:
    return World(engine)


def crm(w: World) -> World:
    """customers ← flights (each flight has one customer; a customer has many flights)."""
    w.table("customers")
    w.field("customers", "name", "text")
    w.field(
        "customers",
        "tier",
        "single_select",
        choices=[{"value": "VIP"}, {"value": "Gold"}, {"value": "Basic"}],
    )
    w.field("customers", "flight_hours", "number", decimals=1)
    w.field("customers", "visits", "number")
    w.field("customers", "active", "boolean")
    w.field(
        "customers",
        "tags",
        "multi_select",
        choices=[{"value": "jet"}, {"value": "heli"}, {"value": "charter"}],
    )
    w.field("customers", "joined", "date")
    w.field("customers", "last_seen", "datetime")
    w.field("customers", "email", "email")
    w.field("customers", "owner", "user")
    w.table("flights")
    w.field("flights", "code", "text")
    w.field("flights", "hours", "number", decimals=1)
    w.field("flights", "flown_on", "date")
    w.relation(
        "flights",
        "customer",
        "customers",
        multiple=False,
        reverse_key="flights",
        reverse_multiple=True,
    )
    rel = w.schema("customers").by_key["flights"].id
    hours = w.schema("flights").by_key["hours"].id
    code = w.schema("flights").by_key["code"].id
    flown = w.schema("flights").by_key["flown_on"].id
    cust_rel = w.schema("flights").by_key["customer"].id
    name = w.schema("customers").by_key["name"].id
    w.field("customers", "flight_count", "rollup", relation_field_id=rel, function="count")
    w.field(
        "customers",
        "total_hours",
        "rollup",
        relation_field_id=rel,
        target_field_id=hours,
        function="sum",
    )
    w.field(
        "customers",
        "avg_hours",
        "rollup",
        relation_field_id=rel,
        target_field_id=hours,
        function="avg",
    )
    w.field(
        "customers",
        "last_flight",
        "rollup",
        relation_field_id=rel,
        target_field_id=flown,
        function="max",
    )
    w.field("customers", "codes", "lookup", relation_field_id=rel, target_field_id=code)
    w.field("flights", "customer_name", "lookup", relation_field_id=cust_rel, target_field_id=name)
    return w


@pytest.fixture
def crm_world(world: World) -> World:
    return crm(world)
