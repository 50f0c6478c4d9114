"""A rule's spec parsed part by part (the trigger, the condition, each action), so that a draft
with a bad action still has its trigger checked, and every error is named by a dotted location
of the input (``trigger.cron``, ``actions.2.to.0``): what the editor puts each message under.

Pydantic names a member of a tagged union by its tag (``trigger.date.field``); the tag is taken
out here, since the input has no such level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from cairn.core import FieldErrors, Message
from cairn.rules.spec import Action, RuleSpec, Trigger

_TRIGGER: TypeAdapter[Any] = TypeAdapter(Annotated[Trigger, Field(discriminator="type")])
_ACTION: TypeAdapter[Any] = TypeAdapter(Annotated[Action, Field(discriminator="type")])
#: Most actions a rule may have (``RuleSpec.actions``).
MAX_ACTIONS = 20


@dataclass
class Draft:
    """The parts that parsed (None: that part has errors in ``errors``)."""

    trigger: Any = None
    condition: str | None = None
    actions: list[Any] = field(default_factory=list)
    errors: FieldErrors = field(default_factory=FieldErrors)

    @property
    def complete(self) -> bool:
        return not self.errors and self.trigger is not None and None not in self.actions

    def spec(self) -> RuleSpec:
        """The whole spec (only when ``complete``)."""
        return RuleSpec(trigger=self.trigger, condition=self.condition, actions=self.actions)

    @classmethod
    def of(cls, spec: RuleSpec) -> Draft:
        return cls(spec.trigger, spec.condition, list(spec.actions))


def _add(errors: FieldErrors, prefix: str, e: ValidationError, tag: Any) -> None:
    for err in e.errors():
        loc = [str(x) for x in err["loc"]]
        if loc and isinstance(tag, str) and loc[0] == tag:
            loc = loc[1:]  # the union member's tag
        if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc = [*loc, "type"]  # no such type (or none): said of the type
        errors.add(".".join([prefix, *loc]), _message(err))


def _message(err: Any) -> Message:
    kind = err.get("type", "")
    if kind == "union_tag_invalid":
        return Message("rule.type_unknown", {"type": str(err.get("input", {}).get("type", ""))})
    if kind == "union_tag_not_found":
        return Message("field.required")
    if kind == "missing":
        return Message("field.required")
    if kind == "extra_forbidden":
        return Message("invalid.extra", {"key": str((err.get("loc") or ("",))[-1])})
    return Message("invalid.body", {"detail": err.get("msg", "invalid")})


def parse_draft(data: dict[str, Any]) -> Draft:
    """``{trigger, condition, actions}`` parsed part by part."""
    d = Draft()
    trigger = data.get("trigger")
    if not isinstance(trigger, dict):
        d.errors.add("trigger", Message("field.required" if trigger is None else "invalid.object"))
    else:
        try:
            d.trigger = _TRIGGER.validate_python(trigger)
        except ValidationError as e:
            _add(d.errors, "trigger", e, trigger.get("type"))
    condition = data.get("condition")
    if condition is not None and not isinstance(condition, str):
        d.errors.add("condition", Message("value.text"))
    elif condition and condition.strip():
        d.condition = condition
    actions = data.get("actions")
    if not isinstance(actions, list):
        d.errors.add("actions", Message("invalid.list"))
        return d
    if not actions:
        d.errors.add("actions", Message("invalid.too_few", {"min": 1}))
    if len(actions) > MAX_ACTIONS:
        d.errors.add("actions", Message("invalid.too_many", {"max": MAX_ACTIONS}))
    for i, a in enumerate(actions[:MAX_ACTIONS]):
        try:
            d.actions.append(_ACTION.validate_python(a))
        except ValidationError as e:
            d.actions.append(None)
            _add(d.errors, f"actions.{i}", e, a.get("type") if isinstance(a, dict) else None)
    return d
