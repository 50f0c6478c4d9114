"""Uploaded files: checked against the attachment field's limits, stored under the data directory."""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cairn.core import Invalid, NotFound
from cairn.meta.fieldtypes.files import AttachmentOptions, accepts
from cairn.services.uow import unit_of_work
from cairn.store import files as store_files

if TYPE_CHECKING:
    from cairn.services.context import Services

CHUNK = 1 << 20


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
    ) -> dict[str, Any]:
        """Store one file for an attachment field; streams to disk and stops at the size limit."""
        with unit_of_work(self.s, write=False) as uow:
            s = uow.catalog.table(app, table)
            f = s.by_key.get(field)
            if f is None or f.type != "attachment":
                raise NotFound("field.not_found", field=field)
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
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise Invalid.on("file", "file.too_large", size=size, max=limit)
                    digest.update(chunk)
                    out.write(chunk)
            with unit_of_work(self.s, actor_id=actor_id) as uow:
                store_files.insert(
                    uow.conn,
                    id=file_id,
                    name=name,
                    size=size,
                    mime=mime,
                    sha256=digest.hexdigest(),
                    path=str(rel),
                    field_id=f.id,
                    created_by=actor_id,
                    created_at=uow.now,
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return {"id": file_id, "name": name, "size": size, "mime": mime}

    def get(self, file_id: str) -> tuple[Path, dict[str, Any]]:
        with unit_of_work(self.s, write=False) as uow:
            row = store_files.get(uow.conn, file_id)
        if row is None:
            raise NotFound("file.not_found", id=file_id)
        path = self.s.settings.files_dir / row.path
        if not path.is_file():
            raise NotFound("file.not_found", id=file_id)
        return path, {"id": row.id, "name": row.name, "size": row.size, "mime": row.mime}
