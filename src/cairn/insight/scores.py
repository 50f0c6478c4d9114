"""Score models: an explainable weighted health score over a customer table.

A model has **inputs**, each a formula over the customer and its related records (``DAYS(TODAY(),
{last_visit})``, ``COUNT({tickets})``, ``SUM({orders.amount})``) with a label, an explanation
template (``"no visit for {value} days"``), a **normalisation** to points 0..100 and a
**weight**. The score is ``Σ weight·points / Σ weight`` (0..100, one decimal); the **bands** are
``green`` at or above ``bands.green``, ``amber`` at or above ``bands.amber``, ``red`` below.

Normalisations:

- ``{"thresholds": [[upper, points], …]}``: bounds ascending; a value gets the points of the
  first bound it does not exceed; a last bound of ``null`` catches everything above, else a
  value above every bound gets 0 points;
- ``{"linear": {"min": a, "max": b, "invert": false}}``: ``a`` → 0 and ``b`` → 100, clamped
  (``invert``: ``a`` → 100 and ``b`` → 0).

A blank or error value (a formula that cannot be computed for the record) gets 0 points.

The **contribution** of an input is what it costs the score against full marks:
``weight/Σweight · (points − 100)``, so the contributions of a record add up to
``score − 100`` and the "why" of a red customer lists its largest costs first
(``−18: no visit for 140 days``).

This module is pure (no database): the shapes, their checks, and the Python side of scoring
that both the full run over the table and the preview use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cairn.core import FieldErrors, Message

BANDS = ("green", "amber", "red")
MAX_INPUTS = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Linear(_Strict):
    min: float
    max: float
    invert: bool = False


class Normalise(_Strict):
    thresholds: list[tuple[float | None, float]] | None = None
    linear: Linear | None = None


class InputSpec(_Strict):
    key: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    label: str = Field(min_length=1, max_length=200)
    formula: str = Field(min_length=1, max_length=4000)
    explain: str = Field(default="", max_length=500)
    normalise: Normalise
    weight: float


class Bands(_Strict):
    green: float
    amber: float


class ModelSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    table: str
    enabled: bool = True
    kind: Literal["weighted"] = "weighted"
    inputs: list[InputSpec] = Field(min_length=1, max_length=MAX_INPUTS)
    bands: Bands


def parse_model(data: Any, partial_of: dict[str, Any] | None = None) -> ModelSpec:
    """The model's shape checked (pydantic errors as ``Invalid`` with field paths), then its
    numbers: weights > 0, bands in order, thresholds ascending with points in 0..100,
    a linear range with ``max > min``."""
    if partial_of is not None and isinstance(data, dict):
        data = {**partial_of, **data}
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as e:
        errors = FieldErrors()
        for err in e.errors():
            path = ".".join(str(p) for p in err["loc"]) or "body"
            errors.add(path, Message("score.shape", {"detail": err["msg"]}))
        errors.raise_if_any()
        raise AssertionError from e  # pragma: no cover
    errors = FieldErrors()
    keys: set[str] = set()
    for i, inp in enumerate(spec.inputs):
        loc = f"inputs.{i}"
        if inp.key is None:
            inp.key = f"input_{i + 1}"
        if inp.key in keys:
            errors.add(f"{loc}.key", Message("score.duplicate_key", {"key": inp.key}))
        keys.add(inp.key)
        if not (math.isfinite(inp.weight) and inp.weight > 0):
            errors.add(f"{loc}.weight", Message("score.weight_positive"))
        n = inp.normalise
        if (n.thresholds is None) == (n.linear is None):
            errors.add(f"{loc}.normalise", Message("score.normalise_one"))
        elif n.thresholds is not None:
            _check_thresholds(n.thresholds, f"{loc}.normalise.thresholds", errors)
        elif n.linear is not None and not n.linear.max > n.linear.min:
            errors.add(f"{loc}.normalise.linear.max", Message("score.linear_range"))
    b = spec.bands
    for name in ("green", "amber"):
        v = getattr(b, name)
        if not 0 <= v <= 100:
            errors.add(f"bands.{name}", Message("score.band_range"))
    if not b.green > b.amber:
        errors.add("bands", Message("score.bands_order"))
    errors.raise_if_any()
    return spec


def _check_thresholds(
    pairs: Sequence[tuple[float | None, float]], loc: str, errors: FieldErrors
) -> None:
    if not pairs:
        errors.add(loc, Message("score.thresholds_empty"))
        return
    last: float | None = None
    for j, (upper, points) in enumerate(pairs):
        if not 0 <= points <= 100:
            errors.add(f"{loc}.{j}.1", Message("score.points_range"))
        if upper is None:
            if j != len(pairs) - 1:
                errors.add(f"{loc}.{j}.0", Message("score.open_bound_last"))
            continue
        if last is not None and not upper > last:
            errors.add(f"{loc}.{j}.0", Message("score.thresholds_order"))
        last = upper


# -- scoring ------------------------------------------------------------------------------------
def band_of(score: float, bands: dict[str, Any]) -> str:
    if score >= float(bands["green"]):
        return "green"
    if score >= float(bands["amber"]):
        return "amber"
    return "red"


def shown_value(value: Any) -> str:
    """A raw value as an explanation shows it: whole numbers without decimals, else one."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        r = round(value, 1)
        return str(int(r)) if r == int(r) else f"{r:.1f}"
    return str(value)


