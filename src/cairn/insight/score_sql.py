"""A weighted model scored by PostgreSQL: each record's points, score, band and contributions
computed in one statement over a page of the customer table, **equal to the bit** to what
``scores.Scorer`` computes from the same raw values (the Python scorer stays the reference; the
tests compare the two on values chosen to sit on every rounding tie).

How the Python arithmetic is kept:

- the inputs' raw values are the same SQL as ``score_run.raw_rows`` (a value that errs, is blank
  or is not finite counts as none: 0 points, ``null`` in the contributions);
- thresholds compare float8 with float8 and give points rounded in Python beforehand; a linear
  range is the same float8 operations in the same order (``(v − min) / span``, clamped, ``× 100``
  or ``100 − … × 100``);
- the score is ``Σ share·points`` added in the inputs' order, the shares (``weight / Σweight``)
  computed in Python;
- ``round(x, 1)`` (Python: the exact binary value rounded half to even) is ``_round1``: in
  float8 away from a tie; near one through the numeric of the float (its 15 significant
  digits, exact enough to place it unless they fall on the tie itself: then the float is
  compared with the float nearest to the tie, and when it is that float ``TIES`` says which
  way Python goes, computed here once for every tie from 0.05 to 100.05);
- the contributions are ``[[points, raw], …]`` built as text from ``float8::text``: PostgreSQL
  writes a float8 in its shortest exact form (``100`` where Python writes ``100.0``: the same
  number), and compared as text with the stored ones (a row Python wrote is rewritten once).

Every level is a ``MATERIALIZED`` CTE: a column used several times (a correlated subquery, an
unrounded points value) is computed once per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import reduce
from operator import add
from typing import Any

import sqlalchemy as sa

from cairn.core import Clock
from cairn.query.formula import compile_text, formula_compiled
from cairn.store import TableSchema
from cairn.store.catalog import Catalog

#: Per tie ``(2k+1)/20`` (k = 0…1000): "1" when Python rounds the float nearest to it up to
#: ``(k+1)/10``, "0" when down to ``k/10``.
TIES = "".join(
    "1" if round(float(Decimal(2 * k + 1) / 20), 1) > float(Decimal(k) / 10) else "0"
    for k in range(1001)
)

_F = sa.Float()
_N = sa.Numeric()
_NOT_FINITE = ("Infinity", "-Infinity", "NaN")


def _f(x: float) -> Any:
    return sa.literal(float(x), _F)


def _round1(y: Any, ties: Any) -> Any:
    """``round(y, 1)`` as Python computes it, ``y`` ≥ 0 a float8. Away from a tie (``y·10`` more
    than 1e-9 from ``….5``: the error of ``y·10`` is far smaller) the float's nearest integer
    over ten is it (a correctly rounded division). Near a tie, through ``n``, the numeric of
    ``y`` (its 15 significant digits): ``round(n, 1)`` unless ``n`` is the tie itself; then the
    float nearest to the tie decides, and when ``y`` is that float ``TIES`` does."""
    t = y * _f(10.0)
    clear = sa.func.abs(t - sa.func.floor(t) - _f(0.5)) > _f(1e-9)
    n = sa.cast(y, _N)
    near = sa.cast(n, _F)  # the float nearest to the tie n (when n is one)
    up = sa.case(
        (y < near, 0),
        (y > near, 1),
        (sa.func.substr(ties, sa.cast(sa.func.trunc(n * 10), sa.Integer) + 1, 1) == "1", 1),
        else_=0,
    )
    exact = sa.case(
        (sa.func.mod(n * 20, 2) == 1, (sa.func.trunc(n * 10) + up) / sa.literal(10, _N)),
        else_=sa.func.round(n, 1),
    )
    return sa.case((clear, sa.func.round(t) / _f(10.0)), else_=sa.cast(exact, _F))


def _materialized(q: sa.Select[Any], name: str) -> Any:
    return q.cte(name).prefix_with("MATERIALIZED")


def scored(
    cat: Catalog,
    s: TableSchema,
    inputs: Sequence[dict[str, Any]],
    bands: dict[str, Any],
    clock: Clock,
    where: Any,
) -> sa.Select[Any]:
    """``(record_id, score, band, contributions)`` of the live records of ``s`` that ``where``
    keeps (PostgreSQL only)."""
    t = s.sa_table
    n = len(inputs)
    ties = sa.bindparam("score_ties", TIES, type_=sa.Text())
    null = sa.type_coerce(sa.null(), sa.Text())
    values: list[Any] = []
    for i, inp in enumerate(inputs):
        formula = compile_text(cat, s, inp["formula"], f"inputs.{i}.formula")
        value, error = formula_compiled(cat, s, formula, t, clock, f"inputs.{i}.formula")
        values.append(value.label(f"v{i}"))
        values.append((error if error is not None else null).label(f"e{i}"))
    c0 = _materialized(
        sa.select(t.c.id.label("record_id"), *values).where(t.c.deleted_at.is_(None), where),
        "score_in",
    )
    # The raw values: none when blank, in error or not finite.
    raws = []
    for i in range(n):
        v = sa.cast(c0.c[f"v{i}"], _F)
        fine = sa.and_(c0.c[f"e{i}"].is_(None), v.not_in([_f(float(x)) for x in _NOT_FINITE]))
        raws.append(sa.case((fine, v), else_=sa.null()).label(f"r{i}"))
    c1 = _materialized(sa.select(c0.c.record_id, *raws), "score_raw")
    # Linear inputs: the unrounded points and their numeric; thresholds: the points.
    level2: list[Any] = []
    for i, inp in enumerate(inputs):
        r = c1.c[f"r{i}"]
        th = inp["normalise"].get("thresholds")
        if th is not None:
            whens = [(r.is_(None), _f(0.0))]
            for upper, pts in th:
                cond = r.is_not(None) if upper is None else r <= _f(float(upper))
                whens.append((cond, _f(round(float(pts), 1))))
            level2.append(sa.case(*whens, else_=_f(0.0)).label(f"y{i}"))
            continue
        lin = inp["normalise"]["linear"]
        lo, span = float(lin["min"]), float(lin["max"]) - float(lin["min"])
        share = (r - _f(lo)) / _f(span)
        clamped = sa.case((share < _f(0.0), _f(0.0)), (share > _f(1.0), _f(1.0)), else_=share)
        y = _f(100.0) - clamped * _f(100.0) if lin.get("invert") else clamped * _f(100.0)
        level2.append(y.label(f"y{i}"))
    c2 = _materialized(
        sa.select(c1.c.record_id, *[c1.c[f"r{i}"] for i in range(n)], *level2), "score_norm"
    )
    # The points, rounded.
    pts: list[Any] = []
    for i, inp in enumerate(inputs):
        y = c2.c[f"y{i}"]
        if inp["normalise"].get("thresholds") is not None:
            pts.append(y.label(f"p{i}"))
        else:
            rounded = _round1(y, ties)
            pts.append(sa.case((c2.c[f"r{i}"].is_(None), _f(0.0)), else_=rounded).label(f"p{i}"))
    c3 = _materialized(
        sa.select(c2.c.record_id, *[c2.c[f"r{i}"] for i in range(n)], *pts), "score_points"
    )
    # Σ share·points in the inputs' order, rounded; the contributions.
    total = sum(float(i["weight"]) for i in inputs)
    terms = [_f(float(inp["weight"]) / total) * c3.c[f"p{i}"] for i, inp in enumerate(inputs)]
    text: list[Any] = []
    for i in range(n):
        raw = sa.func.coalesce(sa.cast(c3.c[f"r{i}"], sa.Text()), "null")
        text += ["[" if i == 0 else "],[", sa.cast(c3.c[f"p{i}"], sa.Text()), ",", raw]
    contributions = sa.func.concat("[", *text, "]]")
    c5 = _materialized(
        sa.select(
            c3.c.record_id,
            _round1(reduce(add, terms), ties).label("score"),
            contributions.label("contributions"),
        ),
        "score_new",
    )
    band = sa.case(
        (c5.c.score >= _f(float(bands["green"])), "green"),
        (c5.c.score >= _f(float(bands["amber"])), "amber"),
        else_="red",
    )
    return sa.select(c5.c.record_id, c5.c.score, band.label("band"), c5.c.contributions)
