"""Customers across apps: screen pop (find a customer by an identity key) and the 360° summary.

Where a lookup searches: in each app the caller sees, the app's customer table (its customer
360° view's table) when it has one, then the tables one relation away from it (a VIN is kept
on the customer's aircraft, an FFP number on their membership): what is found there leads
through the relation to its customer(s), each said to be found ``via`` that record; an app
without a customer view offers every table with an identity-key field of the kind asked. Only key fields the caller may see are searched (a
masked field is searched, its value shown masked: a call centre agent finds the caller without
reading the whole number), and only records in their read scope are found.

The summary shows what the caller may read: hidden fields and relations are left out, masked
ones are masked, a section counts the related records they may read."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.core.idkeys import KINDS
from cairn.identity.keys import KeyField, key_fields
from cairn.insight.interactions import KEY_ALIASES
from cairn.meta import Field, FieldTypeRegistry, junction_sides
from cairn.query.by_ids import read_by_ids
from cairn.query.filters import compile_filter
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, app_settings, system
from cairn.store import interactions as store_interactions
from cairn.store.customer_view import EMPTY, KEY, current

if TYPE_CHECKING:
    from cairn.services.context import Services

#: The most records a lookup returns (a number shared by more is no screen pop).
MAX_MATCHES = 20
#: A section counts its related records up to this many (then says "1,000+").
MAX_COUNT = 1000
#: The query parameters naming a kind of key.
LOOKUP_KEYS = ("phone", "email", "vin", "id_number", "ffp")


def kind_of(key: str) -> str | None:
    k = key.strip().lower()
    k = KEY_ALIASES.get(k, k)
    return k if k in KINDS else None


def searched_fields(
    uow: UnitOfWork, types: FieldTypeRegistry, s: TableSchema, key: str
) -> list[KeyField] | None:
    """The key fields of ``s`` a search by ``key`` (a kind, or a key field's own key) reads,
    among those the principal sees; None when ``key`` names neither."""
    visible = guard(uow).visible(s, s.fields)
    fields = key_fields(visible, types)
    kind = kind_of(key)
    if kind is not None:
        return [kf for kf in fields if kf.kind == kind]
    by_key = [kf for kf in fields if kf.field.key == key]
    return by_key or None


def find_by_key(
    uow: UnitOfWork, types: FieldTypeRegistry, s: TableSchema, key: str, value: str
) -> list[int] | None:
    """The live records of ``s`` in the principal's read scope whose key ``key`` equals
    ``value`` once normalised (``13800138000`` finds ``+86 138-0013-8000``), by id, at most
    ``MAX_MATCHES``; None when ``key`` is no key of the table."""
    where = key_where(uow, types, s, key, value)
    if where is None:
        return None
    if where is False:
        return []
    t = s.sa_table
    q = sa.select(t.c.id).where(where)
    return list(uow.conn.execute(q.order_by(t.c.id).limit(MAX_MATCHES)).scalars())


def key_where(
    uow: UnitOfWork, types: FieldTypeRegistry, s: TableSchema, key: str, value: str
) -> Any:
    """The condition on ``s`` of ``find_by_key`` (live, in the principal's read scope, the
    key equal to the value): None when ``key`` is no key of the table, False when the value
    can be no such key."""
    fields = searched_fields(uow, types, s, key)
    if fields is None:
        return None
    conds = []
    for kf in fields:
        canon = kf.normalise(value)
        if canon is not None:
            conds.append({"field": kf.field.key, "op": "eq", "value": canon})
    if not conds:
        return False
    t = s.sa_table
    where = sa.and_(
        t.c.deleted_at.is_(None), compile_filter(uow.catalog, s, {"or": conds}, uow.clock)
    )
    scope = guard(uow).row_where(s, "read")
    return where if scope is None else sa.and_(where, scope)


def customer_view(uow: UnitOfWork, app_key: str) -> dict[str, Any]:
    app = uow.catalog.app(app_key)
    return current(uow.catalog, app_key, app_settings.get(uow.conn, app.id, KEY) or EMPTY)


class CustomerService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def lookup(
        self, key: str, value: str | None, principal: Principal, app: str | None = None
    ) -> dict[str, Any]:
        """The customers whose identity key ``key`` is ``value``, as summaries."""
        if kind_of(key) is None:
            raise Invalid.on("key", "lookup.key", keys=", ".join(LOOKUP_KEYS))
        if value is None or not value.strip():
            raise Invalid.on("value", "lookup.value")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            apps = [uow.catalog.app(app)] if app else uow.catalog.live_apps()
            g = guard(uow)
            matches: list[dict[str, Any]] = []
            for a in apps:
                view = customer_view(uow, a.key)
                if view["table"]:
                    tables = [uow.catalog.table(a.key, view["table"])]
                else:
                    tables = uow.catalog.tables_of(a.id)
                found: set[tuple[int, int]] = set()
                for s in tables:
                    if not g.access(s).can("read"):
                        continue
                    ids = find_by_key(uow, self.s.field_types, s, key, value) or []
                    for rid in ids[: MAX_MATCHES - len(matches)]:
                        summary = self._summary(uow, s, rid, view)
                        if summary is not None:
                            matches.append(summary)
                            found.add((s.id, rid))
                    if len(matches) >= MAX_MATCHES:
                        return {"matches": matches}
                if not view["table"] or not g.access(tables[0]).can("read"):
                    continue
                customer = tables[0]
                for rid, via in self._related(uow, customer, key, value):
                    if (customer.id, rid) in found:
                        continue
                    summary = self._summary(uow, customer, rid, view)
                    if summary is None:
                        continue
                    found.add((customer.id, rid))
                    matches.append({**summary, "via": via})
                    if len(matches) >= MAX_MATCHES:
                        return {"matches": matches}
            return {"matches": matches}

    def _related(
        self, uow: UnitOfWork, customer: TableSchema, key: str, value: str
    ) -> list[tuple[int, dict[str, Any]]]:
        """(customer id, the related record that led to it) for the records of the tables
        one relation away from the customer table whose key ``key`` is ``value``: the
        relations the principal sees (on either side), the tables they may read, the
        records in their read scope; at most ``MAX_MATCHES`` customers, by relation order."""
        g = guard(uow)
        cat = uow.catalog
        hops: list[tuple[Field, TableSchema, bool]] = []  # (field, other table, on customer)
        for f in g.visible(customer, customer.fields):
            if f.is_relation:
                hops.append((f, cat.schema(int(f.options["target_table_id"])), True))
        for t in cat.tables_of(customer.app.id):
            if t.id == customer.id:
                continue
            for f in g.visible(t, t.fields):
                if f.is_relation and int(f.options["target_table_id"]) == customer.id:
                    hops.append((f, t, False))
        out: dict[int, dict[str, Any]] = {}
        junctions: set[str] = set()
        for f, other, on_customer in hops:
            j = cat.junction(f)
            if other.id == customer.id or j.name in junctions or not g.access(other).can("read"):
                continue
            junctions.add(j.name)
            where = key_where(uow, self.s.field_types, other, key, value)
            if where is None or where is False:
                continue
            this, that = junction_sides(f)
            mine, theirs = (j.c[this], j.c[that]) if on_customer else (j.c[that], j.c[this])
            ct, ot = customer.sa_table, other.sa_table
            # Each customer once (by the first related record that has the key), those
            # the principal may read, up to the bound.
            q = (
                sa.select(mine, sa.func.min(theirs))
                .select_from(j.join(ct, ct.c.id == mine).join(ot, ot.c.id == theirs))
                .where(where, ct.c.deleted_at.is_(None))
                .group_by(mine)
                .order_by(mine)
                .limit(MAX_MATCHES)
            )
            scope = g.row_where(customer, "read")
            if scope is not None:
                q = q.where(scope)
            for cid, oid in uow.conn.execute(q):
                if cid not in out:
                    out[cid] = self._via(uow, other, oid)
            if len(out) >= MAX_MATCHES:
                break
        return list(out.items())[:MAX_MATCHES]

    def _via(self, uow: UnitOfWork, s: TableSchema, record_id: int) -> dict[str, Any]:
        """The related record a lookup found a customer through: its table and title."""
        display = s.display_field
        shown = display is not None and display in guard(uow).visible(s, [display])
        row = self._row(uow, s, record_id, [display]) if shown and display else None
        title = row.get(display.key) if row and display else None
        return {
            "table": s.table.key,
            "name": s.table.name,
            "id": record_id,
            "title": str(title) if title not in (None, "") else f"#{record_id}",
        }

    def summary(self, app: str, table: str, record_id: int, principal: Principal) -> dict[str, Any]:
        """One customer's 360° header: title, identity keys, owner, metrics, section counts."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            guard(uow).require(s, "read")
            out = self._summary(uow, s, record_id, customer_view(uow, app))
            if out is None:
                raise NotFound("record.not_found", id=record_id)
            return out

    def _summary(
        self, uow: UnitOfWork, s: TableSchema, record_id: int, view: dict[str, Any]
    ) -> dict[str, Any] | None:
        g = guard(uow)
        visible = g.visible(s, s.fields)
        shown = {f.key for f in visible}
        is_customer_table = view["table"] == s.table.key
        if is_customer_table:
            relations = [x["relation"] for x in view["sections"] if x["relation"] in shown]
        else:
            relations = []
        if not relations:
            relations = [f.key for f in visible if f.is_relation]
        # A section of a table the caller may not read is left out (not shown as empty).
        relations = [
            k
            for k in relations
            if g.access(uow.catalog.schema(int(s.by_key[k].options["target_table_id"]))).can("read")
        ]
        display = s.display_field
        keyed = key_fields(visible, self.s.field_types)
        metric_keys = [k for k in (view["metrics"] if is_customer_table else []) if k in shown]
        wanted = {kf.field.key for kf in keyed} | set(metric_keys)
        if display is not None:
            wanted.add(display.key)
        # Only the fields the header shows are read (not every relation's links: a customer
        # may have 100,000 related records); sections are counted in SQL.
        row = self._row(uow, s, record_id, [f for f in visible if f.key in wanted])
        if row is None:
            return None
        title = row.get(display.key) if display is not None and display.key in shown else None
        keys = [
            {
                "field": kf.field.key,
                "name": kf.field.name,
                "kind": kf.kind,
                "value": row.get(kf.field.key),
            }
            for kf in keyed
            if row.get(kf.field.key) not in (None, "")
        ]
        metrics = [{"field": k, "name": s.by_key[k].name, "value": row.get(k)} for k in metric_keys]
        sections = []
        for k in relations:
            n, more = self._count(uow, s.by_key[k], record_id)
            sections.append({"relation": k, "name": s.by_key[k].name, "count": n, "more": more})
        return {
            "app": s.app.key,
            "table": s.table.key,
            "id": record_id,
            "title": str(title) if title not in (None, "") else f"#{record_id}",
            "identity_keys": keys,
            "owner": self._owner(uow, s, record_id),
            "metrics": metrics,
            "sections": sections,
            "interactions": store_interactions.count(uow.conn, s.id, record_id),
            "customer_table": is_customer_table,
        }

    def _row(
        self, uow: UnitOfWork, s: TableSchema, record_id: int, fields: list[Field]
    ) -> dict[str, Any] | None:
        """The record's ``fields`` as the principal may read them (masked as their role
        says); None outside their read scope or when it is gone."""
        g = guard(uow)
        scope = g.scope_key(s) if g.access(s).scoped("read") else ""
        rows = read_by_ids(
            uow.conn,
            uow.catalog,
            s,
            [record_id],
            clock=self.s.clock,
            row_where=partial(g.row_where, s),
            scope=scope,
        )
        dumped = self.s.records.row_dump(uow).rows(s, rows, fields)
        return dumped[0] if dumped else None

    def _count(self, uow: UnitOfWork, f: Field, record_id: int) -> tuple[int, bool]:
        """How many live records the relation ``f`` links the record to that the principal
        may read, up to ``MAX_COUNT`` (and whether there are more): one bounded query over
        the junction with the target's row scope, so a customer with 100,000 related records
        costs what one with 1,000 does."""
        target = uow.catalog.schema(int(f.options["target_table_id"]))
        this, other = junction_sides(f)
        j = uow.catalog.junction(f)
        tt = target.sa_table
        q = (
            sa.select(tt.c.id)
            .select_from(j.join(tt, tt.c.id == j.c[other]))
            .where(j.c[this] == record_id, tt.c.deleted_at.is_(None))
        )
        scope = guard(uow).row_where(target, "read")
        if scope is not None:
            q = q.where(scope)
        sub = q.limit(MAX_COUNT + 1).subquery()
        n = int(uow.conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())
        return min(n, MAX_COUNT), n > MAX_COUNT

    def _owner(self, uow: UnitOfWork, s: TableSchema, record_id: int) -> dict[str, Any] | None:
        t, u = s.sa_table, system.users
        row = uow.conn.execute(
            sa.select(u.c.id, u.c.username, u.c.display_name)
            .select_from(t.join(u, u.c.id == t.c.owner_id))
            .where(t.c.id == record_id)
        ).first()
        if row is None:
            return None
        return {"id": row.id, "name": row.display_name or row.username}
