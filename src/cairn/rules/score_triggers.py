"""Churn warnings: triggers on the ``score.changed`` events of the insight engine's score
models, decided from the event's payload alone (``model_id``, ``score``, ``previous``, ``band``,
``previous_band``, ``day`` and ``recent``: the highest score of each of the last days before
the change, oldest first).

- ``score.band_entered``: the band is the trigger's and the previous band was another (or
  none): once per crossing; staying in the band does not fire again, leaving it re-arms.
- ``score.dropped``: with ``peak`` the highest score of the ``days`` days up to the change
  (the recent days in that window and the previous score), fires when ``peak − score ≥
  points`` while ``peak − previous < points``: the drop just reached the threshold. A score
  that keeps falling does not fire again; one that recovers (the drop back under the
  threshold) and falls again does.

Both name a score model of the rule's table: saving refuses another table's model
(``ports.Saving.score_model_on_table``), and the engine hands a rule only the events of its
own table's records, so a model of another table never fires it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cairn.core import Invalid
from cairn.rules.spec import ScoreBandTrigger, ScoreDropTrigger
from cairn.rules.trigger_base import CheckContext, TriggerType

SCORE_CHANGED = "score.changed"


def check_model(spec: ScoreBandTrigger | ScoreDropTrigger, ctx: CheckContext) -> None:
    """Saving: the trigger's model must be a score model of the rule's table."""
    if ctx.saving is not None and not ctx.saving.score_model_on_table(spec.model, ctx.schema.id):
        raise Invalid.on(f"{ctx.loc}.model", "rule.score_model_unknown", model=spec.model)


class ScoreBandEntered(TriggerType):
    key = "score.band_entered"
    model = ScoreBandTrigger

    def check(self, spec: ScoreBandTrigger, ctx: CheckContext) -> None:
        check_model(spec, ctx)

    def matches(self, spec: ScoreBandTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != SCORE_CHANGED or payload.get("model_id") != spec.model:
            return False
        return payload.get("band") == spec.band and payload.get("previous_band") != spec.band


def peak(payload: dict[str, Any], days: int) -> float | None:
    """The highest score of the ``days`` days up to the change (the previous score counts)."""
    previous = payload.get("previous")
    best = float(previous) if previous is not None else None
    try:
        today = date.fromisoformat(str(payload.get("day")))
    except ValueError:
        return best
    first = (today - timedelta(days=days)).isoformat()
    for d, v in payload.get("recent") or []:
        if str(d) >= first and v is not None:
            best = float(v) if best is None else max(best, float(v))
    return best


class ScoreDropped(TriggerType):
    key = "score.dropped"
    model = ScoreDropTrigger

    def check(self, spec: ScoreDropTrigger, ctx: CheckContext) -> None:
        check_model(spec, ctx)

    def matches(self, spec: ScoreDropTrigger, event_type: str, payload: dict[str, Any]) -> bool:
        if event_type != SCORE_CHANGED or payload.get("model_id") != spec.model:
            return False
        score, previous = payload.get("score"), payload.get("previous")
        if score is None or previous is None:
            return False
        top = peak(payload, spec.days)
        if top is None:
            return False
        return top - float(score) >= spec.points and top - float(previous) < spec.points
