"""Uploaded files: checked against the attachment field's limits, stored under the data directory."""

from __future__ import annotations

import mimetypes
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import sqlalchemy as sa

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import Invalid, NotFound
from cairn.meta.fieldtypes.files import AttachmentOptions, accepts
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import files as store_files

if TYPE_CHECKING:
    from cairn.services.context import Services


class FileService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def upload(
        self,
        app: str,
        table: str,
        field: str,
        filename: str,
        mime: str | None,
        stream: BinaryIO,
        actor_id: int | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Store one file for an attachment field; streams to disk and stops at the size limit.
        The principal must be allowed to create or update the table's records and the field."""
        actor_id = actor_id if actor_id is not None else principal.user_id
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            f = s.by_key.get(field)
            g = guard(uow)
            if f is None or not f.holds_files or f.id in g.view(s)[0]:
                raise NotFound("field.not_found", field=field)
            access = g.access(s)
            if not (access.can("create") or access.can("update")):
                g.require(s, "update")
            g.check_writable(s, [field])
        options = AttachmentOptions.model_validate(f.options)
        name = Path(filename or "file").name[:255] or "file"
        mime = (mime or mimetypes.guess_type(name)[0] or "application/octet-stream")[:127]
        if not accepts(options, name, mime):
            raise Invalid.on("file", "file.type", type=mime, allowed=options.allowed_types)
        limit = int(min(options.max_size_mb, self.s.settings.max_upload_mb) * 1024 * 1024)
        file_id = secrets.token_urlsafe(18)
        rel = Path(file_id[:2]) / file_id
        path = self.s.settings.files_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            size, sha256 = store_files.write_stream(path, stream, limit)
            with unit_of_work(self.s, actor_id=actor_id) as uow:
                store_files.insert(
                    uow.conn,
                    id=file_id,
                    name=name,
                    size=size,
                    mime=mime,
                    sha256=sha256,
                    path=str(rel),
                    field_id=f.id,
                    created_by=actor_id,
                    created_at=uow.now,
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return {"id": file_id, "name": name, "size": size, "mime": mime}

    def get(self, file_id: str, principal: Principal = SYSTEM) -> tuple[Path, dict[str, Any]]:
        """A stored file. A member gets it when they uploaded it, or when a record they may
        read holds it in a field they see unmasked."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = store_files.get(uow.conn, file_id)
            if row is not None and not self._may_read(uow, row, principal):
                row = None
        if row is None:
            raise NotFound("file.not_found", id=file_id)
        path = self.s.settings.files_dir / row.path
        if not path.is_file():
            raise NotFound("file.not_found", id=file_id)
        return path, {"id": row.id, "name": row.name, "size": row.size, "mime": row.mime}

    @staticmethod
    def _may_read(uow: UnitOfWork, row: Any, principal: Principal) -> bool:
        """The uploader, or a reader of a live record that holds the file in a field they see
        unmasked: the field it was uploaded for first, then any other attachment field it was
        put into."""
        g = guard(uow)
        if g.unrestricted or (row.created_by is not None and row.created_by == principal.user_id):
            return True
        cat = uow.catalog
        first = cat.all_fields.get(row.field_id or 0)
        others = [
            f
            for f in cat.all_fields.values()
            if f.holds_files and f.deleted_at is None and f is not first
        ]
        for f in [first, *others] if first is not None else others:
            s = cat.schemas.get(f.table_id)
            if s is None or not g.access(s).can("read"):
                continue
            hidden, masked = g.view(s)
            if f.id in hidden or f.id in masked:
                continue
            if store_files.held_in(uow.conn, s, f, row.id, g.row_where(s)):
                return True
        return False


def attachable(uow: UnitOfWork, ids: set[str]) -> set[str]:
    """Which of ``ids`` the unit of work's principal may put into an attachment field: files
    they may read (a live record they may read holds the file in its field, which they see
    unmasked), and their own uploads no live record holds yet. Anything else is answered as
    a file that does not exist: a file id is not a key. Unrestricted principals: every
    stored file. One query for the files, one per field (per 200 files) for the records."""
    if not ids:
        return set()
    rows = store_files.rows(uow.conn, ids)
    g = guard(uow)
    if g.unrestricted:
        return {r.id for r in rows}
    me = uow.principal.user_id
    by_field: dict[int, list[Any]] = {}
    for r in rows:
        by_field.setdefault(r.field_id or 0, []).append(r)
    out: set[str] = set()
    cat = uow.catalog
    for field_id, group in by_field.items():
        f = cat.all_fields.get(field_id)
        s = cat.schemas.get(f.table_id) if f is not None else None
        if f is None or s is None:  # the field is gone: no record holds the file there
            out.update(r.id for r in group if me is not None and r.created_by == me)
            continue
        sees = g.access(s).can("read")
        if sees:
            hidden, masked = g.view(s)
            sees = f.id not in hidden and f.id not in masked
        where = g.row_where(s) if sees else sa.false()
        readable_row = sa.true() if where is None else where
        held, readable = store_files.holders(uow.conn, s, f, [r.id for r in group], readable_row)
        for r in group:
            if r.id in readable or (r.id not in held and me is not None and r.created_by == me):
                out.add(r.id)
    return out
