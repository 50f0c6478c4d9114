"""What every rule action shares: the check context (``ActionCheck``: a spec checked against the
catalogue when a rule is saved), the run context (``RunContext``: one run over one record), the
base class (``ActionType``: ``check``, ``resolve``, ``apply``) and the registry by ``action.type``.
The built-in actions are assembled in ``actions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from cairn.core import Registry
from cairn.formula import Formula
from cairn.query.formula import compile_text
from cairn.rules.ports import Also, RulePorts, Saving
from cairn.store.catalog import Catalog, TableSchema


@dataclass
class ActionCheck:
    catalog: Catalog
    schema: TableSchema  # the rule's table
    app: str
    loc: str
    channels: tuple[str, ...] = ()
    check_template: Any = None  # (template, loc) -> None
    #: name → formula over the rule's table, filled by the checks
    formulas: dict[str, Formula] = field(default_factory=dict)
    #: Given when a rule is saved: recipients are checked against the users and roles.
    saving: Saving | None = None

    def formula(self, name: str, text: str, loc: str) -> Formula:
        f = compile_text(self.catalog, self.schema, text, loc)
        self.formulas[name] = f
        return f


@dataclass
class RunContext:
    """One run over one record: what ``resolve`` reads."""

    rule: dict[str, Any]  # id, key, name, app, table, owner_id, secret
    record_id: int | None
    record: dict[str, Any]  # the record as the API shows it (to its owner)
    values: dict[str, Any]  # formula results by name
    index: int  # the action's position
    #: Where a message comes from, kept with its deliveries (``rule_id``, ``run_id``); empty
    #: in a dry run and for alerts.
    origin: dict[str, Any] = field(default_factory=dict)


class ActionType:
    key: ClassVar[str]
    model: ClassVar[type]
    #: the effect stays inside the database (written in the same transaction as its mark)
    local: ClassVar[bool] = True

    def check(self, spec: Any, c: ActionCheck) -> None: ...

    def resolve(self, spec: Any, c: RunContext, ports: RulePorts) -> dict[str, Any]:
        return {}

    def apply(
        self, spec: Any, effect: dict[str, Any], ports: RulePorts, key: str, also: Also
    ) -> dict[str, Any]:
        return {}


class ActionRegistry(Registry[ActionType]):
    def __init__(self) -> None:
        super().__init__("action")

    def of(self, spec: Any) -> ActionType:
        return self.get(spec.type)
