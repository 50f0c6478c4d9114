"""Formula columns a sub-form's grid computes in the browser as the user types (金额 =
{数量} * {单价} shows before the record is saved).

The browser evaluates the server's typed tree (``cairn.formula.forms.to_json``), so a formula
column is live only where that evaluator gives exactly what the server will: it reads only
stored columns of its own row the browser knows (``FormResolver``: no other formula, no
relation, no sensitive column), calls only the browser's functions, and none of those that
need the form's context (today, now, the user), and no date-and-time column (read in the
server's time zone). Any other formula column shows its saved
value until the record is saved.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cairn.formula import Formula, FormulaError
from cairn.formula.forms import check_browser, form_functions, to_json, uses_fields, uses_functions
from cairn.meta.form_rules import FormResolver, value_family

#: Functions whose value depends on when and by whom the form is filled in.
CONTEXT_FUNCTIONS = frozenset({"TODAY", "NOW", "CURRENTUSER", "CURRENTDEPARTMENT"})


def live_formulas(shape: Any, hidden: Collection[int] = frozenset()) -> dict[str, dict[str, Any]]:
    """``{column key: {"tree": typed tree, "kinds": {input key: value family}}}`` for the
    formula columns of ``shape`` the browser computes; ``hidden``: ids of the fields the
    reader does not see (a formula reading one is left out)."""
    out: dict[str, dict[str, Any]] = {}
    for f in shape.fields:
        if not f.is_formula or f.id in hidden:
            continue
        try:
            formula = Formula.compile(
                f.options.get("formula") or "", FormResolver(shape), form_functions()
            )
            check_browser(formula.typed)
        except FormulaError:
            continue
        if uses_functions(formula.typed) & CONTEXT_FUNCTIONS:
            continue
        inputs = [shape.by_key[k] for k in uses_fields(formula.typed)]
        kinds = {i.key: value_family(shape, i) or "text" for i in inputs}
        if any(i.id in hidden for i in inputs) or "datetime" in kinds.values():
            continue  # a date and time reads in the server's zone: that waits for the save
        out[f.key] = {"tree": to_json(formula.typed), "kinds": kinds}
    return out
