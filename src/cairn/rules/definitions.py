"""A rule's definition as an app's managers keep it: listed with its latest run, created and
changed (checked whole before it saves; switched on again: a new enable point; a webhook
trigger: a secret), its webhook secret rotated, deleted, carried in app packages. Every save
makes every process reload its rules with the catalogue (``SavingWork.schema_changed``).
Who may do this is checked by the caller (``services.rules``)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from cairn.auth import Entry
from cairn.core import Conflict, Invalid, NotFound, parse_model
from cairn.rules.ports import SavingWork, Work
from cairn.rules.public import exported, hook_path, last_run_public, rule_public, spec_json
from cairn.rules.saving import checked
from cairn.rules.spec import RuleIn, RuleSpec
from cairn.store import rules as store

if TYPE_CHECKING:
    from cairn.rules.runner import RuleEngine


def public(work: Work, row: Any, reveal: bool = False) -> dict[str, Any]:
    """The rule as the API shows it (``public.rule_public``), its table by key."""
    s = work.catalog.schemas.get(int(row["table_id"]))
    return rule_public(row, s.table.key if s else "", reveal)


def listed(work: Work, app_id: int) -> list[dict[str, Any]]:
    """The app's rules, each with its latest run (``last_run``, None when never run; one
    query for them all)."""
    rows = store.list_for(work.conn, app_id)
    last = store.last_runs(work.conn, [r["id"] for r in rows])
    return [public(work, r) | {"last_run": last_run_public(last.get(r["id"]))} for r in rows]


def row(work: Work, app_id: int, rule_id: int) -> Any:
    """The app's rule ``rule_id``; ``NotFound`` when it has none."""
    found = store.get(work.conn, app_id, rule_id)
    if found is None:
        raise NotFound("rule.not_found", id=rule_id)
    return found


def _secret() -> str:
    return secrets.token_urlsafe(24)


def create(
    engine: RuleEngine, work: SavingWork, app: str, d: RuleIn, owner_id: int | None = None
) -> int:
    """Save a new rule (owned by ``owner_id``, else the unit of work's user); its id."""
    a = work.catalog.app(app)
    schema, spec = checked(engine, work, app, d)
    if store.key_taken(work.conn, a.id, d.key):
        raise Invalid.on("key", "key.taken", key=d.key)
    rule_id = store.insert(
        work.conn,
        work.now,
        app_id=a.id,
        table_id=schema.id,
        key=d.key,
        name=d.name,
        description=d.description,
        enabled=d.enabled,
        owner_id=owner_id if owner_id is not None else work.principal.user_id,
        spec=spec_json(spec),
        secret=_secret() if spec.trigger.type == "webhook" else None,
    )
    work.schema_changed()  # every process reloads its rules with the catalogue
    return rule_id


def parse_change(data: Any) -> tuple[RuleIn, int]:
    """A change as the API takes it: the rule whole, and the ``version`` it was read at."""
    if not isinstance(data, dict):
        raise Invalid.on("body", "filter.shape")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Invalid.on("version", "record.version_required")
    return parse_model(RuleIn, {k: v for k, v in data.items() if k != "version"}), version


def change(
    engine: RuleEngine, work: SavingWork, app: str, old: Any, d: RuleIn, version: int
) -> dict[str, Any]:
    """Save rule ``old`` as ``d`` when it is still at ``version`` (``Conflict`` otherwise);
    the rule as saved (a new webhook secret shown this once)."""
    rule_id = old["id"]
    schema, spec = checked(engine, work, app, d)
    if store.key_taken(work.conn, old["app_id"], d.key, other_than=rule_id):
        raise Invalid.on("key", "key.taken", key=d.key)
    values: dict[str, Any] = {
        "key": d.key,
        "name": d.name,
        "description": d.description,
        "table_id": schema.id,
        "enabled": d.enabled,
        "spec": spec_json(spec),
    }
    if d.enabled and not old["enabled"]:
        values.update(store.armed(work.conn, work.now))
    if spec.trigger.type == "webhook" and not old["secret"]:
        values["secret"] = _secret()
    if not store.update(work.conn, rule_id, version, work.now, **values):
        raise Conflict("record.stale", expected=version, actual=old["version"])
    work.schema_changed()
    saved = store.get(work.conn, old["app_id"], rule_id)
    return public(work, saved, reveal="secret" in values)  # a new secret: once


def rotate_secret(work: SavingWork, old: Any) -> dict[str, Any]:
    """A new secret for inbound-webhook rule ``old`` (the old address stops working), shown
    this once; audit-logged."""
    if parse_model(RuleSpec, old["spec"]).trigger.type != "webhook":
        raise Invalid.on("trigger", "rule.not_webhook")
    secret = _secret()
    store.set_secret(work.conn, old["id"], secret, work.now)
    work.audit(
        Entry(
            "rule.webhook_secret",
            "rule",
            old["id"],
            app_id=old["app_id"],
            table_id=old["table_id"],
        )
    )
    work.schema_changed()
    return {"path": hook_path(old["id"], secret), "secret": secret}


def delete(work: SavingWork, rule_id: int) -> None:
    store.delete(work.conn, rule_id)
    work.schema_changed()


# -- app packages -----------------------------------------------------------------------------
def export(work: Work, app: str) -> list[dict[str, Any]]:
    """The app's rules as its package keeps them."""
    a = work.catalog.app(app)
    return [exported(public(work, r)) for r in store.list_for(work.conn, a.id)]


def import_all(engine: RuleEngine, work: SavingWork, app: str, items: Any) -> None:
    """A package's rules saved into ``app``; an error names the rule by its place."""
    if not isinstance(items, list):
        raise Invalid.on("rules", "package.shape", detail="rules must be a list")
    for i, item in enumerate(items):
        try:
            create(engine, work, app, parse_model(RuleIn, item, f"rules.{i}"))
        except Invalid as e:
            raise Invalid(
                "invalid.input",
                {
                    (k if k.startswith("rules.") else f"rules.{i}.{k}"): v
                    for k, v in e.field_errors.items()
                },
            ) from None
