"""The inactivity trigger, a scanned one: a record with no linked record newer than some days
(a quiet spell). Its scan is one SQL query listing the records whose quiet spell has lasted
long enough and not fired yet (``scanner`` runs it)."""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from cairn.core import Invalid
from cairn.core.events import INTERACTION_KINDS
from cairn.query.expand import links
from cairn.rules.spec import InactivityTrigger
from cairn.rules.trigger_base import (
    CheckContext,
    Due,
    Outlook,
    ScanContext,
    TriggerType,
    check_filter,
)
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.tables.interactions import interactions


class Inactivity(TriggerType):
    """No linked record (through any of the ``sources``' relations) newer than ``days``: the
    quiet spell starts at the newest linked record of all sources (its ``date_field``, else
    its creation), or at the record's own creation when it has none. A source may instead be
    the record's interactions (of some kinds, or any): the newest one's ``occurred_at`` counts,
    so a logged call starts a new spell. One firing per quiet spell (its start is the fire
    key).

    Every moment is compared as a date and time: a date field counts from its midnight
    (``moment``), so a date source and a datetime source (or the creation time) compare on
    both databases (SQLite keeps them as texts of different shapes)."""

    key = "inactivity"
    model = InactivityTrigger
    kind = "scan"

    def check(self, spec: InactivityTrigger, ctx: CheckContext) -> None:
        for i, src in enumerate(spec.sources):
            loc = f"sources.{i}"
            if src.interactions is not None:
                for j, kind in enumerate(src.interactions):
                    if kind not in INTERACTION_KINDS:
                        raise Invalid.on(
                            f"{ctx.loc}.{loc}.interactions.{j}",
                            "rule.interaction_kind",
                            kind=kind,
                            kinds=", ".join(INTERACTION_KINDS),
                        )
                continue
            assert src.relation is not None  # the spec has one or the other
            f = ctx.field(src.relation, f"{loc}.relation")
            if not f.is_relation:
                raise Invalid.on(f"{ctx.loc}.{loc}.relation", "rule.relation", field=src.relation)
            if src.date_field is not None:
                target = ctx.catalog.schema(int(f.options["target_table_id"]))
                tf = target.by_key.get(src.date_field)
                if tf is None or target.types[tf.id].value_type not in ("date", "datetime"):
                    raise Invalid.on(
                        f"{ctx.loc}.{loc}.date_field", "rule.field_type", field=src.date_field
                    )
        check_filter(spec, ctx)

    def last_activity(
        self, spec: InactivityTrigger, catalog: Catalog, schema: TableSchema, dialect: str
    ) -> Any:
        """The moment the quiet spell starts, per record (a correlated expression)."""
        t = schema.sa_table
        newest = []
        for src in spec.sources:
            if src.interactions is not None:
                newest.append(newest_interaction(schema, t, src.interactions))
                continue
            assert src.relation is not None
            lk = links(catalog, schema.by_key[src.relation], t)
            rows = lk.target_rows
            if src.date_field is None:
                moment = rows.c.created_at
            else:
                tf = lk.target.by_key[src.date_field]
                col = rows.c[tf.column_name]
                is_date = lk.target.types[tf.id].value_type == "date"
                moment = as_moment(col, dialect) if is_date else col
            newest.append(lk.select(sa.func.max(moment)).scalar_subquery())
        if len(newest) == 1:
            latest: Any = newest[0]
        elif dialect == "postgresql":
            latest = sa.func.greatest(*newest)  # leaves NULLs out
        else:  # SQLite's max() of several is NULL when one is: a floor stands in for none
            floor = sa.literal(NO_ACTIVITY)
            latest = sa.func.nullif(
                sa.func.max(*(sa.func.coalesce(n, floor) for n in newest)), floor
            )
        return sa.func.coalesce(latest, t.c.created_at, type_=sa.DateTime)

    def _quiet(self, spec: InactivityTrigger, ctx: ScanContext, until: datetime) -> sa.Select[Any]:
        """The records quiet by ``until`` and not fired for that spell: id and fire key."""
        t = ctx.schema.sa_table
        last = self.last_activity(spec, ctx.catalog, ctx.schema, ctx.conn.dialect.name)
        key = sa.cast(last, sa.String)
        where = [t.c.deleted_at.is_(None), last <= until - timedelta(days=spec.days)]
        if spec.filter is not None:
            where.append(ctx.filter(spec.filter))
        return sa.select(t.c.id, key.label("k")).where(*where, ctx.not_fired(t.c.id, key))

    def due(
        self, spec: InactivityTrigger, ctx: ScanContext, until: datetime | None = None
    ) -> list[Due]:
        q = self._quiet(spec, ctx, until or ctx.now)
        quiet = timedelta(days=spec.days)
        out = []
        for r in ctx.conn.execute(q.order_by(q.selected_columns.id).limit(ctx.limit)).all():
            out.append(Due(r[0], str(r[1]), _parse_moment(r[1]) + quiet))
        return out

    def outlook(
        self, spec: InactivityTrigger, ctx: ScanContext, until: datetime, first: int
    ) -> Outlook:
        """One read of every quiet record, counted per spell start (each start parsed once);
        only the ``first`` (soonest, then by record) become firings."""
        rows = ctx.conn.execute(self._quiet(spec, ctx, until)).all()
        quiet = timedelta(days=spec.days)
        ends = {k: _parse_moment(k) + quiet for k in {r[1] for r in rows}}
        moments: Counter[datetime] = Counter()
        for r in rows:
            moments[ends[r[1]]] += 1
        soonest = heapq.nsmallest(first, rows, key=lambda r: (ends[r[1]], r[0]))
        return Outlook([Due(r[0], str(r[1]), ends[r[1]]) for r in soonest], len(rows), moments)


def newest_interaction(schema: TableSchema, t: Any, kinds: list[str]) -> Any:
    """When the record's newest live interaction (of ``kinds``; any when empty) happened (a
    correlated scalar; served by the index on table, record and time)."""
    i = interactions
    where = [i.c.table_id == schema.id, i.c.record_id == t.c.id, i.c.deleted_at.is_(None)]
    if kinds:
        where.append(i.c.kind.in_(sorted(set(kinds))))
    return sa.select(sa.func.max(i.c.occurred_at)).where(*where).correlate(t).scalar_subquery()


#: Below every moment: what a source without linked records counts as on SQLite.
NO_ACTIVITY = "0000-00-00"


def as_moment(col: Any, dialect: str) -> Any:
    """A date column as the date and time of its midnight (the shape of a stored datetime)."""
    if dialect == "postgresql":
        return sa.cast(col, sa.DateTime)
    return sa.func.datetime(col, type_=sa.DateTime)


def _parse_moment(v: Any) -> datetime:
    """A moment read back as text (the fire key): ``2026-01-05 09:00:00.000000`` (SQLite),
    ``2026-01-05 09:00:00`` (PostgreSQL), or a bare date (midnight)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, date):
        return datetime.combine(v, time(0))
    return datetime.fromisoformat(str(v)).replace(tzinfo=None)
