"""A rule in the editor, before it is saved: checked as a save would check it with every error
at its dotted location (``validate``), or made ready to run as if saved and enabled now
(``compiled``) for a dry run (``dry_run``) or a forecast (``forecast``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import FieldErrors, Invalid, Message, NotFound, parse_model
from cairn.rules.compiled import Compiled
from cairn.rules.draft import parse_draft
from cairn.rules.ports import Work
from cairn.rules.public import iso, spec_json
from cairn.rules.saving import AuthSaving, checked, table_of
from cairn.rules.spec import RuleIn, RuleSpec
from cairn.store import rules as store
from cairn.store.catalog import TableSchema

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine

#: A rule's own fields, besides its spec; what a draft may leave out is filled with these.
HEAD = ("key", "name", "description", "table", "enabled")
DRAFT_HEAD = {"key": "draft", "name": "draft", "table": "draft", "trigger": {}, "actions": []}
#: Most days a forecast looks ahead.
MAX_DAYS = 366


def validate(engine: RuleEngine, work: Work, app: str, app_id: int, data: Any) -> dict[str, Any]:
    """A draft checked as a save would check it, every error with its dotted location
    (messages, not raised); the condition's type as written and, for a schedule, its next
    occurrences. ``key`` and ``name`` may be empty; ``id`` names the rule being edited (its
    key may stay its own)."""
    errors = FieldErrors()
    out: dict[str, Any] = {"condition_type": None, "schedule_next": [], "describe": None}
    if not isinstance(data, dict):
        errors.add("body", Message("invalid.object"))
        return out | {"ok": False, "errors": errors.errors}
    rule_id = data.get("id")
    head = {k: data[k] for k in HEAD if data.get(k) not in (None, "")}
    try:  # the rule's own fields (the spec's parts are checked below, part by part)
        parse_model(RuleIn, DRAFT_HEAD | head)
    except Invalid as e:
        errors.merge("", e)
    if "table" not in head:
        errors.add("table", Message("field.required"))
    if isinstance(head.get("key"), str) and store.key_taken(
        work.conn, app_id, head["key"], other_than=rule_id if isinstance(rule_id, int) else None
    ):
        errors.add("key", Message("key.taken", {"key": head["key"]}))
    draft = parse_draft(data)
    schema = None
    if isinstance(head.get("table"), str):
        try:
            schema = table_of(work, app, head["table"])
        except Invalid as e:
            errors.merge("", e)
    if schema is not None:
        result = engine.check(work, schema, draft, AuthSaving(work))
        out["condition_type"] = result.condition_type
        if (
            draft.trigger is not None
            and draft.trigger.type == "schedule"
            and not any(k.startswith("trigger") for k in result.errors.errors)
        ):
            times = engine.triggers.get("schedule").next_times(  # type: ignore[attr-defined]
                draft.trigger, work.catalog.ctx.timezone, work.now, 5
            )
            out["schedule_next"] = [iso(t) for t in times]
    for loc, ms in draft.errors.errors.items():  # the parts' (and their checks') errors
        for m in ms:
            errors.add(loc, m)
    return out | {"ok": not errors, "errors": errors.errors}


def _row(work: Work, schema: TableSchema, d: RuleIn, spec: RuleSpec) -> dict[str, Any]:
    """A draft as a rule row: as if enabled now, by the unit of work's user."""
    return {
        "id": 0,
        "app_id": schema.app.id,
        "key": d.key,
        "name": d.name,
        "table_id": schema.id,
        "owner_id": work.principal.user_id,
        "secret": None,
        "enabled": True,
        "armed_at": work.now,
        "armed_event_id": 0,
        "spec": spec_json(spec),
    }


def compiled(engine: RuleEngine, work: Work, app: str, data: Any) -> Compiled:
    """A draft ready to run (a dry run, a forecast): ``Invalid`` under ``rule`` with every
    error when it would not save. A rule being edited (``id``) keeps its owner, and its
    enable point while it is enabled."""
    if not isinstance(data, dict):
        raise Invalid.on("rule", "invalid.object")
    body = {k: v for k, v in data.items() if k not in ("id", "version")}
    body["key"] = body.get("key") or "draft"
    body["name"] = body.get("name") or "draft"
    try:
        d = parse_model(RuleIn, body)
        schema, spec = checked(engine, work, app, d)
    except Invalid as e:
        raise e.under("rule") from None
    row = _row(work, schema, d, spec)
    rule_id = data.get("id")
    if isinstance(rule_id, int) and not isinstance(rule_id, bool):
        saved = store.get(work.conn, schema.app.id, rule_id)
        if saved is not None:  # the rule being edited: its firings and enable point
            row |= {"id": rule_id, "owner_id": saved["owner_id"]}
            if saved["enabled"]:
                row["armed_at"] = saved["armed_at"]
    return engine.compile(work, row, spec)


def dry_run(engine: RuleEngine, c: Compiled, record_id: int) -> dict[str, Any]:
    """What rule ``c`` would do for ``record_id``, without doing it (``RuleEngine.dry_run``);
    ``NotFound`` when the record is not there."""
    out = engine.dry_run(c, record_id)
    if out is None:
        raise NotFound("record.not_found", id=record_id)
    return out


def check_days(days: int) -> None:
    """A forecast looks 1 to ``MAX_DAYS`` days ahead."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid.on("days", "value.max", max=MAX_DAYS)


def forecast(
    engine: RuleEngine, work: Work, c: Compiled, days: int, loc: str = "trigger"
) -> dict[str, Any]:
    """The firings rule ``c`` has coming in the next ``days``: only a date, schedule or
    inactivity rule has any (``Invalid`` at ``loc`` for another)."""
    if c.kind != "scan":
        raise Invalid.on(loc, "rule.no_forecast")
    return engine.forecast(work, c, days)
