"""Scoring a pair of records under a rule, with the evidence shown side by side.

Exact parts are gates: a pair whose exact part differs scores nothing (None). Fuzzy parts
score with rapidfuzz's normalised Indel similarity (0–100, C++: a few microseconds a pair),
taking the best of the values each record holds; the pair's score is the mean of its fuzzy
parts, or 100 when the rule has none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from cairn.identity.rules import CompiledRule
from cairn.identity.values import RecordValues


@dataclass(frozen=True)
class Evidence:
    field: str
    label: str
    a: Any
    b: Any
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "a": self.a,
            "b": self.b,
            "score": self.score,
        }


@dataclass(frozen=True)
class Scored:
    score: float
    evidence: tuple[Evidence, ...]


def _label(rule: CompiledRule, i: int) -> tuple[str, str]:
    p = rule.parts[i]
    if p.via is None:
        return p.field.key, p.field.name
    return f"{p.via.key}.{p.field.key}", f"{p.via.name} / {p.field.name}"


def score(rule: CompiledRule, a: RecordValues, b: RecordValues) -> Scored | None:
    """The pair's score and evidence; None when an exact part differs or a part is empty,
    or the score is below the rule's threshold."""
    evidence: list[Evidence] = []
    fuzzy: list[float] = []
    threshold = rule.rule.threshold
    for i, part in enumerate(rule.parts):
        va, vb = a[i], b[i]
        if not va.texts or not vb.texts:
            return None
        best, at = -1.0, (0, 0)
        if part.compare == "exact":
            common = set(va.texts) & set(vb.texts)
            if not common:
                return None
            text = min(common)
            best, at = 100.0, (va.texts.index(text), vb.texts.index(text))
        else:
            for x, ta in enumerate(va.texts):
                for y, tb in enumerate(vb.texts):
                    s = 100.0 if ta == tb else fuzz.ratio(ta, tb)
                    if s > best:
                        best, at = s, (x, y)
            fuzzy.append(best)
        key, label = _label(rule, i)
        evidence.append(Evidence(key, label, va.raw[at[0]], vb.raw[at[1]], round(best, 1)))
    total = sum(fuzzy) / len(fuzzy) if fuzzy else 100.0
    if total < threshold:
        return None
    return Scored(round(total, 1), tuple(evidence))
