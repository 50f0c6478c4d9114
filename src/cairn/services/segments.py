"""Segments of an app's tables: define, evaluate, preview, freeze, list members and history.

Managers of the app change them (``deps.SchemaManager`` on the routes; the unit of work audits
``segment.*``); members who read the table read them, and see only the member records they
may read. Evaluation is the insight engine's (``insight.segments``); the outbox handler that
re-checks the records an event touches is ``segment_events``, the scheduled re-evaluation of
time-based conditions is ``scan``."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import FieldErrors, Invalid, Message, NotFound
from cairn.insight import segments as engine
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema
from cairn.store import segments as store

if TYPE_CHECKING:
    from cairn.services.context import Services

log = logging.getLogger(__name__)

NAME_MAX = 200
#: Most record ids one add or remove names.
IDS_MAX = 10_000


def public(row: Any, s: TableSchema | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description or "",
        "table": s.table.key if s is not None else None,
        "kind": row.kind,
        "filter": row.filter,
        "refresh": row.refresh,
        "member_count": row.member_count,
        "evaluated_at": _utc(row.evaluated_at),
        "created_by": row.created_by,
        "created_at": _utc(row.created_at),
        "updated_at": _utc(row.updated_at),
    }


def _utc(at: Any) -> Any:
    """A stored moment (naive, UTC) as an aware one: the API's date-times carry their offset."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


