"""The learned churn model of a score model (issue 22): train it, then switch it on or off.

Training reads the model's inputs over every live customer against a yes/no "churned" field of
the customer table that the author may read, keeps the result beside the model
(``score_models.learned``) and reports how well it ranks customers it did not see (AUC) —
without switching it on. Switching it on (only when trained on the model's inputs as they are)
sets ``kind`` to ``learned`` and scores the table again; switching it off goes back to the
weighted model, which stays the default. Both are changes to the model (audited as
``score_model.update``) for the app's managers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, Principal
from cairn.auth.guard import guard
from cairn.core import FieldErrors, Invalid, Message
from cairn.insight.learned import fits
from cairn.insight.learned_run import fit, summary
from cairn.insight.score_run import unreadable
from cairn.query.formula import find_field
from cairn.services.scores import ScoreService, model_public
from cairn.services.uow import unit_of_work
from cairn.store import scores as store

if TYPE_CHECKING:
    from cairn.services.context import Services

LEARNED = "learned"
WEIGHTED = "weighted"


class ScoreLearning:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.scores = ScoreService(services)

    def train(
        self, app: str, model_id: int, churn_field: str, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Train the model's learned churn model against ``churn_field`` (a key or a name);
        the training report. A learned model already switched on scores with the new
        training at once."""
        with unit_of_work(self.s, principal=principal) as uow:
            m = self.scores._model(uow, app, model_id)
            cat = uow.catalog
            s = cat.schemas[m.table_id]
            f = find_field(s, churn_field)
            if f is None or s.type_of(f).value_type != "boolean":
                raise Invalid.on("churn_field", "score.churn_field", field=churn_field)
            g = guard(uow)
            for _, key, ts in unreadable(g, cat, s, [f.id]):
                raise Invalid.on("churn_field", key, field=churn_field, table=ts.table.name)
            errors = FieldErrors()
            for i, inp in enumerate(m.inputs):
                for fu, key, ts in unreadable(g, cat, s, inp.get("uses", [])):
                    errors.add(
                        f"inputs.{i}.formula",
                        Message(key, {"field": fu.name, "table": ts.table.name}),
                    )
            errors.raise_if_any()
            learned = fit(uow.conn, cat, s, m.inputs, f.id, self.s.clock, uow.now)
            store.update_model(uow.conn, m.id, learned=learned, updated_at=uow.now)
            m = self.scores._model(uow, app, model_id)
            if m.row["kind"] == LEARNED:
                self.scores._rescore(uow, m)
            out = summary(s, m.inputs, learned)
            assert out is not None
            return {**out, "active": m.row["kind"] == LEARNED}

    def activate(
        self, app: str, model_id: int, on: bool, principal: Principal = SYSTEM
    ) -> dict[str, Any]:
        """Switch the learned model on (refused when it is not trained, or trained on other
        inputs) or off; the table is scored again under the model now in use."""
        with unit_of_work(self.s, principal=principal) as uow:
            m = self.scores._model(uow, app, model_id)
            learned = m.row.get("learned")
            if on and not learned:
                raise Invalid.on("on", "score.not_trained")
            if on and not fits(m.inputs, learned):
                raise Invalid.on("on", "score.learned_stale")
            kind = LEARNED if on else WEIGHTED
            if kind != m.row["kind"]:
                store.update_model(uow.conn, m.id, kind=kind, updated_at=uow.now)
                m = self.scores._model(uow, app, model_id)
                self.scores._rescore(uow, m)
            return model_public(m, uow.catalog)
