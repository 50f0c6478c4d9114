"""A person's inbox (待办): the boxes of tasks they page through (``mine``, ``claimable``,
``overdue``, ``done``), each page one indexed query (``listings``). The API's filters are read
here (keys to ids, local dates to UTC instants); a page comes with its total, and every box
with its count. Who may open an inbox is checked by the caller."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cairn.core import Invalid, NotFound
from cairn.process import listings, views
from cairn.process.mirror import groups
from cairn.process.ports import Work
from cairn.query.relative_dates import local_midnight_utc
from cairn.store import users as store_users

#: Most tasks one page shows.
MAX_PAGE = 200
BOXES = ("mine", "claimable", "overdue", "done")


def check_box(box: str) -> None:
    if box not in BOXES:
        raise Invalid.on("box", "task.box_unknown", box=box)


def table_keys(work: Work, table_ids: set[int | None]) -> dict[str, Any]:
    """App keys (of every live app) and the keys of these tables, by id."""
    tables = {}
    for tid in table_ids:
        if tid is not None:
            try:
                tables[tid] = work.catalog.schema(tid).table.key
            except NotFound:  # a table deleted since (its tasks and instances still list)
                continue
    return {"apps": {a.id: a.key for a in work.catalog.live_apps()}, "tables": tables}


def read_filters(work: Work, filters: dict[str, Any]) -> dict[str, Any]:
    """The API's filters as ``listings.inbox`` takes them: keys to ids, local dates to UTC
    instants (``until`` is inclusive: up to the end of that day)."""
    f = {k: v for k, v in filters.items() if v not in (None, "")}
    app = f.pop("app", None)
    table = f.pop("table", None)
    if table and not app:
        raise Invalid.on("table", "task.table_needs_app")
    if app:
        f["app_id"] = work.catalog.app(app).id
    if table:
        f["table_id"] = work.catalog.table(app, table).id
    tz = work.catalog.ctx.timezone
    if "since" in f:
        f["since"] = local_midnight_utc(f["since"], tz)
    if "until" in f:
        f["until"] = local_midnight_utc(f["until"] + timedelta(days=1), tz)
    if isinstance(f.get("q"), str):
        f["q"] = f["q"].strip()[:100]
    return f


def page(
    work: Work, user_id: int, box: str, filters: dict[str, Any], limit: int, offset: int
) -> dict[str, Any]:
    """One page of ``box`` of user ``user_id`` (the unit of work's principal) with the
    filters, and ``total``: how many the box holds with them."""
    check_box(box)
    limit = max(1, min(limit, MAX_PAGE))
    f = read_filters(work, filters)
    p = work.principal
    candidate_of = groups(work.conn, user_id, p.is_admin) if box == "claimable" else []
    now = work.now
    rows = listings.inbox(work.conn, box, user_id, candidate_of, now, f, limit, offset)
    if len(rows) < limit and (rows or offset == 0):
        total = offset + len(rows)  # the last page: no count needed
    else:
        total = listings.inbox_total(work.conn, box, user_id, candidate_of, now, f)
    keys = table_keys(work, {r.table_id for r in rows})
    names = store_users.display_names(work.conn, {r.assignee_id for r in rows})
    items = [views.inbox_item(r, now, keys, names) for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def counts(work: Work, user_id: int) -> dict[str, int]:
    """How many tasks each box of user ``user_id`` (the unit of work's principal) holds."""
    candidate_of = groups(work.conn, user_id, work.principal.is_admin)
    return {
        box: listings.inbox_count(work.conn, box, user_id, candidate_of, work.now) for box in BOXES
    }
