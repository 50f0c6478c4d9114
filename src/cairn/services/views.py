"""Saved views of a table's grid: a name, the filter, the sort, the columns and their widths.

A member's views are their own; a shared view is seen by everyone who reads the table, and only
those who manage the table (or the app) share, change or delete it. A view is checked as the
records query would check it: fields the viewer may not filter or sort on are refused, so a
shared view never shows a reader more than they may see (their row scope still applies)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt
from pydantic import Field as PField

from cairn.auth import Principal, manages_table
from cairn.auth.guard import guard
from cairn.core import Conflict, Forbidden, Invalid, NotFound
from cairn.query import build_select
from cairn.reports import parse_model
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import views as store

MAX_VIEWS_PER_USER = 100


class ColumnPref(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = PField(min_length=1, max_length=63)
    visible: StrictBool = True


class ViewConfig(BaseModel):
    """What a view restores in the grid."""

    model_config = ConfigDict(extra="forbid")
    filter: Any = None
    sort: list[dict[str, Any]] | None = PField(default=None, max_length=8)
    columns: list[ColumnPref] = PField(default_factory=list, max_length=500)
    widths: dict[str, StrictInt] = PField(default_factory=dict, max_length=500)


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = PField(min_length=1, max_length=100)
    shared: StrictBool = False
    config: ViewConfig = PField(default_factory=ViewConfig)


class ViewPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: StrictInt
    name: str | None = PField(default=None, min_length=1, max_length=100)
    shared: StrictBool | None = None
    config: ViewConfig | None = None


def _public(row: Any, principal: Principal, manages: bool) -> dict[str, Any]:
    mine = row.owner_id == principal.user_id
    return {
        "id": row.id,
        "name": row.name,
        "shared": bool(row.shared),
        "owner_id": row.owner_id,
        "mine": mine,
        # A shared view is changed by those who manage the table; one's own by its owner.
        "editable": manages if row.shared else mine,
        "config": row.config,
        "version": row.version,
        "updated_at": row.updated_at.isoformat() + "Z",
    }


class ViewService:
    def __init__(self, services: Any) -> None:
        self.s = services

    def _table(self, uow: UnitOfWork, app: str, table: str) -> TableSchema:
        s = uow.catalog.table(app, table)
        guard(uow).require(s, "read")
        return s

    def _check(self, uow: UnitOfWork, s: TableSchema, config: ViewConfig) -> dict[str, Any]:
        """The config as stored, once the query it makes has been checked like a records query
        (fields known and allowed, operators fit the field types, values of the right kind)."""
        g = guard(uow)
        g.check_names(s, config.filter, config.sort)
        try:
            build_select(
                uow.catalog,
                s,
                filter=config.filter,
                sort=config.sort,
                limit=1,
                clock=self.s.clock,
            )
        except Invalid as e:
            raise e.under("config") from None
        visible = {f.key for f in g.visible(s, s.fields)}
        for i, c in enumerate(config.columns):
            if c.key not in visible:
                raise Invalid.on(f"config.columns.{i}.key", "field.unknown", key=c.key)
        for key, width in config.widths.items():
            if key not in visible:
                raise Invalid.on(f"config.widths.{key}", "field.unknown", key=key)
            if width < 40:
                raise Invalid.on(f"config.widths.{key}", "value.min", min=40)
            if width > 2000:
                raise Invalid.on(f"config.widths.{key}", "value.max", max=2000)
        return config.model_dump(mode="json")

    def list(self, app: str, table: str, principal: Principal) -> dict[str, Any]:
        """The views this reader may use: their own, then the shared ones, each by name."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = self._table(uow, app, table)
            rows = store.for_reader(uow.conn, s.id, principal.user_id)
            manages = manages_table(uow.conn, uow.principal, s)
            return {
                "items": [_public(r, principal, manages) for r in rows],
                "can_share": manages and principal.user_id is not None,
            }

    def create(self, app: str, table: str, body: Any, principal: Principal) -> dict[str, Any]:
        d = parse_model(ViewIn, body)
        if principal.user_id is None:
            raise Forbidden("auth.forbidden")
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._table(uow, app, table)
            manages = manages_table(uow.conn, uow.principal, s)
            if d.shared and not manages:
                raise Forbidden("view.share_denied")
            config = self._check(uow, s, d.config)
            if store.count_owned(uow.conn, principal.user_id) >= MAX_VIEWS_PER_USER:
                raise Invalid.on("name", "view.too_many", max=MAX_VIEWS_PER_USER)
            row = store.insert(
                uow.conn,
                uow.now,
                table_id=s.id,
                owner_id=principal.user_id,
                name=d.name.strip() or d.name,
                shared=d.shared,
                config=config,
            )
            return _public(row, principal, manages)

    def _row(self, uow: UnitOfWork, s: TableSchema, view_id: int) -> Any:
        row = store.get(uow.conn, s.id, view_id)
        p = uow.principal
        if row is None or not (row.shared or row.owner_id == p.user_id):
            raise NotFound("view.not_found", id=view_id)
        return row

    def _may_change(self, uow: UnitOfWork, s: TableSchema, row: Any) -> bool:
        manages = manages_table(uow.conn, uow.principal, s)
        if row.shared and not manages:
            raise Forbidden("view.share_denied")
        if not row.shared and row.owner_id != uow.principal.user_id:
            raise NotFound("view.not_found", id=row.id)
        return manages

    def update(
        self, app: str, table: str, view_id: int, body: Any, principal: Principal
    ) -> dict[str, Any]:
        d = parse_model(ViewPatch, body)
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._table(uow, app, table)
            row = self._row(uow, s, view_id)
            manages = self._may_change(uow, s, row)
            if d.shared and not manages:
                raise Forbidden("view.share_denied")
            values: dict[str, Any] = {}
            if d.name is not None:
                values["name"] = d.name
            if d.shared is not None:
                values["shared"] = d.shared
            if d.config is not None:
                values["config"] = self._check(uow, s, d.config)
            fresh = store.update(uow.conn, view_id, d.version, uow.now, **values)
            if fresh is None:
                raise Conflict("view.stale", expected=d.version, actual=row.version)
            return _public(fresh, principal, manages)

    def delete(self, app: str, table: str, view_id: int, principal: Principal) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._table(uow, app, table)
            row = self._row(uow, s, view_id)
            self._may_change(uow, s, row)
            store.delete(uow.conn, view_id)
