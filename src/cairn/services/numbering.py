"""Numbering rules (流水号) of auto-number fields: the preview a field's settings show, the
number the next record would get with the options being edited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.core import Invalid, NotFound
from cairn.meta import format_number, local_day, numbering_period
from cairn.services.uow import unit_of_work
from cairn.store.numbering import peek_number

if TYPE_CHECKING:
    from cairn.services.context import Services


class NumberingService:
    def __init__(self, services: Services) -> None:
        self.s = services

    def preview_number(
        self,
        app_key: str,
        table_key: str,
        options: Any,
        field_key: str | None = None,
        principal: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """The next number with ``options`` (checked as an auto-number field's: 422 naming the
        option at fault), today in the installation's timezone: from the counter of
        ``field_key`` when it names an auto-number field of the table, else the first one."""
        if not isinstance(options, dict):
            raise Invalid.on("options", "invalid.object")
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            s = uow.catalog.table(app_key, table_key)
            checked = self.s.field_types.get("auto_number").validate_options(options)
            start = checked.get("start", 1)
            day = local_day(uow.now, uow.catalog.ctx.timezone)
            period = numbering_period(checked, day)
            n = start
            if field_key is not None:
                f = s.by_key.get(field_key)
                if f is None or not s.type_of(f).sequenced:
                    raise NotFound("field.not_found", field=field_key)
                n = peek_number(uow.conn, f.id, period, start)
            return {"next": format_number(checked, n, day), "period": period, "day": str(day)}
