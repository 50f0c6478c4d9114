"""What saving a rule checks: its table, each part against the catalogue (every error at once,
each at its dotted location), and what only a save checks (``ports.Saving``: the schedule fires
from now on; the users and roles that recipients name exist), read from ``cairn.auth`` in the
saving transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from cairn.auth import roles
from cairn.auth import users as auth_users
from cairn.core import Invalid, NotFound
from cairn.rules.draft import parse_draft
from cairn.rules.ports import Work
from cairn.rules.spec import RuleIn, RuleSpec
from cairn.store import scores as score_rows
from cairn.store import segments as segment_rows
from cairn.store import tags as store_tags
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine


class AuthSaving:
    """``ports.Saving`` inside the unit of work that saves a rule."""

    def __init__(self, work: Work) -> None:
        self.work = work

    @property
    def now(self) -> datetime:
        return self.work.now

    def user_exists(self, ref: str) -> bool:
        try:
            row = auth_users.resolve(self.work.conn, ref)
        except NotFound:
            return False
        return bool(row.status == "active")

    def role_exists(self, key: str) -> bool:
        try:
            roles.by_ref(self.work.conn, key)
        except NotFound:
            return False
        return True

    def tags_exist(self, app_id: int, ids: Sequence[int]) -> set[int]:
        return set(store_tags.by_ids(self.work.conn, app_id, list(ids)))

    def segment_on_table(self, segment_id: int, table_id: int) -> bool:
        row = segment_rows.get(self.work.conn, segment_id)
        return row is not None and row.table_id == table_id

    def score_model_on_table(self, model_id: int, table_id: int) -> bool:
        row = score_rows.model(self.work.conn, model_id)
        return row is not None and row["table_id"] == table_id


def table_of(work: Work, app: str, table: str) -> TableSchema:
    """The rule's table; ``Invalid`` at ``table`` when the app has none by that key."""
    try:
        return work.catalog.table(app, table)
    except NotFound:
        raise Invalid.on("table", "rule.table_unknown", table=table) from None


def checked(engine: RuleEngine, work: Work, app: str, data: RuleIn) -> tuple[TableSchema, RuleSpec]:
    """A rule about to be saved, checked part by part: every error at once (``Invalid`` with
    a dotted location each), with what only a save checks."""
    schema = table_of(work, app, data.table)
    draft = parse_draft(data.spec_data())
    engine.check(work, schema, draft, AuthSaving(work)).errors.raise_if_any()
    return schema, draft.spec()
