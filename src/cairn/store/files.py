"""Uploaded files: their rows, their bytes under the data directory, the records holding them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from cairn.core import Invalid, Message
from cairn.meta import Field
from cairn.meta.fieldtypes.files import AttachmentOptions, accepts
from cairn.store import system
from cairn.store.catalog import TableSchema

CHUNK = 1 << 20


def insert(conn: sa.Connection, **values: Any) -> None:
    conn.execute(sa.insert(system.files).values(**values))


def get(conn: sa.Connection, file_id: str) -> Any:
    return conn.execute(sa.select(system.files).where(system.files.c.id == file_id)).first()


def describe(conn: sa.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Name, size, type and download address of each existing file among ``ids``: one query."""
    wanted = list(ids)
    if not wanted:
        return {}
    fl = system.files
    q = sa.select(fl.c.id, fl.c.name, fl.c.size, fl.c.mime).where(fl.c.id.in_(wanted))
    return {
        r.id: {
            "id": r.id,
            "name": r.name,
            "size": r.size,
            "mime": r.mime,
            "url": f"/api/v1/files/{r.id}",
        }
        for r in conn.execute(q)
    }


def write_stream(path: Path, stream: BinaryIO, limit: int) -> tuple[int, str]:
    """Copy ``stream`` to ``path`` in chunks, refusing more than ``limit`` bytes (the partial
    file is the caller's to remove); returns the size and the SHA-256 digest."""
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise Invalid.on("file", "file.too_large", size=size, max=limit)
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def rows(conn: sa.Connection, ids: Iterable[str]) -> list[Any]:
    """Id, field uploaded for and uploader of each stored file among ``ids``."""
    fl = system.files
    q = sa.select(fl.c.id, fl.c.field_id, fl.c.created_by).where(fl.c.id.in_(list(ids)))
    return conn.execute(q).all()


def outside_limits(conn: sa.Connection, ids: set[str], field: Field) -> dict[str, Message]:
    """Files among ``ids`` uploaded for another attachment field that ``field``'s own limits
    (size, allowed types) refuse, each with its reason: a file is checked against the field it
    was uploaded for, so putting it into another field must not skip that field's limits."""
    if not ids:
        return {}
    options = AttachmentOptions.model_validate(field.options)
    fl = system.files
    found = conn.execute(
        sa.select(fl.c.id, fl.c.name, fl.c.mime, fl.c.size, fl.c.field_id).where(
            fl.c.id.in_(list(ids)), fl.c.field_id.is_distinct_from(field.id)
        )
    ).all()
    limit = int(options.max_size_mb * 1024 * 1024)
    out: dict[str, Message] = {}
    for r in found:
        if not accepts(options, r.name, r.mime):
            out[r.id] = Message("file.type", {"type": r.mime, "allowed": options.allowed_types})
        elif r.size > limit:
            out[r.id] = Message("file.too_large", {"size": r.size, "max": limit})
    return out


def held_in(
    conn: sa.Connection,
    s: TableSchema,
    f: Field,
    file_id: str,
    where: sa.ColumnElement[bool] | None,
) -> bool:
    """Does a live record of ``s`` (within ``where``) hold the file in attachment field ``f``?"""
    t = s.sa_table
    col = t.c[f.column_name]
    q = sa.select(t.c.id).where(
        t.c.deleted_at.is_(None), col.contains(f'"{file_id}"', autoescape=True)
    )
    if where is not None:
        q = q.where(where)
    return conn.execute(q.limit(1)).first() is not None


def holders(
    conn: sa.Connection,
    s: TableSchema,
    f: Field,
    ids: list[str],
    readable_row: sa.ColumnElement[bool],
) -> tuple[set[str], set[str]]:
    """Which of ``ids`` live records of ``s`` hold in field ``f``, and which of those a record
    within ``readable_row`` holds: one query per 200 files."""
    t = s.sa_table
    col = t.c[f.column_name]
    held: set[str] = set()
    readable: set[str] = set()
    for i in range(0, len(ids), 200):
        chunk = ids[i : i + 200]
        q = sa.select(col, sa.case((readable_row, 1), else_=0)).where(
            t.c.deleted_at.is_(None),
            sa.or_(*(col.contains(f'"{fid}"', autoescape=True) for fid in chunk)),
        )
        wanted = set(chunk)
        for value, ok in conn.execute(q):
            found = wanted.intersection(json.loads(value)) if value else set()
            held |= found
            if ok:
                readable |= found
    return held, readable
