"""A rule as data: a trigger, an optional condition (a formula) and actions run in order.

The spec is what the API takes, the ``rules.spec`` column holds and app packages carry; field,
table and relation references are keys (names may change). ``trigger.type`` and each
``action.type`` name a class in the trigger and action registries, which check the rest.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KEY = r"^[a-z][a-z0-9_]{0,62}$"
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
Unit = Literal["minutes", "hours", "days"]
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Value(Strict):
    """A value an action writes: a formula over the triggering record, a constant, or a field of
    the triggering record copied as stored (``id`` for a link back, a user, a relation)."""

    formula: str | None = None
    value: Any = None
    field: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Value:
        given = [x for x in (self.formula, self.field) if x is not None]
        if len(given) > 1 or (given and self.value is not None):
            raise ValueError("give one of formula, value or field")
        return self


def _values(v: Any) -> Any:
    """``{"field": "text"}`` is short for a formula; anything else not a dict is a constant."""
    if not isinstance(v, dict):
        return v
    out = {}
    for k, x in v.items():
        if isinstance(x, str):
            out[k] = {"formula": x}
        elif isinstance(x, dict):
            out[k] = x
        else:
            out[k] = {"value": x}
    return out


# -- triggers -------------------------------------------------------------------------------
class RecordTrigger(Strict):
    type: Literal[
        "record.created", "record.updated", "record.deleted", "record.merged", "record.unmerged"
    ]
    #: "updated" only when one of these fields changed (any field when empty).
    fields: list[str] = Field(default_factory=list)
    #: "updated": only when the (one) field changed from / to this value (as the API shows it).
    from_: Any = Field(default=None, alias="from")
    to: Any = None


class DateTrigger(Strict):
    """N minutes/hours/days before (negative) or after a date or datetime field.

    A record whose date is entered (created, or edited) when its moment has already passed,
    e.g. a policy created 10 days before it expires under "30 days before expiry", is
    *inside the window*: ``inside_window`` says what happens to it: ``fire_now`` (the
    default: it fires at the next scan) or ``skip`` (it does not fire for that date; a later
    date fires as usual). "Before" is strict: 30 days before a date at 09:00 is that moment,
    not any time less than 30 days before it.
    """

    type: Literal["date"]
    field: str
    offset: int = 0
    unit: Unit = "days"
    #: For a date field: the local time of day it fires (default 00:00).
    at: str | None = None
    #: Every year on the date's month and day (birthdays, anniversaries).
    yearly: bool = False
    filter: Any = None
    inside_window: Literal["fire_now", "skip"] = "fire_now"

    @field_validator("at")
    @classmethod
    def _at(cls, v: str | None) -> str | None:
        if v is not None and not _TIME.match(v):
            raise ValueError("at is a time of day HH:MM")
        return v

    @property
    def offset_seconds(self) -> int:
        return self.offset * UNITS[self.unit]


class ScheduleTrigger(Strict):
    """A cron expression (in the installation's time zone) acting on the records matching
    ``filter``."""

    type: Literal["schedule"]
    cron: str
    filter: Any = None


class InactivitySource(Strict):
    """What counts as activity: linked records through ``relation``, dated by their
    ``date_field`` (a date counts from its midnight, UTC), else by their creation; or, instead
    of a relation, the record's ``interactions`` of the kinds listed (an empty list: any kind),
    dated by when they happened."""

    relation: str | None = None
    date_field: str | None = None
    interactions: list[str] | None = Field(None, max_length=7)

    @model_validator(mode="after")
    def _one_kind_of_source(self) -> InactivitySource:
        if (self.relation is None) == (self.interactions is None):
            raise ValueError("give either relation or interactions")
        if self.interactions is not None and self.date_field is not None:
            raise ValueError("interactions are dated by when they happened: no date_field")
        return self


class InactivityTrigger(Strict):
    """No linked record in any of ``sources`` (1 to 5 relations: "no call, order or visit")
    newer than ``days``: the quiet spell starts at the newest linked record of all sources, or
    at the record's own creation when it has none; fires once per quiet spell. The first
    shape, ``relation`` and ``date_field`` without ``sources``, is one source."""

    type: Literal["inactivity"]
    sources: list[InactivitySource] = Field(min_length=1, max_length=5)
    days: int = Field(ge=1, le=3650)
    filter: Any = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict) and "relation" in data and "sources" not in data:
            data = dict(data)
            one = {"relation": data.pop("relation"), "date_field": data.pop("date_field", None)}
            data["sources"] = [one]
        return data


class WebhookTrigger(Strict):
    """An inbound webhook: JSON → a record created, or updated when ``match`` finds one."""

    type: Literal["webhook"]
    #: field key → path in the JSON body ("customer.phone")
    mapping: dict[str, str]
    #: a field key: update the record whose field equals the mapped value, else create one
    match: str | None = None


class ProcessTrigger(Strict):
    """For the process engine: a task overdue, a process completed."""

    type: Literal["process.task_overdue", "process.completed"]
    process: str | None = None


class SegmentTrigger(Strict):
    """A record of the rule's table entered or left a segment (``segment``: its id)."""

    type: Literal["segment.entered", "segment.exited"]
    segment: int = Field(gt=0)


class ScoreBandTrigger(Strict):
    """A record's score under score model ``model`` entered ``band`` (a ``score.changed``
    event whose band is it and whose previous band was not): once per crossing, re-armed by
    leaving the band."""

    type: Literal["score.band_entered"]
    model: int = Field(ge=1)
    band: Literal["green", "amber", "red"]


class ScoreDropTrigger(Strict):
    """A record's score under ``model`` dropped by ``points`` or more below its highest score
    of the ``days`` days before: fires when the drop first reaches ``points`` (the previous
    score's drop was smaller), so once per crossing; a recovery re-arms it."""

    type: Literal["score.dropped"]
    model: int = Field(ge=1)
    points: float = Field(gt=0, le=100)
    days: int = Field(ge=1, le=90)


Trigger = (
    RecordTrigger
    | DateTrigger
    | ScheduleTrigger
    | InactivityTrigger
    | WebhookTrigger
    | ProcessTrigger
    | SegmentTrigger
    | ScoreBandTrigger
    | ScoreDropTrigger
)


# -- actions --------------------------------------------------------------------------------
OnError = Literal["stop", "continue"]


class ActionBase(Strict):
    """What every action has: what the run does when it fails."""

    #: ``stop``: the run ends failed; ``continue``: the failure is logged and the next actions
    #: run (the run ends ``partial``); None: ``continue`` for notify and webhook (a message
    #: that did not go out retries on its own), ``stop`` for the others.
    on_error: OnError | None = None


#: Action types whose failure lets the next actions run unless the action says otherwise.
CONTINUE_BY_DEFAULT = frozenset({"notify", "webhook"})


def on_error_of(action: ActionBase) -> OnError:
    """What a failure of ``action`` does: its own ``on_error``, else the type's default."""
    if action.on_error is not None:
        return action.on_error
    return "continue" if getattr(action, "type", "") in CONTINUE_BY_DEFAULT else "stop"


class UpdateAction(ActionBase):
    type: Literal["update_record"]
    #: "this", or a relation field key of this table: every linked record is updated
    target: str = "this"
    values: dict[str, Value]

    _v = field_validator("values", mode="before")(lambda cls, v: _values(v))


class CreateAction(ActionBase):
    type: Literal["create_record"]
    table: str
    #: another app's table: its key (default: the rule's app)
    app: str | None = None
    values: dict[str, Value]

    _v = field_validator("values", mode="before")(lambda cls, v: _values(v))


class NotifyAction(ActionBase):
    type: Literal["notify"]
    #: ``inapp``, ``email``, ``sms``, ``wecom``, ``dingtalk``, or a configured one such as
    #: ``wecom:service-group``
    channel: str = "inapp"
    #: ``user:<id or username>``, ``role:<key>`` (its active users), ``field:<key>`` (a user,
    #: e-mail or phone field of the record), ``owner``, ``manager:owner`` (the owner's
    #: manager: their department's, as the process engine finds it), an e-mail address or a
    #: phone number; checked when the rule is saved. Robot channels need none
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    #: add the record's address (always for in-app: the notification opens the record)
    link: bool = False


class WebhookAction(ActionBase):
    """A JSON POST, signed (HMAC-SHA256) with the secret of the webhook channel's config."""

    type: Literal["webhook"]
    #: ``webhook`` or a configured one (``webhook:erp``): its secret, headers and timeout
    channel: str = "webhook"
    #: the target; default: the channel's
    url: str | None = None
    #: a JSON template; default: the rule, app, table and the record as the API shows it
    body: str | None = None


class WaitAction(ActionBase):
    type: Literal["wait"]
    amount: int = Field(ge=1)
    unit: Unit = "hours"
    #: check the condition again before the next actions (not met: the run stops, skipped)
    recheck: bool = True

    @property
    def seconds(self) -> int:
        return self.amount * UNITS[self.unit]


class StartProcessAction(ActionBase):
    """Start the latest version of one of the app's processes on this record."""

    type: Literal["start_process"]
    process: str = Field(min_length=1, max_length=63)


class AddTagAction(ActionBase):
    """Add tags of the app's vocabulary to the record (``source`` rule; a tag it has stays)."""

    type: Literal["add_tag"]
    #: at least one (checked with the action, so the builder says it in the user's language)
    tags: list[int] = Field(default_factory=list, max_length=200)


class RemoveTagAction(ActionBase):
    """Take tags off the record (one it does not have is left alone)."""

    type: Literal["remove_tag"]
    tags: list[int] = Field(default_factory=list, max_length=200)


Action = (
    UpdateAction
    | CreateAction
    | NotifyAction
    | WebhookAction
    | WaitAction
    | StartProcessAction
    | AddTagAction
    | RemoveTagAction
)


class RuleSpec(Strict):
    trigger: Trigger = Field(discriminator="type")
    condition: str | None = None
    actions: list[Annotated[Action, Field(discriminator="type")]] = Field(
        min_length=1, max_length=20
    )

    @field_validator("condition")
    @classmethod
    def _blank(cls, v: str | None) -> str | None:
        return v if v and v.strip() else None


class RuleIn(Strict):
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    table: str
    enabled: bool = True
    trigger: dict[str, Any]
    condition: str | None = None
    actions: list[dict[str, Any]]

    def spec_data(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "condition": self.condition, "actions": self.actions}


def parse_spec(data: dict[str, Any]) -> RuleSpec:
    return RuleSpec.model_validate(data)


def dump_spec(spec: RuleSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {
        "trigger": spec.trigger.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    }
