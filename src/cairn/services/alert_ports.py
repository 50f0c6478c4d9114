"""The report engine's alert ports (``reports/ports.py``) over the services: units of work
and the rule engine's actions (datasets read with a principal's permissions:
``report_ports.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cairn.auth import SYSTEM, Principal
from cairn.reports import parse_model
from cairn.reports.ports import Done
from cairn.rules import ActionCheck, ActionRegistry, RunContext
from cairn.rules.spec import Action
from cairn.services.rule_ports import ServicePorts
from cairn.services.uow import UnitOfWork, unit_of_work
from cairn.store import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services


class _Actions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actions: list[Annotated[Action, Field(discriminator="type")]]


class UnitsOfWork:
    """``reports.ports.Transactions``: the services' units of work."""

    def __init__(self, services: Services) -> None:
        self.s = services

    @contextmanager
    def unit(self, *, write: bool = True, principal: Principal | None = None) -> Iterator[Any]:
        with unit_of_work(self.s, write=write, principal=principal or SYSTEM) as uow:
            yield uow

    def view(self, work: Any, principal: Principal) -> UnitOfWork:
        """A read view of ``work`` (its connection and catalogue: what it wrote so far) for
        another principal (an app package's alerts are checked before its app commits)."""
        view = work.viewed_as(principal)
        view.now = work.now
        return view


class _Bound:
    """``reports.ports.BoundActions`` over the rule engine's action types."""

    def __init__(self, actions: ActionRegistry, ports: ServicePorts) -> None:
        self.actions = actions
        self.ports = ports

    def preview(self, action: Any, index: int, info: dict[str, Any], record: dict[str, Any]) -> Any:
        ctx = RunContext(info, None, record, {}, index)
        return self.actions.of(action).resolve(action, ctx, self.ports)

    def run(
        self,
        action: Any,
        index: int,
        info: dict[str, Any],
        created: int | None,
        record: dict[str, Any],
        key: str,
        done: Done,
    ) -> None:
        at = self.actions.of(action)

        def also(uow: UnitOfWork, result: Any = None) -> None:
            if result is None:  # a record write: the records it wrote
                result = {"records": [e.record_id for e in uow.events][:1]}
            done(uow, result)

        effect = at.resolve(action, RunContext(info, created, record, {}, index), self.ports)
        at.apply(action, effect, self.ports, key, also)


class RuleActions:
    """``reports.ports.AlertActions``: the rule engine's actions, for alerts."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def parse(self, data: Any) -> list[Any]:
        return parse_model(_Actions, {"actions": data}).actions

    def check(
        self,
        work: Any,
        app: str,
        schema: TableSchema,
        action: Any,
        loc: str,
        names: Sequence[str],
    ) -> None:
        notifier = self.s.notifier

        def check_template(text: str, loc: str, known: Any = None) -> None:
            notifier.check_template(text, loc, names)

        c = ActionCheck(work.catalog, schema, app, loc, tuple(notifier.channels()), check_template)
        self.s.registries.actions.of(action).check(action, c)

    def process_exists(self, app: str, key: str) -> bool:
        return ServicePorts(self.s, SYSTEM, {}).process_exists(app, key)

    def bound(self, principal: Principal, meta: dict[str, Any]) -> _Bound:
        return _Bound(self.s.registries.actions, ServicePorts(self.s, principal, meta))
