"""Rules: the use cases (list, get, create, update, delete, runs, dry run, forecast, scan, the
inbound webhook, app packages). Each opens its unit of work and checks that the caller manages
the app; the logic is the rule engine's: definitions (``rules/definitions.py``), the editor's
drafts (``rules/drafts.py``), the run log (``rules/runs.py``), the inbound webhook
(``rules/inbound.py``), and the engine that runs rules, ``rules.runner.RuleEngine``
(``services.rule_engine``, over the ports in ``services.rule_ports``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import Principal, manages_app
from cairn.core import Forbidden, parse_model
from cairn.rules import Compiled, RuleIn, RuleSpec, definitions, drafts, runs
from cairn.rules.inbound import hooked
from cairn.services.uow import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from cairn.services.context import Services

#: Imported from here by other services (``services.alerts``, ``services.service_tasks``).
__all__ = ["RuleService"]


class RuleService:
    def __init__(self, services: Services) -> None:
        self.s = services

    # -- checks ------------------------------------------------------------------------------
    def _require(self, uow: UnitOfWork, app_id: int) -> None:
        if not manages_app(uow.conn, uow.principal, app_id):
            raise Forbidden("auth.forbidden")

    def _managed(self, uow: UnitOfWork, app: str) -> int:
        """The app's id, once the caller is known to manage it."""
        app_id = uow.catalog.app(app).id
        self._require(uow, app_id)
        return app_id

    def _row(self, uow: UnitOfWork, app: str, rule_id: int) -> Any:
        return definitions.row(uow, self._managed(uow, app), rule_id)

    def compile(self, uow: UnitOfWork, row: Any, spec: RuleSpec | None = None) -> Compiled:
        """Check a rule against the catalogue (``RuleEngine.compile``)."""
        spec = spec or parse_model(RuleSpec, row["spec"])
        return self.s.rule_engine.compile(uow, row, spec)

    # -- CRUD --------------------------------------------------------------------------------
    def list(self, principal: Principal, app: str) -> list[dict[str, Any]]:
        """The app's rules, each with its latest run (``definitions.listed``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return definitions.listed(uow, self._managed(uow, app))

    def get(self, principal: Principal, app: str, rule_id: int) -> dict[str, Any]:
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            return definitions.public(uow, self._row(uow, app, rule_id))

    def create(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        d = parse_model(RuleIn, data)
        with unit_of_work(self.s, principal=principal) as uow:
            app_id = self._managed(uow, app)
            rule_id = self.create_in(uow, app, d)
            return definitions.public(uow, definitions.row(uow, app_id, rule_id), reveal=True)

    def create_in(self, uow: UnitOfWork, app: str, d: RuleIn, owner_id: int | None = None) -> int:
        return definitions.create(self.s.rule_engine, uow, app, d, owner_id)

    def update(self, principal: Principal, app: str, rule_id: int, data: Any) -> dict[str, Any]:
        d, version = definitions.parse_change(data)
        with unit_of_work(self.s, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            return definitions.change(self.s.rule_engine, uow, app, row, d, version)

    def rotate_secret(self, principal: Principal, app: str, rule_id: int) -> dict[str, Any]:
        """A new secret for an inbound-webhook rule, shown this once; audit-logged."""
        with unit_of_work(self.s, principal=principal) as uow:
            return definitions.rotate_secret(uow, self._row(uow, app, rule_id))

    def delete(self, principal: Principal, app: str, rule_id: int) -> None:
        with unit_of_work(self.s, principal=principal) as uow:
            self._row(uow, app, rule_id)
            definitions.delete(uow, rule_id)

    def runs(
        self,
        principal: Principal,
        app: str,
        rule_id: int,
        limit: int = 50,
        before: int | None = None,
        **filters: Any,
    ) -> dict[str, Any]:
        """The run log, newest first, filtered (``runs.page``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            row = self._row(uow, app, rule_id)
            return runs.page(self.s.rule_engine, uow, row, limit, before, **filters)

    # -- dry run and forecast ------------------------------------------------------------------
    def test(self, principal: Principal, app: str, rule_id: int, record_id: int) -> dict[str, Any]:
        """What the rule would do for ``record_id``, without doing it."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            c = self.compile(uow, self._row(uow, app, rule_id))
        return drafts.dry_run(self.s.rule_engine, c, record_id)

    def forecast(self, principal: Principal, app: str, rule_id: int, days: int) -> dict[str, Any]:
        """The firings a date, schedule or inactivity rule has coming in the next ``days``."""
        drafts.check_days(days)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            c = self.compile(uow, self._row(uow, app, rule_id))
            return drafts.forecast(self.s.rule_engine, uow, c, days)

    # -- drafts (the editor, before saving) -----------------------------------------------------
    def validate(self, principal: Principal, app: str, data: Any) -> dict[str, Any]:
        """A draft checked as a save would check it (``drafts.validate``)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            app_id = self._managed(uow, app)
            return drafts.validate(self.s.rule_engine, uow, app, app_id, data)

    def dry_run_draft(
        self, principal: Principal, app: str, rule: Any, record_id: int
    ) -> dict[str, Any]:
        """What a draft would do for ``record_id`` (``test`` before saving)."""
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._managed(uow, app)
            c = drafts.compiled(self.s.rule_engine, uow, app, rule)
        return drafts.dry_run(self.s.rule_engine, c, record_id)

    def forecast_draft(
        self, principal: Principal, app: str, rule: Any, days: int
    ) -> dict[str, Any]:
        """A draft's firings in the next ``days``, as if it were saved and enabled now (a rule
        being edited keeps its enable point and what it already fired)."""
        drafts.check_days(days)
        with unit_of_work(self.s, write=False, principal=principal) as uow:
            self._managed(uow, app)
            c = drafts.compiled(self.s.rule_engine, uow, app, rule)
            return drafts.forecast(self.s.rule_engine, uow, c, days, "rule.trigger")

    def scan(self) -> dict[str, int]:
        """Fire what date, schedule and inactivity rules have due, resume finished waits
        (``RuleEngine.scan``: run by one periodic job every minute)."""
        return self.s.rule_engine.scan()

    # -- inbound webhook ---------------------------------------------------------------------
    def inbound(self, rule_id: int, secret: str, body: Any) -> dict[str, Any]:
        """A JSON delivery to a webhook rule: a record created or updated (as the rule's owner)
        and the rule's actions run on it (``inbound.receive``). Wrong secret or rule: not found
        (nothing told)."""
        with unit_of_work(self.s, write=False) as uow:
            c = self.compile(uow, hooked(uow, rule_id, secret))
        return self.s.rule_engine.receive(c, body)

    # -- app packages ------------------------------------------------------------------------
    def export_in(self, uow: UnitOfWork, app: str) -> list[dict[str, Any]]:
        return definitions.export(uow, app)

    def import_in(self, uow: UnitOfWork, app: str, items: Any) -> None:
        definitions.import_all(self.s.rule_engine, uow, app, items)
