"""The "find duplicates" run over a whole table, one step at a time (the services run each
step in its own transaction and loop over them on the worker: ``services.identity_jobs``).

A run files every live record of the table under its rules' blocks, in id order and in
batches of ``BATCH``, and matches each batch against what is filed so far (``Resolver``): a
pair is found when its second record's batch runs, because the first is filed by then, so
each block's pairs are scored and no other pair ever is. Each batch also moves the job's
``done`` on, so a run that stopped resumes after the last committed batch; a cancel request
stops it before its next batch. A fresh run first drops the table's blocks, so the index is
rebuilt from the records as they are now (after a rule change, or when blocks were lost)."""

from __future__ import annotations

from typing import Any

from cairn.core import NotFound
from cairn.identity.ports import Work
from cairn.identity.resolve import Resolver
from cairn.store import identity as store
from cairn.store import identity_jobs as job_rows

#: Records filed and matched per transaction.
BATCH = 2_000
#: What a step says: the run goes on, or how it ended.
RUNNING = "running"


def begin(work: Work, job_id: int) -> int | None:
    """The id after which the run goes on: 0 for a fresh run (whose table's blocks are
    dropped first), the last committed batch's last record for a resumed one; None when the
    job is gone."""
    row = job_rows.job(work.conn, job_id)
    if row is None:
        return None
    s = work.catalog.schemas.get(row.table_id)
    if s is None:
        raise NotFound("table.not_found", table=row.table_id)
    values: dict[str, Any] = {"heartbeat_at": work.now}
    if row.started_at is None:
        for rule in store.rules(work.conn, s.id):
            store.drop_rule_blocks(work.conn, rule.id)
        values.update(started_at=work.now, total=store.live_count(work.conn, s), done=0)
        after = 0
    else:
        after = store.live_id_at(work.conn, s, row.done)
    job_rows.update_job(work.conn, job_id, **values)
    return after


def step(work: Work, job_id: int, after: int) -> tuple[str, int]:
    """File and match the next batch after record ``after``: (``RUNNING``, the batch's last
    id), or the run's end (``done``, ``cancelled``, ``missing``) and ``after`` unchanged."""
    row = job_rows.job(work.conn, job_id)
    if row is None:
        return "missing", after
    if row.cancel_requested:
        job_rows.update_job(
            work.conn, job_id, status="cancelled", finished_at=work.now, claimed_by=None
        )
        return "cancelled", after
    s = work.catalog.schemas[row.table_id]
    resolver = Resolver(work)
    rules = resolver.rules(s)
    ids = store.live_ids_after(work.conn, s, after, BATCH) if rules else []
    if not ids:
        job_rows.update_job(
            work.conn,
            job_id,
            status="done",
            finished_at=work.now,
            claimed_by=None,
            total=max(row.total or 0, row.done),
        )
        return "done", after
    found = resolver.resolve(s, rules, ids, replace=True)
    batches = row.done // BATCH + 1
    if batches & (batches - 1) == 0:  # after batches 1, 2, 4, 8 ...: the index grew
        store.analyze_blocks(work.conn)
    job_rows.update_job(
        work.conn,
        job_id,
        done=row.done + len(ids),
        found=row.found + found.found,
        heartbeat_at=work.now,
    )
    return RUNNING, ids[-1]
