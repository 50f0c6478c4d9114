"""The preview of a One-ID merge: per field both values, the proposal and where it comes
from; per related table what would move. Values as the principal reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import NotFound
from cairn.identity.merge_plan import VALUE, merged_fields, plan
from cairn.services.merge_pairs import checked_pair, pair_ids
from cairn.services.uow import unit_of_work
from cairn.store.merge_moves import related

if TYPE_CHECKING:
    from cairn.services.context import Services


class MergePreviews:
    s: Services

    # -- preview --------------------------------------------------------------------------
    def preview(
        self,
        app: str,
        table: str,
        survivor_id: Any,
        loser_id: Any,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Per field: both values, the proposed value and its origin; per related table: how
        many of the loser's records move. Values as the principal reads them."""
        sid, lid = pair_ids(survivor_id, loser_id)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app, table)
            checked_pair(uow, s, sid, lid, lock=False)
            rows = {r["id"]: r for r in self.s.records.read_rows(uow, s, [sid, lid])}
            sv, lv = rows.get(sid), rows.get(lid)
            if sv is None or lv is None:
                raise NotFound("record.not_found", id=sid if sv is None else lid)
            proposals = plan(s, sv, lv).proposals
            fields = []
            for f, kind in merged_fields(s):
                p = proposals.get(f.key)
                if p is None:
                    continue
                fields.append(
                    {
                        "key": f.key,
                        "label": f.name,
                        "type": f.type,
                        "merge": kind,
                        "survivor": sv[f.key],
                        "loser": lv[f.key],
                        "proposed": p.value,
                        "origin": p.origin,
                        "choosable": kind == VALUE,
                    }
                )
            return {
                "survivor": {"id": sid, "version": sv["version"]},
                "loser": {"id": lid, "version": lv["version"]},
                "fields": fields,
                "related": related(uow.conn, uow.catalog, s, lid, sid),
            }