class SegmentService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- definitions ----------------------------------------------------------------------------
    def list(self, app: str, principal: Principal = SYSTEM) -> list[dict[str, Any]]:
        """The app's segments on tables the principal reads."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            a = uow.catalog.app(app)
            g = guard(uow)
            out = []
            for row in store.by_app(uow.conn, a.id):
                s = uow.catalog.schemas.get(row.table_id)
                if s is not None and g.access(s).can("read"):
                    out.append(public(row, s))
            return out

    def get(self, app: str, segment_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row, s = self._readable(uow, app, segment_id)
            return public(row, s)

    def create(self, app: str, spec: Any, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            sid, s = self.create_in(uow, app, spec)
            return public(store.get(uow.conn, sid), s)

    def create_in(self, uow: UnitOfWork, app: str, spec: Any) -> tuple[int, TableSchema]:
        a = uow.catalog.app(app)
        values, s = self._checked(uow, app, spec, None)
        sid = store.insert(
            uow.conn,
            app_id=a.id,
            created_by=uow.actor_id,
            created_at=uow.now,
            updated_at=uow.now,
            member_count=0,
            **values,
        )
        row = store.get(uow.conn, sid)
        if row.kind == "dynamic":
            # The starting members are history, not news: no events.
            engine.evaluate(uow, row, s, self.s.clock, "full", announce=False)
        return sid, s

    def export_in(self, uow: UnitOfWork, app_key: str) -> list[dict[str, Any]] | None:
        """The app's segments as a package carries them: their definitions (a static
        segment's members are records of this installation and stay), tags by name."""
        a = uow.catalog.app(app_key)
        out = []
        for row in store.by_app(uow.conn, a.id):
            s = uow.catalog.schemas.get(row.table_id)
            if s is None:
                continue
            p = public(row, s)
            out.append(
                {k: p[k] for k in ("name", "description", "table", "kind", "filter", "refresh")}
            )
        return self.s.tags.rules_out(uow, app_key, out) if out else None

    def import_in(self, uow: UnitOfWork, app_key: str, data: Any) -> dict[str, int]:
        """Segments from a package (inside its import's transaction, after the tags); their
        ids by name. Errors name the package's ``segments.<i>``."""
        if not isinstance(data, list):
            raise Invalid.on("segments", "invalid.list")
        ids: dict[str, int] = {}
        for i, item in enumerate(data):
            try:
                spec = self.s.tags.rules_in(uow, app_key, item)
                ids[str(item.get("name"))] = self.create_in(uow, app_key, spec)[0]
            except Invalid as e:
                raise e.under(f"segments.{i}") from None
        return ids

    def update(
        self, app: str, segment_id: int, spec: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        with unit_of_work(self.s, principal=principal) as uow:
            row, s = self._row(uow, app, segment_id)
            values, s = self._checked(uow, app, spec, row)
            store.update(uow.conn, segment_id, updated_at=uow.now, **values)
            row = store.get(uow.conn, segment_id)
            if row.kind == "dynamic" and ("filter" in values or "kind" in values):
                engine.evaluate(uow, row, s, self.s.clock, "full")
            return public(store.get(uow.conn, segment_id), s)

    def delete(self, app: str, segment_id: int, principal: Principal = SYSTEM) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            self._row(uow, app, segment_id)
            store.delete(uow.conn, segment_id)

    def preview(
        self, app: str, table: str, filter: Any, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """How many live records (that the principal reads) meet a draft condition."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = self._table(uow, app, table)
            g = guard(uow)
            g.require(s, "read")
            g.check_names(s, filter, None)
            cond = engine.condition(uow.catalog, s, filter, self.s.clock)
            n = engine.count_matching(uow.conn, s, cond, g.row_where(s))
            return {"count": n, "time_based": cond.time_based}

    # -- membership -------------------------------------------------------------------------------
    def evaluate(self, app: str, segment_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        """Evaluate a dynamic segment over its whole table now."""
        with unit_of_work(self.s, principal=principal) as uow:
            row, s = self._row(uow, app, segment_id)
            if row.kind != "dynamic":
                raise Invalid.on("kind", "segment.dynamic_only")
            change = engine.evaluate(uow, row, s, self.s.clock, "full")
            out = public(store.get(uow.conn, segment_id), s)
            out["entered"] = len(change.entered)
            out["left"] = len(change.left)
            return out

    def freeze(
        self, app: str, segment_id: int, name: str | None, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A static copy of a dynamic segment's members now."""
        with unit_of_work(self.s, principal=principal) as uow:
            row, s = self._row(uow, app, segment_id)
            if row.kind != "dynamic":
                raise Invalid.on("kind", "segment.dynamic_only")
            name = (name or "").strip() or f"{row.name} ({uow.now:%Y-%m-%d})"
            if len(name) > NAME_MAX:
                raise Invalid.on("name", "segment.name", max=NAME_MAX)
            sid = store.insert(
                uow.conn,
                app_id=row.app_id,
                table_id=row.table_id,
                name=name,
                description=row.description or "",
                kind="static",
                filter=None,
                refresh=None,
                member_count=0,
                created_by=uow.actor_id,
                created_at=uow.now,
                updated_at=uow.now,
            )
            engine.freeze(uow, row, store.get(uow.conn, sid))
            return public(store.get(uow.conn, sid), s)

    def change_members(
        self,
        app: str,
        segment_id: int,
        ids: Any,
        add: bool,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Add or remove records of a static segment by hand (live records only are added)."""
        with unit_of_work(self.s, principal=principal) as uow:
            row, s = self._row(uow, app, segment_id)
            if row.kind != "static":
                raise Invalid.on("kind", "segment.static_only")
            change = engine.change_static(uow, row, s, _ids(ids), add)
            out = public(store.get(uow.conn, segment_id), s)
            out["entered"] = len(change.entered)
            out["left"] = len(change.left)
            return out

    def members(
        self, app: str, segment_id: int, limit: int, offset: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """A page of the members (newest entry first) as the principal may read them."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            _, s = self._readable(uow, app, segment_id)
            g = guard(uow)
            page, total = store.members_page(uow.conn, segment_id, s, g.row_where(s), limit, offset)
            records = {r["id"]: r for r in self.s.records.read_rows(uow, s, [i for i, _ in page])}
            items = [{"record": records[i], "entered_at": at} for i, at in page if i in records]
            return {"items": items, "total": total, "limit": limit, "offset": offset}

    def history(
        self,
        app: str,
        segment_id: int,
        limit: int,
        offset: int,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Who entered and left, newest first; records the principal may not read are named
        by id only (their title is not shown)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            _, s = self._readable(uow, app, segment_id)
            rows, total = store.history(uow.conn, segment_id, limit, offset)
            ids = sorted({r.record_id for r in rows})
            readable = guard(uow).in_scope(s, ids, "read") if ids else set()
            titles = self._titles(uow, s, sorted(readable))
            items = [
                {
                    "record_id": r.record_id,
                    "title": titles.get(r.record_id),
                    "change": r.change,
                    "at": r.at,
                    "cause": r.cause,
                }
                for r in rows
            ]
            return {"items": items, "total": total, "limit": limit, "offset": offset}

    def counts(self, app: str, segment_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._readable(uow, app, segment_id)
            rows = store.counts(uow.conn, segment_id)
            return {
                "items": [
                    {"day": r.day, "members": r.members, "entered": r.entered, "left": r.left}
                    for r in rows
                ]
            }

    def of_record(
        self, app: str, table: str, record_id: int, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """The segments a record is in (a record the principal may read)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            g = guard(uow)
            g.require(s, "read")
            if not g.in_scope(s, [record_id], "read"):
                raise NotFound("record.not_found", id=record_id)
            rows = store.of_record(uow.conn, s.id, record_id)
            return {
                "items": [
                    {"id": r.id, "name": r.name, "kind": r.kind, "entered_at": r.entered_at}
                    for r in rows
                ]
            }

    # -- the schedule -----------------------------------------------------------------------------
    def scan(self) -> dict[str, int]:
        """Re-evaluate the time-based segments whose period is over (by the clock, a test
        clock included) and write today's count row of every segment that has none; how many
        segments of each."""
        now = self.s.clock.now().astimezone(UTC).replace(tzinfo=None)
        with unit_of_work(self.s, write=False) as uow:
            rows = store.by_tables(uow.conn)
        evaluated = counted = 0
        for row in rows:
            if engine.due(row, now):
                try:
                    with unit_of_work(self.s) as uow:
                        s = uow.catalog.schemas.get(row.table_id)
                        if s is not None:
                            engine.evaluate(uow, row, s, self.s.clock, "schedule")
                            evaluated += 1
                except Invalid as e:  # a field it names was deleted: the others go on
                    log.warning("segment %s: not evaluated: %s", row.id, e)
            with unit_of_work(self.s) as uow:
                if store.count_missing(uow.conn, row.id, uow.now.date()):
                    r = store.get(uow.conn, row.id)
                    if r is not None:
                        store.count_day(uow.conn, r.id, uow.now.date(), r.member_count, 0, 0)
                        counted += 1
        return {"evaluated": evaluated, "counted": counted}

    # -- helpers ----------------------------------------------------------------------------------
    def _table(self, uow: UnitOfWork, app: str, table: Any) -> TableSchema:
        try:
            return uow.catalog.table(app, str(table))
        except NotFound:
            raise Invalid.on("table", "segment.table", table=table) from None

    def _row(self, uow: UnitOfWork, app: str, segment_id: int) -> tuple[Any, TableSchema]:
        a = uow.catalog.app(app)
        row = store.get(uow.conn, segment_id)
        s = uow.catalog.schemas.get(row.table_id) if row is not None else None
        if row is None or row.app_id != a.id or s is None:
            raise NotFound("segment.not_found", id=segment_id)
        return row, s

    def _readable(self, uow: UnitOfWork, app: str, segment_id: int) -> tuple[Any, TableSchema]:
        row, s = self._row(uow, app, segment_id)
        if not guard(uow).access(s).can("read"):
            raise NotFound("segment.not_found", id=segment_id)
        return row, s

    @staticmethod
    def _titles(uow: UnitOfWork, s: TableSchema, ids: list[int]) -> dict[int, Any]:
        f = s.display_field
        if f is None or not ids or f.id in guard(uow).view(s)[0] or not s.types[f.id].stored:
            return {}
        t = s.sa_table
        if f.id in s.sealers or f.column_name not in t.c:
            return {}
        col = t.c[f.column_name]
        q = sa.select(t.c.id, col).where(t.c.id.in_(ids))
        return {int(i): v for i, v in uow.conn.execute(q)}

    def _checked(
        self, uow: UnitOfWork, app: str, spec: Any, before: Any
    ) -> tuple[dict[str, Any], TableSchema]:
        """The columns a create (``before`` None) or a change sets, every error at once."""
        if not isinstance(spec, dict):
            raise Invalid.on("body", "invalid.input")
        errors = FieldErrors()
        values: dict[str, Any] = {}
        creating = before is None
        s: TableSchema | None = None
        if creating or "table" in spec:
            try:
                s = self._table(uow, app, spec.get("table"))
            except Invalid as e:
                errors.merge("", e)
            if s is not None and not creating and s.id != before.table_id:
                errors.add("table", Message("segment.table_fixed", {}))
            elif s is not None:
                values["table_id"] = s.id
        if s is None and before is not None:
            s = uow.catalog.schemas.get(before.table_id)
        if creating or "name" in spec:
            name = spec.get("name")
            if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
                errors.add("name", Message("segment.name", {"max": NAME_MAX}))
            else:
                values["name"] = name.strip()
        if "description" in spec:
            d = spec.get("description")
            values["description"] = d if isinstance(d, str) else ""
        kind = spec.get("kind", "dynamic" if creating else before.kind)
        if kind not in engine.KINDS:
            errors.add("kind", Message("segment.kind", {"kinds": ", ".join(engine.KINDS)}))
        elif creating or "kind" in spec:
            if not creating and kind != before.kind:
                errors.add("kind", Message("segment.kind", {"kinds": before.kind}))
            values["kind"] = kind
        refresh = spec.get("refresh") if "refresh" in spec else None
        if refresh is not None and refresh not in engine.REFRESH:
            errors.add("refresh", Message("segment.refresh", {"values": ", ".join(engine.REFRESH)}))
        time_based = False
        if kind == "dynamic" and s is not None and (creating or "filter" in spec):
            tree = spec.get("filter")
            try:
                g = guard(uow)
                g.require(s, "read")
                g.check_names(s, tree, None)
                time_based = engine.condition(uow.catalog, s, tree, self.s.clock).time_based
                values["filter"] = tree or None
            except Invalid as e:
                errors.merge("", e)
        elif kind == "static":
            values["filter"] = None
        errors.raise_if_any()
        if creating or "refresh" in spec or "filter" in values:
            # A condition that reads the clock is re-evaluated at least daily.
            if kind == "dynamic" and time_based and refresh is None:
                refresh = "daily"
            values["refresh"] = refresh if kind == "dynamic" else None
        assert s is not None
        return values, s


def _ids(raw: Any) -> list[int]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= IDS_MAX
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in raw)
    ):
        raise Invalid.on("ids", "segment.ids", max=IDS_MAX)
    return sorted(set(raw))
