"""One-ID's rows: match rules, blocking keys, duplicate suggestions (``tables.identity``).

Blocks are written for many records at once (one delete, one insert) and looked up for a
batch in one query per rule through ``ix_identity_blocks_rule_id``. Suggestions are pairs
``record_a < record_b`` per table, unique: a pair found again keeps its decision (a pair
marked ``not_same`` or ``merged`` is never reopened)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from cairn.meta import Field
from cairn.store import changes
from cairn.store.catalog import TableSchema
from cairn.store.tables.identity import (
    identity_blocks,
    identity_rules,
    identity_suggestions,
)

#: Ids (or blocks) per IN list: below SQLite's bound-parameter limit with room for others.
CHUNK = 900
#: Statuses a pair found again may be updated in (its score, its evidence).
REFRESHED = ("open", "later", "auto")
#: Statuses a decision may move a pair out of (a merged pair is unmerged, not re-decided).
DECIDABLE = ("open", "later", "not_same", "auto")


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


#: Values per list bound as one parameter (``_one_of``).
LIST_CHUNK = 5_000


def _one_of(conn: sa.Connection, col: Any, values: Sequence[Any]) -> Any:
    """``col IN values`` with the whole list as one parameter (a PostgreSQL array, a JSON
    text SQLite unpacks with ``json_each``): the hot path of every batch, which a bound
    parameter per value (hundreds compiled, named and passed one by one) slows down."""
    if conn.dialect.name == "postgresql":
        item = sa.BigInteger() if isinstance(col.type, sa.Integer) else col.type
        return col == sa.any_(sa.literal(list(values), ARRAY(item)))
    each = sa.func.json_each(sa.literal(json.dumps(list(values)))).table_valued("value")
    return col.in_(sa.select(each.c.value))


# -- rules ------------------------------------------------------------------------------------
def rules(conn: sa.Connection, table_id: int | None = None) -> list[Any]:
    """The rules of a table (or of every table), in their order."""
    r = identity_rules.c
    q = sa.select(identity_rules).order_by(r.table_id, r.position, r.id)
    if table_id is not None:
        q = q.where(r.table_id == table_id)
    return list(conn.execute(q))


def rule(conn: sa.Connection, rule_id: int) -> Any | None:
    r = identity_rules.c
    return conn.execute(sa.select(identity_rules).where(r.id == rule_id)).first()


def insert_rule(conn: sa.Connection, **values: Any) -> int:
    new_id = conn.execute(
        sa.insert(identity_rules).values(**values).returning(identity_rules.c.id)
    ).scalar_one()
    changes.created(conn, identity_rules, new_id)
    return int(new_id)


def update_rule(conn: sa.Connection, rule_id: int, **values: Any) -> None:
    changes.touching(conn, identity_rules, rule_id)
    conn.execute(sa.update(identity_rules).where(identity_rules.c.id == rule_id).values(**values))


def delete_rule(conn: sa.Connection, rule_id: int) -> None:
    changes.touching(conn, identity_rules, rule_id)
    conn.execute(sa.delete(identity_rules).where(identity_rules.c.id == rule_id))
    drop_rule_blocks(conn, rule_id)


# -- blocks -----------------------------------------------------------------------------------
def replace_blocks(
    conn: sa.Connection,
    table_id: int,
    record_ids: Sequence[int],
    entries: Sequence[tuple[int, int, str]],
    rule_ids: Sequence[int] | None = None,
) -> None:
    """The blocks of ``record_ids`` become ``entries`` (rule id, record id, block);
    ``rule_ids``: only those rules' blocks are replaced (None: every rule's)."""
    b = identity_blocks.c
    for chunk in _chunks(list(record_ids), LIST_CHUNK):
        q = sa.delete(identity_blocks).where(
            b.table_id == table_id, _one_of(conn, b.record_id, chunk)
        )
        if rule_ids is not None:
            q = q.where(b.rule_id.in_(list(rule_ids)))
        conn.execute(q)
    add_blocks(conn, table_id, entries)


def add_blocks(conn: sa.Connection, table_id: int, entries: Sequence[tuple[int, int, str]]) -> None:
    """Insert blocks (rule id, record id, block): a batch's thousands of rows go to the
    driver's executemany as plain tuples, without building a parameter dictionary per row
    (which costs more than the insert itself). The statement is made of constant names."""
    if not entries:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {identity_blocks.name} (table_id, rule_id, record_id, block) "
        f"VALUES ({mark}, {mark}, {mark}, {mark})"
    )
    conn.exec_driver_sql(sql, [(table_id, r, rec, blk) for r, rec, blk in entries])


def drop_blocks(conn: sa.Connection, table_id: int, record_ids: Sequence[int]) -> None:
    replace_blocks(conn, table_id, record_ids, [])


def drop_rule_blocks(conn: sa.Connection, rule_id: int) -> None:
    conn.execute(sa.delete(identity_blocks).where(identity_blocks.c.rule_id == rule_id))


def blocked(conn: sa.Connection, rule_id: int, blocks: Sequence[str]) -> list[tuple[str, int]]:
    """(block, record id) of the records filed under any of ``blocks`` for the rule: one
    indexed query per 900 blocks."""
    b = identity_blocks.c
    out: list[tuple[str, int]] = []
    for chunk in _chunks(sorted(set(blocks)), LIST_CHUNK):
        q = sa.select(b.block, b.record_id).where(
            b.rule_id == rule_id, _one_of(conn, b.block, chunk)
        )
        out.extend((blk, int(rid)) for blk, rid in conn.execute(q))
    return out


def block_sizes(conn: sa.Connection, rule_id: int, min_size: int = 2) -> list[tuple[str, int]]:
    """The blocks of a rule holding at least ``min_size`` records, with their sizes."""
    b = identity_blocks.c
    n = sa.func.count()
    q = (
        sa.select(b.block, n)
        .where(b.rule_id == rule_id)
        .group_by(b.block)
        .having(n >= min_size)
        .order_by(b.block)
    )
    return [(blk, int(c)) for blk, c in conn.execute(q)]


def has_blocks(conn: sa.Connection, rule_id: int) -> bool:
    b = identity_blocks.c
    return conn.execute(sa.select(b.id).where(b.rule_id == rule_id).limit(1)).first() is not None


# -- suggestions ------------------------------------------------------------------------------
def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def upsert_suggestions(
    conn: sa.Connection, table_id: int, found: Sequence[dict[str, Any]], now: datetime
) -> int:
    """Record pairs a rule found (``record_a`` < ``record_b``, ``rule_id``, ``score``,
    ``evidence``, ``status``): a new pair is added, an open or postponed one gets the new
    score and evidence, a decided one (not the same, merged) is left as it is. How many
    distinct pairs are in the queue now (new or still undecided): what a run "found"."""
    if not found:
        return 0
    s = identity_suggestions.c
    existing: dict[tuple[int, int], tuple[int, str]] = {}
    for chunk in _chunks(sorted({f["record_a"] for f in found})):
        q = sa.select(s.id, s.record_a, s.record_b, s.status).where(
            s.table_id == table_id, s.record_a.in_(chunk)
        )
        for sid, a, b, status in conn.execute(q):
            existing[(a, b)] = (sid, status)
    new: dict[tuple[int, int], dict[str, Any]] = {}
    queued: set[tuple[int, int]] = set()
    for f in found:
        key = (f["record_a"], f["record_b"])
        got = existing.get(key)
        if got is None or got[1] in REFRESHED:
            queued.add(key)
        if got is None:
            if key not in new or new[key]["score"] < f["score"]:
                new[key] = {**f, "table_id": table_id, "created_at": now}
        elif got[1] in REFRESHED:
            conn.execute(
                sa.update(identity_suggestions)
                .where(s.id == got[0])
                .values(score=f["score"], evidence=f["evidence"], rule_id=f["rule_id"])
            )
    if not new:
        return len(queued)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = dialect.insert(identity_suggestions).on_conflict_do_nothing(
        index_elements=["table_id", "record_a", "record_b"]
    )
    conn.execute(q, list(new.values()))
    return len(queued)


def suggestion(conn: sa.Connection, table_id: int, suggestion_id: int) -> Any | None:
    s = identity_suggestions.c
    q = sa.select(identity_suggestions).where(s.id == suggestion_id, s.table_id == table_id)
    return conn.execute(q).first()


def list_suggestions(
    conn: sa.Connection,
    table_id: int,
    status: str,
    limit: int,
    offset: int,
    visible: Any = None,
) -> tuple[list[Any], int]:
    """A page of the table's pairs in one status, best score first, and how many there are.
    ``visible``: a select of the record ids the reader may see (both records must be)."""
    s = identity_suggestions.c
    where = [s.table_id == table_id, s.status == status]
    if visible is not None:
        where += [s.record_a.in_(visible), s.record_b.in_(visible)]
    total = conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
    q = (
        sa.select(identity_suggestions)
        .where(*where)
        .order_by(s.score.desc(), s.id)
        .limit(limit)
        .offset(offset)
    )
    return list(conn.execute(q)), int(total)


def decide(
    conn: sa.Connection,
    table_id: int,
    ids: Sequence[int],
    decision: str,
    actor_id: int | None,
    now: datetime,
) -> list[int]:
    """Set the decision on the undecided-or-revisable pairs among ``ids``; the ids changed."""
    s = identity_suggestions.c
    changed: list[int] = []
    for chunk in _chunks(sorted(set(ids))):
        where = [s.table_id == table_id, s.id.in_(chunk), s.status.in_(DECIDABLE)]
        got = [int(i) for (i,) in conn.execute(sa.select(s.id).where(*where))]
        if got:
            conn.execute(
                sa.update(identity_suggestions)
                .where(s.id.in_(got))
                .values(status=decision, decided_by=actor_id, decided_at=now)
            )
            changed += got
    return changed


def drop_open_suggestions(conn: sa.Connection, table_id: int, record_ids: Sequence[int]) -> None:
    """Open and postponed pairs of deleted records go (decided ones stay: the memory of a
    "not the same", the record of a merge)."""
    s = identity_suggestions.c
    for chunk in _chunks(list(record_ids)):
        conn.execute(
            sa.delete(identity_suggestions).where(
                s.table_id == table_id,
                s.status.in_(REFRESHED),
                sa.or_(s.record_a.in_(chunk), s.record_b.in_(chunk)),
            )
        )


def pending_auto(conn: sa.Connection, limit: int) -> list[tuple[int, int]]:
    """(suggestion id, table id) of the pairs auto-merge rules filed, oldest first."""
    s = identity_suggestions.c
    q = sa.select(s.id, s.table_id).where(s.status == "auto").order_by(s.id).limit(limit)
    return [(int(i), int(t)) for i, t in conn.execute(q)]


def reopen_auto(conn: sa.Connection, table_id: int, ids: Sequence[int]) -> None:
    """Auto-merge pairs that could not be merged become open pairs of the review queue."""
    s = identity_suggestions.c
    for chunk in _chunks(sorted(set(ids))):
        conn.execute(
            sa.update(identity_suggestions)
            .where(s.table_id == table_id, s.id.in_(chunk), s.status == "auto")
            .values(status="open")
        )


# -- the values rules compare -----------------------------------------------------------------
def column_values(
    conn: sa.Connection, s: TableSchema, fields: Sequence[Field], ids: Sequence[int]
) -> list[Any]:
    """Rows ``(id, value of each of fields...)`` of the live records among ``ids``."""
    t = s.sa_table
    cols = [s.column(f) for f in fields]
    out: list[Any] = []
    for chunk in _chunks(sorted(set(ids)), LIST_CHUNK):
        q = sa.select(t.c.id, *cols).where(_one_of(conn, t.c.id, chunk), t.c.deleted_at.is_(None))
        out.extend(conn.execute(q))
    return out


def live_ids_after(conn: sa.Connection, s: TableSchema, after: int, limit: int) -> list[int]:
    """The next ``limit`` live record ids above ``after`` (a whole-table scan in pages)."""
    t = s.sa_table
    q = (
        sa.select(t.c.id)
        .where(t.c.id > after, t.c.deleted_at.is_(None))
        .order_by(t.c.id)
        .limit(limit)
    )
    return [int(i) for (i,) in conn.execute(q)]


def live_id_at(conn: sa.Connection, s: TableSchema, position: int) -> int:
    """The id of the ``position``-th live record (1-based) in id order; 0 before the first:
    where a resumed whole-table scan goes on."""
    if position <= 0:
        return 0
    t = s.sa_table
    q = (
        sa.select(t.c.id)
        .where(t.c.deleted_at.is_(None))
        .order_by(t.c.id)
        .offset(position - 1)
        .limit(1)
    )
    found = conn.execute(q).scalar()
    return int(found) if found is not None else 2**62


def live_count(conn: sa.Connection, s: TableSchema) -> int:
    t = s.sa_table
    q = sa.select(sa.func.count()).select_from(t).where(t.c.deleted_at.is_(None))
    return int(conn.execute(q).scalar_one())


def visible_ids(s: TableSchema, where: Any) -> Any:
    """A select of the live record ids matching ``where`` (a row scope)."""
    t = s.sa_table
    q = sa.select(t.c.id).where(t.c.deleted_at.is_(None))
    return q.where(where) if where is not None else q


def analyze_blocks(conn: sa.Connection) -> None:
    """Refresh the planner's statistics of the blocks (and pairs): a find-duplicates run
    refills the blocks from nothing, and a planner that still believes them empty scans
    them whole for each batch's lookups (each batch then costs more than the last)."""
    for table in (identity_blocks, identity_suggestions):
        conn.exec_driver_sql(f"ANALYZE {table.name}")
