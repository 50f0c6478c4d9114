"""Where each row of a batch goes: the rows' keys coerced, the batch cut where a key
repeats, each row matched (by its unique key, or by One-ID in mode ``match``) and sorted
into create, update, skip or refuse by the job's mode, and the writes tried through
``ports.Records.write``: a row the write refuses is taken out and the rest tried again.

A dry run's batches are rolled back, so a key created in batch 1 is not in the table when
batch 9 repeats it: the placement remembers the hashes of the keys the dry run "created" (a
set of ints, not the values: a million keys stay small) and counts such a row as the run
will do it.
"""

from __future__ import annotations

from typing import Any

from cairn.core import Message
from cairn.imports import matching
from cairn.imports.outcome import Outcome, groups
from cairn.imports.ports import Records
from cairn.imports.reasons import Reasons
from cairn.imports.rows import Built
from cairn.meta import BadValue, Field
from cairn.store import TableSchema

Write = tuple[Built, dict[str, Any], str]


class Placement:
    """The rows of one job's batches into outcomes, by the job's mode and key."""

    def __init__(self, mode: str, key: str | None, reasons: Reasons, *, dry: bool) -> None:
        self.mode = mode
        self.key = key
        self.reasons = reasons
        self.dry = dry
        #: The hashes of the keys an earlier (rolled-back) dry-run batch created.
        self.dry_created: set[int] = set()

    def place(self, s: TableSchema, records: Records, built: list[Built], out: Outcome) -> Outcome:
        """Write ``built`` through ``records``; ``out`` with every row's outcome."""
        good: list[Built] = []
        for b in built:
            if b.reasons:
                out.add(b, "refused", "; ".join(b.reasons))
            else:
                good.append(b)
        key = s.by_key.get(self.key) if self.key else None
        if key is not None:
            good = self._keys(s, key, good, out)
        for group in groups(good):
            self._group(s, records, key, group, out)
        return out.in_file_order()

    def committed(self, out: Outcome) -> None:
        """A dry-run batch was counted: its created keys are found by the later batches."""
        self.dry_created.update(hash(k) for k in out.created_keys)

    def dry_hit(self, kv: Any) -> bool:
        """In a dry run: the key was created by an earlier (rolled-back) batch, so the run
        will find the record this row's key names."""
        return self.dry and kv is not None and hash(kv) in self.dry_created

    def _keys(self, s: TableSchema, key: Field, rows: list[Built], out: Outcome) -> list[Built]:
        """Each row's key value as stored (``Built.key``); a row whose key the field refuses
        is refused here."""
        coerce = s.coercers[key.id]
        kept: list[Built] = []
        for b in rows:
            if key.key in b.item:
                try:
                    b.key = coerce(b.item[key.key])
                except BadValue as e:
                    out.add(b, "refused", self.reasons.reason(e.message, key))
                    continue
            kept.append(b)
        return kept

    def _group(
        self,
        s: TableSchema,
        records: Records,
        key: Field | None,
        group: list[Built],
        out: Outcome,
    ) -> None:
        if self.mode == matching.MODE:
            self._group_by_match(s, records, group, out)
            return
        found: dict[Any, tuple[int, int]] = {}
        if key is not None:
            found = records.existing(key, [b.key for b in group if b.key is not None])
        writes: list[Write] = []
        for b in group:
            kv = b.key
            hit = found.get(kv) if kv is not None else None
            if hit is None and self.dry_hit(kv):
                self._dry_repeat(b, writes, out)
                continue
            if self.mode == "insert":
                if hit is not None:
                    out.add(b, "skipped", self.reasons.reason(Message("import.exists", {})))
                else:
                    writes.append((b, b.item, "created"))
            elif hit is not None:
                writes.append((b, {**b.item, "id": hit[0], "version": hit[1]}, "updated"))
            elif self.mode == "update":
                why = "import.no_match" if kv is not None else "import.key_empty"
                out.add(b, "skipped", self.reasons.reason(Message(why, {})))
            else:
                writes.append((b, b.item, "created"))
        if writes:
            self._write(s, records, writes, out)

    def _group_by_match(
        self, s: TableSchema, records: Records, group: list[Built], out: Outcome
    ) -> None:
        """Upsert by One-ID match (``matching``); a row matching a record another row of
        this group updates already waits, and is matched again after that write."""
        writes: list[Write] = []
        later: list[Built] = []
        taken: set[int] = set()
        for b, hit, why in matching.matched(group, records.candidates, records.updatable):
            if why is not None:
                out.add(b, "refused", self.reasons.reason(why))
            elif hit is None:
                writes.append((b, b.item, "created"))
            elif hit[0] in taken:
                later.append(b)
            else:
                taken.add(hit[0])
                writes.append((b, {**b.item, "id": hit[0], "version": hit[1]}, "updated"))
        if writes:
            self._write(s, records, writes, out)
        if later:
            self._group_by_match(s, records, later, out)

    def _dry_repeat(self, b: Built, writes: list[Write], out: Outcome) -> None:
        """A row whose key an earlier dry-run batch created: counted as the run will do it
        (insert only: skipped; upsert: updated). The record is not in this transaction, so
        the row's values are checked by writing it as a new record (the field checks are
        the same; a required field the earlier row filled is asked of this row too)."""
        if self.mode == "insert":
            out.add(b, "skipped", self.reasons.reason(Message("import.exists", {})))
        else:
            writes.append((b, b.item, "updated"))

    def _write(self, s: TableSchema, records: Records, writes: list[Write], out: Outcome) -> None:
        """Write through the bulk path; a row it refuses is taken out and the rest tried
        again (each try leaves nothing of itself when refused)."""
        pending = writes
        while pending:
            refusal = records.write([w[1] for w in pending])
            if refusal is not None:
                bad = self.reasons.refused_rows(s, refusal, len(pending))
                if not bad:
                    raise refusal
                for i in sorted(bad):
                    out.add(pending[i][0], "refused", bad[i])
                pending = [w for i, w in enumerate(pending) if i not in bad]
                continue
            for b, _, outcome in pending:
                out.add(b, outcome)
            return
