"""Rule actions for the process engine's service tasks (``cairn.rules.service_actions``) with
this installation's action registry and notifier; the ports they run through are in
``services.rule_ports`` (``InlinePorts`` inside the caller's unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cairn.formula import Formula
from cairn.rules import RunContext, rule_info, service_actions
from cairn.rules.service_actions import SERVICE_ACTIONS, parse_actions
from cairn.services.rule_ports import InlinePorts, NotifierPorts, deliveries, outbound
from cairn.services.uow import UnitOfWork
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.services.context import Services

__all__ = [
    "SERVICE_ACTIONS",
    "InlinePorts",
    "NotifierPorts",
    "check_actions",
    "deliveries",
    "is_local",
    "outbound",
    "parse_actions",
    "rule_info",
    "run_action",
]


def check_actions(
    services: Services, uow: UnitOfWork, schema: TableSchema, specs: Sequence[Any], loc: str
) -> dict[str, Formula]:
    """Each action checked against the table as a rule's would be; the formulas it needs."""
    return service_actions.check_actions(
        services.registries.actions, services.notifier, uow.catalog, schema, specs, loc
    )


def is_local(services: Services, spec: Any) -> bool:
    """Does the action's effect stay in the database (it can commit with the caller)?"""
    return service_actions.is_local(services.registries.actions, spec)


def run_action(
    services: Services, spec: Any, ctx: RunContext, ports: Any, key: str, also: Any
) -> dict[str, Any]:
    """One action: resolved for this record, then done through ``ports``."""
    return service_actions.run_action(services.registries.actions, spec, ctx, ports, key, also)