def explain(template: str, label: str, value: Any) -> str:
    """The explanation of one input: its template with ``{value}`` filled (the label when the
    input has no template)."""
    if not template:
        return f"{label}: {shown_value(value)}"
    return template.replace("{value}", shown_value(value))


@dataclass(frozen=True)
class Scored:
    score: float
    band: str
    #: Per input in the model's order: (points 0..100, raw value or None).
    parts: list[tuple[float, Any]]

    @property
    def stored(self) -> str:
        """The parts as stored (``scores.contributions``): ``[[points, raw], …]`` as JSON
        text, built directly (a scoring run stores a million of them)."""
        return "[" + ",".join(f"[{p!r},{_json_number(r)}]" for p, r in self.parts) + "]"


def _json_number(v: Any) -> str:
    return "null" if v is None else repr(v)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _normaliser(normalise: dict[str, Any]) -> Callable[[float], float]:
    th = normalise.get("thresholds")
    if th is not None:
        steps = tuple((None if u is None else float(u), float(p)) for u, p in th)

        def by_thresholds(v: float) -> float:
            for upper, pts in steps:
                if upper is None or v <= upper:
                    return pts
            return 0.0

        return by_thresholds
    lin = normalise["linear"]
    lo, span = float(lin["min"]), float(lin["max"]) - float(lin["min"])
    invert = bool(lin.get("invert"))

    def linear(v: float) -> float:
        share = (v - lo) / span
        share = 0.0 if share < 0 else 1.0 if share > 1 else share
        return 100.0 - share * 100.0 if invert else share * 100.0

    return linear


class Scorer:
    """A model's inputs and bands made ready to score many records (``score_of`` is one)."""

    def __init__(self, inputs: Sequence[dict[str, Any]], bands: dict[str, Any]) -> None:
        total = sum(float(i["weight"]) for i in inputs)
        self.shares = tuple(float(i["weight"]) / total for i in inputs)
        self.norms = tuple(_normaliser(i["normalise"]) for i in inputs)
        self.green, self.amber = float(bands["green"]), float(bands["amber"])

    def __call__(self, raws: Sequence[Any]) -> Scored:
        acc = 0.0
        parts = []
        for share, norm, raw in zip(self.shares, self.norms, raws, strict=True):
            v = raw if type(raw) is float and math.isfinite(raw) else _number(raw)
            pts = 0.0 if v is None else round(norm(v), 1)
            acc += share * pts
            parts.append((pts, v))
        score = round(acc, 1)
        band = "green" if score >= self.green else "amber" if score >= self.amber else "red"
        return Scored(score, band, parts)


def points(normalise: dict[str, Any], value: Any) -> float:
    """The points 0..100 of a raw value (None: blank or an error → 0)."""
    v = _number(value)
    return 0.0 if v is None else _normaliser(normalise)(v)


def score_of(
    inputs: Sequence[dict[str, Any]], bands: dict[str, Any], raws: Sequence[Any]
) -> Scored:
    """A record's score from its raw input values (same order as ``inputs``)."""
    return Scorer(inputs, bands)(raws)


def contributions(
    inputs: Sequence[dict[str, Any]], parts: Sequence[Sequence[Any]]
) -> list[dict[str, Any]]:
    """The stored parts with their inputs: {input, raw, points, impact} in the model's order;
    ``impact`` ≤ 0 (see the module doc). Parts of inputs since removed are left out."""
    total = sum(float(i["weight"]) for i in inputs) or 1.0
    out = []
    for inp, (pts, raw) in zip(inputs, parts, strict=False):
        share = float(inp["weight"]) / total
        out.append(
            {
                "input": inp["key"],
                "raw": raw,
                "points": pts,
                "impact": round(share * (pts - 100.0), 1),
            }
        )
    return out


def histogram(scores: Sequence[float], bands: dict[str, Any], bins: int = 10) -> dict[str, Any]:
    """A preview's distribution: counts per band and per ``100/bins`` points."""
    counts = [0] * bins
    per_band = dict.fromkeys(BANDS, 0)
    for s in scores:
        counts[min(int(s * bins // 100), bins - 1)] += 1
        per_band[band_of(s, bands)] += 1
    width = 100 / bins
    return {
        "buckets": [
            {"from": round(i * width, 1), "to": round((i + 1) * width, 1), "count": c}
            for i, c in enumerate(counts)
        ],
        "bands": per_band,
    }
