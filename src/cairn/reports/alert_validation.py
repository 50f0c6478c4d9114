"""An alert definition checked before it is saved: its spec computes for its owner (tables,
fields, KPI parameters, permissions) and its actions are ones an alert may run."""

from __future__ import annotations

from typing import Any

from cairn.core import FieldErrors, Forbidden, Invalid, NotFound
from cairn.reports.alert_measure import AlertMeasure, kpi_params, owner_of
from cairn.reports.alerts import ALERT_ACTIONS, TEMPLATE_NAMES, AlertIn, AlertSpec, error_text
from cairn.reports.ports import AlertActions, Transactions, Work
from cairn.store import TableSchema


class AlertValidator:
    def __init__(
        self, measure: AlertMeasure, actions: AlertActions, transactions: Transactions
    ) -> None:
        self.measure = measure
        self.actions = actions
        self.tx = transactions

    def validate(
        self, work: Work, app: str, d: AlertIn, owner_id: int | None
    ) -> tuple[AlertSpec, list[dict[str, Any]]]:
        """(the spec, the actions as stored); ``Invalid`` with the field at fault."""
        spec = d.spec()
        owner = owner_of(work.conn, owner_id)
        schema = self.check_spec(work, app, spec, owner)
        actions = self.check_actions(work, app, schema, d.actions)
        dumped = [a.model_dump(mode="json", by_alias=True, exclude_defaults=True) for a in actions]
        for raw, out in zip(actions, dumped, strict=True):
            out["type"] = raw.type
        return spec, dumped

    def check_spec(self, work: Work, app: str, spec: AlertSpec, owner: Any) -> TableSchema:
        """The spec computes for its owner; the schema of the table it reads."""
        prefix = "kpi." if spec.kpi is not None else "dataset."
        table = spec.table
        if spec.kpi is not None and table is None:  # the app's mapping of the KPI says
            mapped = kpi_params(work, app, spec).get("table")
            table = mapped if isinstance(mapped, str) else None
            if table is None:
                raise Invalid.on("kpi.params.table", "report.kpi_table")
        try:
            schema = work.catalog.table(app, table) if table else None
        except NotFound:
            raise Invalid.on(
                "kpi.params.table" if spec.kpi is not None else "dataset.table",
                "rule.table_unknown",
                table=table,
            ) from None
        try:
            self.measure.compute(self.tx.view(work, owner), app, spec)
        except NotFound as e:
            raise Invalid.on(prefix.rstrip("."), "invalid.body", detail=error_text(e)) from None
        except Forbidden:
            raise Invalid.on("owner_id", "alert.owner_forbidden") from None
        except Invalid as e:
            if any(k.startswith(("kpi", "dataset")) for k in e.field_errors):
                raise
            errors = FieldErrors()
            errors.merge(prefix, e)
            errors.raise_if_any()
            raise
        if schema is None:
            raise Invalid.on("kpi.params.table", "rule.table_unknown", table=table)
        return schema

    def check_actions(self, work: Work, app: str, schema: TableSchema, data: Any) -> list[Any]:
        actions = self.actions.parse(data)
        for i, a in enumerate(actions):
            loc = f"actions.{i}"
            if a.type not in ALERT_ACTIONS:
                raise Invalid.on(f"{loc}.type", "alert.action_type", type=a.type)
            if a.type == "notify":
                for j, r in enumerate(a.to):
                    if r.startswith("field:"):
                        raise Invalid.on(f"{loc}.to.{j}", "alert.recipient", to=r)
            if a.type == "create_record":
                for k, v in a.values.items():
                    if v.formula is not None or v.field is not None:
                        raise Invalid.on(f"{loc}.values.{k}", "alert.value_constant")
            if a.type == "start_process" and not self.actions.process_exists(app, a.process):
                raise Invalid.on(f"{loc}.process", "alert.process_unknown", process=a.process)
            self.actions.check(work, app, schema, a, loc, TEMPLATE_NAMES)
        return actions
