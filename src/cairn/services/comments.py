"""Comments on records, with @mentions.

Whoever may read a record may comment on it and read its comments; an author (or an
administrator) deletes their own. ``@username`` tokens in the body name the mentioned users:
each must be an active user, else the comment is refused with the unknown name. A new comment
emits ``comment.created`` (with the mentioned user ids) to the outbox for the rule engine, and
every mentioned user gets an in-app notification (in the same transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Entry, Principal
from cairn.auth.guard import guard
from cairn.auth.readers import record_readers
from cairn.core import Event, Forbidden, Invalid, NotFound
from cairn.services.notify import OutboundMessage
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema, system
from cairn.store import comments as store
from cairn.store import records as store_records

if TYPE_CHECKING:
    from cairn.services.context import Services

MAX_BODY = 5000
COMMENT_CREATED = "comment.created"
COMMENT_DELETED = "comment.deleted"


def readable_record(uow: UnitOfWork, app: str, table: str, record_id: int) -> TableSchema:
    """The table, once the principal may read the live record ``record_id`` (else 403 / 404)."""
    s = uow.catalog.table(app, table)
    guard(uow).require(s, "read")
    live = store_records.live_ids(uow.conn, s, [record_id])
    if not live or not guard(uow).in_scope(s, [record_id], "read"):
        raise NotFound("record.not_found", id=record_id)
    return s


class CommentService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def _readable(self, uow: UnitOfWork, app: str, table: str, record_id: int) -> TableSchema:
        return readable_record(uow, app, table, record_id)

    def list(
        self, app: str, table: str, record_id: int, principal: Principal
    ) -> list[dict[str, Any]]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = self._readable(uow, app, table, record_id)
            return [store.public(r) for r in store.for_record(uow.conn, s.id, record_id)]

    def add(
        self, app: str, table: str, record_id: int, body: Any, principal: Principal
    ) -> dict[str, Any]:
        if not isinstance(body, str) or not body.strip():
            raise Invalid.on("body", "field.required")
        body = body.strip()
        if len(body) > MAX_BODY:
            raise Invalid.on("body", "value.too_long", max=MAX_BODY)
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._readable(uow, app, table, record_id)
            names = store.mentioned_names(body)
            found = store.users_by_username(uow.conn, names)
            unknown = [n for n in names if n.lower() not in found]
            if unknown:
                raise Invalid.on("body", "comment.unknown_mention", name=unknown[0])
            mentions = [found[n.lower()].id for n in names]
            comment_id = store.insert(
                uow.conn,
                uow.now,
                table_id=s.id,
                record_id=record_id,
                author_id=principal.user_id,
                body=body,
                mentions=mentions,
            )
            uow.emit(
                Event(
                    COMMENT_CREATED,
                    s.app.id,
                    s.id,
                    record_id,
                    {"comment_id": comment_id, "mentions": mentions, "body": body},
                    actor_id=principal.user_id,
                )
            )
            uow.audit(
                Entry(
                    "comment.create",
                    "comment",
                    comment_id,
                    s.app.id,
                    s.id,
                    {"record_id": record_id, "mentions": mentions},
                )
            )
            out = store.public(store.get(uow.conn, s.id, record_id, comment_id))
            readers = set(
                record_readers(
                    uow.conn,
                    uow.catalog,
                    s,
                    self.s.clock,
                    record_id,
                    [system.users.c.id.in_(mentions)],
                )
                if mentions
                else ()
            )
            self._notify(uow, s, record_id, out, principal, readers)
            # The author learns whom the comment did not reach: mentioned users who may not
            # read the record get no notice (it would quote the comment).
            out["not_notified"] = [
                found[n.lower()].username
                for n in names
                if found[n.lower()].id not in readers and found[n.lower()].id != principal.user_id
            ]
            return out

    def delete(
        self, app: str, table: str, record_id: int, comment_id: int, principal: Principal
    ) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            s = self._readable(uow, app, table, record_id)
            row = store.get(uow.conn, s.id, record_id, comment_id)
            if row is None:
                raise NotFound("comment.not_found", id=comment_id)
            admin = principal.is_admin and not principal.read_only
            if row.author_id != principal.user_id and not admin:
                raise Forbidden("comment.not_yours")
            store.soft_delete(uow.conn, comment_id, uow.now)
            uow.emit(
                Event(
                    COMMENT_DELETED,
                    s.app.id,
                    s.id,
                    record_id,
                    {"comment_id": comment_id},
                    actor_id=principal.user_id,
                )
            )
            uow.audit(
                Entry(
                    "comment.delete",
                    "comment",
                    comment_id,
                    s.app.id,
                    s.id,
                    {"record_id": record_id},
                )
            )

    def _notify(
        self,
        uow: UnitOfWork,
        s: TableSchema,
        record_id: int,
        comment: dict[str, Any],
        principal: Principal,
        readers: set[int],
    ) -> None:
        """An in-app notice to each mentioned user who may read the record (``readers``; not
        to the author), in the comment's own transaction; one per comment and user (the
        idempotency key), so a replay adds none."""
        targets = [u for u in comment["mentions"] if u != principal.user_id]
        author = (comment["author"] or {}).get("display_name") or principal.username
        for uid in targets:
            if uid not in readers:
                continue  # the notice quotes the comment: only for who may read the record
            self.s.notify.send_in(
                uow,
                OutboundMessage(
                    channel="inapp",
                    recipients=[f"user:{uid}"],
                    subject=f"{author} @ {s.table.name} #{record_id}",
                    body=comment["body"][:500],
                    link=f"/apps/{s.app.key}/tables/{s.table.key}/records/{record_id}",
                    app_id=s.app.id,
                    table_id=s.id,
                    record_id=record_id,
                    idempotency_key=f"comment:{comment['id']}:{uid}",
                ),
            )
