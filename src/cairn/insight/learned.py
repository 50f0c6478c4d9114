"""The learned churn model: a logistic regression (scikit-learn) trained on a customer table's
own history, where a "churned" field says which customers left.

The inputs are the score model's own inputs (formulas computed in SQL), so the learned model
reads the same facts as the weighted one and explains itself the same way. Training holds out
a stratified part of the customers and reports the AUC on it, so the user sees how well it
ranks before switching it on; the weighted model stays the default.

What is kept (``Trained``) is plain numbers: per input its fill value for a blank (the
training median), its centre and scale, and its coefficient, plus the intercept. Scoring needs
no scikit-learn (NumPy only), and the model is stored as JSON beside the score model.

The health score of a customer is ``100 × (1 − p)``, p the probability of churn; an input's
contribution is what it moves the score by against the same customer with that input at its
training centre (a typical customer), so "−18: no visit for 140 days" reads as for the
weighted model."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cairn.core import Invalid
from cairn.insight.scores import Scored

#: Below these the held-out AUC says nothing: at least this many customers, and this many
#: of each outcome.
MIN_ROWS = 40
MIN_EACH = 8
#: The held-out share (stratified), and the seed that makes a training repeatable.
HOLDOUT = 0.25
SEED = 20261207


@dataclass(frozen=True)
class Trained:
    """A trained model: ``inputs`` in order, with per input ``fill`` (a blank's value),
    ``centre`` and ``scale`` (standardisation) and ``coef`` (log-odds per standard unit)."""

    inputs: list[str]
    fill: list[float]
    centre: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    #: The area under the ROC curve on the held-out customers (0.5: no better than chance).
    auc: float
    rows: int
    churned: int
    held_out: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trained:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    def _z(self, values: Sequence[float | None]) -> list[float]:
        return [
            (self.fill[i] if v is None or _nan(v) else float(v)) - self.centre[i]
            for i, v in enumerate(values)
        ]

    def logit(self, values: Sequence[float | None]) -> float:
        z = self._z(values)
        return self.intercept + sum(
            c * d / s for c, d, s in zip(self.coef, z, self.scale, strict=True)
        )

    def churn_probability(self, values: Sequence[float | None]) -> float:
        return _sigmoid(self.logit(values))

    def score(self, values: Sequence[float | None]) -> float:
        """The health score, 0..100 (100: no churn expected), to one decimal."""
        return round(100.0 * (1.0 - self.churn_probability(values)), 1)

    def contributions(self, values: Sequence[float | None]) -> list[float]:
        """Per input, the points it moves the score by against the same customer with that
        input at its centre (negative: it makes churn likelier)."""
        z = self._z(values)
        terms = [c * d / s for c, d, s in zip(self.coef, z, self.scale, strict=True)]
        total = self.intercept + sum(terms)
        here = 100.0 * (1.0 - _sigmoid(total))
        return [round(here - 100.0 * (1.0 - _sigmoid(total - t)), 1) for t in terms]

    def explain(self, values: Sequence[float | None]) -> tuple[float, list[float]]:
        """(the score, the contribution of each input) of one customer: ``score`` and
        ``contributions`` in one pass (a scoring run explains every customer)."""
        z = self._z(values)
        terms = [c * d / s for c, d, s in zip(self.coef, z, self.scale, strict=True)]
        total = self.intercept + sum(terms)
        here = 100.0 * (1.0 - _sigmoid(total))
        return round(here, 1), [round(here - 100.0 * (1.0 - _sigmoid(total - t)), 1) for t in terms]

    def effect(self, i: int) -> float:
        """What one spread (``scale``) more of input ``i`` moves a typical customer's score
        by, in points (negative: it makes churn likelier): the coefficient as a user reads
        it."""
        here = 100.0 * (1.0 - _sigmoid(self.intercept))
        return round(100.0 * (1.0 - _sigmoid(self.intercept + self.coef[i])) - here, 1)

    def score_many(self, rows: Sequence[Sequence[float | None]]) -> list[float]:
        """Scores of many customers at once (NumPy, no loop per customer in Python)."""
        # deferred: NumPy costs start-up time and only the learned model needs it
        import numpy as np

        if not rows:
            return []
        x = np.array([[np.nan if v is None else float(v) for v in r] for r in rows], dtype=float)
        fill = np.array(self.fill)
        x = np.where(np.isnan(x), fill, x)
        z = (x - np.array(self.centre)) / np.array(self.scale)
        p = 1.0 / (1.0 + np.exp(-(z @ np.array(self.coef) + self.intercept)))
        return [round(float(v), 1) for v in 100.0 * (1.0 - p)]


def train(
    inputs: Sequence[str],
    rows: Sequence[Sequence[float | None]],
    churned: Sequence[bool],
    *,
    holdout: float = HOLDOUT,
    seed: int = SEED,
) -> Trained:
    """Fit the model on ``rows`` (one list of input values per customer, blanks as None) and
    ``churned`` (True: the customer left). ``Invalid`` when there is too little to learn from:
    fewer than ``MIN_ROWS`` customers or ``MIN_EACH`` of either outcome, or no inputs."""
    if not inputs:
        raise Invalid.on("inputs", "score.learned_no_inputs")
    n = len(rows)
    left = sum(1 for c in churned if c)
    if n < MIN_ROWS or left < MIN_EACH or n - left < MIN_EACH:
        raise Invalid.on(
            "churn_field",
            "score.learned_too_few",
            rows=n,
            churned=left,
            min_rows=MIN_ROWS,
            min_each=MIN_EACH,
        )
    # deferred: scikit-learn takes about a second to import and only training needs it
    import numpy as np

    # deferred: as above
    from sklearn.linear_model import LogisticRegression

    # deferred: as above
    from sklearn.metrics import roc_auc_score

    # deferred: as above
    from sklearn.model_selection import train_test_split

    x = np.array([[np.nan if v is None else float(v) for v in r] for r in rows], dtype=float)
    y = np.array([1 if c else 0 for c in churned])
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=holdout, random_state=seed, stratify=y
    )
    fill = _medians(x_train)
    x_train = np.where(np.isnan(x_train), fill, x_train)
    x_test = np.where(np.isnan(x_test), fill, x_test)
    centre = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)  # a constant input: no information, no division by 0
    fitted = LogisticRegression(max_iter=1000, class_weight="balanced")
    fitted.fit((x_train - centre) / scale, y_train)
    p_test = fitted.predict_proba((x_test - centre) / scale)[:, 1]
    return Trained(
        inputs=list(inputs),
        fill=[float(v) for v in fill],
        centre=[float(v) for v in centre],
        scale=[float(v) for v in scale],
        coef=[float(v) for v in fitted.coef_[0]],
        intercept=float(fitted.intercept_[0]),
        auc=round(float(roc_auc_score(y_test, p_test)), 4),
        rows=n,
        churned=left,
        held_out=len(y_test),
    )


# -- scoring a table with it ---------------------------------------------------------------------
def signature(inputs: Sequence[dict[str, Any]]) -> list[list[str]]:
    """What a learned model depends on of the score model's inputs: their keys and formulas
    (as stored, ``#id`` references), in order. Labels, explanations, points and weights may
    change without retraining."""
    return [[str(i["key"]), str(i["formula"])] for i in inputs]


def fits(inputs: Sequence[dict[str, Any]], learned: dict[str, Any] | None) -> bool:
    """The learned model was trained on exactly these inputs."""
    return bool(learned) and learned.get("signature") == signature(inputs)  # type: ignore[union-attr]


def kind_after(kind: str, learned: dict[str, Any] | None, inputs: Sequence[dict[str, Any]]) -> str:
    """The kind of a model whose inputs are now ``inputs``: a learned model whose inputs
    changed goes back to the weighted one (its training no longer applies)."""
    return "learned" if kind == "learned" and fits(inputs, learned) else "weighted"


@dataclass(frozen=True)
class LearnedScored(Scored):
    """A score of the learned model: ``parts`` are (points the input moved the score by,
    raw value); stored as ``{"learned": [[points, raw], …]}`` so a reader tells them from
    the weighted model's points whatever the model is now."""

    @property
    def stored(self) -> str:
        return '{"learned":' + super().stored + "}"


class LearnedScorer:
    """The learned model made ready to score records from their raw input values (the same
    interface as ``scores.Scorer``)."""

    def __init__(self, trained: Trained, bands: dict[str, Any]) -> None:
        self.trained = trained
        self.green, self.amber = float(bands["green"]), float(bands["amber"])

    def __call__(self, raws: Sequence[Any]) -> Scored:
        values = [_value(r) for r in raws]
        score, parts = self.trained.explain(values)
        band = "green" if score >= self.green else "amber" if score >= self.amber else "red"
        return LearnedScored(score, band, list(zip(parts, values, strict=True)))


def learned_scorer(row: Any, bands: dict[str, Any]) -> LearnedScorer | None:
    """The scorer of a score model's row when its learned model is switched on and still fits
    its inputs (else None: the weighted model scores)."""
    if row is None or row.get("kind") != "learned":
        return None
    learned = row.get("learned")
    if not learned or not fits(row["inputs"], learned):
        return None
    return LearnedScorer(Trained.from_json(learned), bands)


def learned_parts(inputs: Sequence[dict[str, Any]], stored: dict[str, Any]) -> list[dict[str, Any]]:
    """Stored learned parts with their inputs, as ``scores.contributions`` gives the weighted
    ones: {input, raw, points, impact}; ``impact`` is what the input moved the score by (it
    may be positive), ``points`` 100 plus a cost (a bar to show)."""
    out = []
    for inp, (impact, raw) in zip(inputs, stored.get("learned", []), strict=False):
        out.append(
            {
                "input": inp["key"],
                "raw": raw,
                "points": round(max(0.0, min(100.0, 100.0 + float(impact))), 1),
                "impact": float(impact),
            }
        )
    return out


def _value(raw: Any) -> float | None:
    if raw is None:
        return None
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _medians(x: Any) -> Any:
    """Per column the median of its present values (0 when a column has none)."""
    # deferred: NumPy, as in ``train``
    import numpy as np

    out = []
    for j in range(x.shape[1]):
        col = x[:, j]
        present = col[~np.isnan(col)]
        out.append(float(np.median(present)) if present.size else 0.0)
    return np.array(out)


def _nan(v: float) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _sigmoid(t: float) -> float:
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)
