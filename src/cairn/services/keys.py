"""Key rotation for sensitive fields (``cairn keys rotate``).

Every sensitive value is re-encrypted under the ring's first key and its blind index is
recomputed under the ring's index key, batch by batch, each batch its own transaction, so the
job can be stopped and run again: a rerun writes only what is not yet under the current key or
carries a stale index. A row changed meanwhile is left for the next run (the update matches the
ciphertext it read). Rotation is not a change of the record: no version, history or event.

Retiring a key: put the new key first (``k2:…,k1:…``) and rotate; the values are then under k2,
but the index key still derives from the last key of the ring, k1. Removing k1 changes the index
key, so run ``rotate`` once more right after (equality search on sensitive fields misses until
it has finished)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.core import Invalid
from cairn.services.channels import rotate_secrets
from cairn.services.uow import unit_of_work
from cairn.store.sensitive import Sealer, rotate_batch

if TYPE_CHECKING:
    from cairn.services.context import Services


@dataclass
class RotationReport:
    fields: int = 0
    scanned: int = 0
    reencrypted: int = 0
    reindexed: int = 0
    skipped: int = 0
    #: Channel configs whose secrets were re-encrypted.
    channels: int = 0
    per_field: dict[str, dict[str, int]] = field(default_factory=dict)


def rotate(
    services: Services,
    *,
    batch: int = 500,
    progress: Callable[[str, dict[str, int]], Any] | None = None,
) -> RotationReport:
    ring = services.field_ctx.keyring
    if ring is None:
        raise Invalid.on("keys", "keys.none")
    report = RotationReport()
    with unit_of_work(services, write=False) as uow:
        cat = uow.catalog
        # Fields in the recycle bin keep their column (and ciphertext) until purged.
        targets = [
            (cat.schemas[f.table_id], f)
            for f in sorted(cat.all_fields.values(), key=lambda f: f.id)
            if f.sensitive and f.table_id in cat.schemas
        ]
    for schema, f in targets:
        ft = cat.field_types.get(f.type)
        if not ft.encryptable:
            continue
        sealer = Sealer(f, ft, ring)
        counts = {"scanned": 0, "reencrypted": 0, "reindexed": 0, "skipped": 0}
        last: int | None = 0
        while True:
            with unit_of_work(services) as uow:
                last = rotate_batch(
                    uow.conn, schema.table.sql_name, f, sealer, ring, last or 0, batch, counts
                )
            if last is None:
                break
            if progress is not None:
                progress(f"{schema.table.key}.{f.key}", dict(counts))
        report.fields += 1
        report.per_field[f"{schema.app.key}.{schema.table.key}.{f.key}"] = counts
        for k in ("scanned", "reencrypted", "reindexed", "skipped"):
            setattr(report, k, getattr(report, k) + counts[k])
    report.channels = rotate_secrets(services, ring)
    return report
