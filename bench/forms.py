"""A form's linkage in the browser (issue 19): a keystroke in a 60-field form with 40 rules
runs its rules again in ≤ 5 ms.

The form is built through the real code: the table through the services, its rules checked and
stored by ``set_layout`` (``meta.layouts`` → ``meta.form_rules.check_rules``), and the linkage
the form page receives from ``forms.get`` (``CompiledForm.browser()``) with its ``env``. The
browser's evaluator (``web/src/formula``) runs it per keystroke: bundled and run by node
(``bench/node_formula.py``, the driver the Python tests use), and, when Playwright and Chromium
are there, in a real Chromium page (cross-origin isolated, so ``performance.now()`` counts in
5 µs steps rather than 100 µs). Each keystroke changes one field in turn (a number gains 1, a
text an "x"); only the rules whose inputs changed run again. The in-run baseline: the same
keystrokes through the Python runtime (``meta.form_runtime.run``, which runs every rule, as the
server does once per saved record).
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import Env, Options, Target, log, percentile, row, scenario
from bench.node_formula import PAGE_ENTRY, NodeFormula, bundle, missing

NAME = "linkage"
APP = "lbench"
TABLE = "big"
FIELDS = 60
RULES = 40
KEYSTROKES = 300
KEYS = [f"f{i}" for i in range(FIELDS)]
#: Odd fields are numbers, even ones texts.
KINDS = {k: ("number" if i % 2 else "text") for i, k in enumerate(KEYS)}
#: The values before the first keystroke.
RECORD: dict[str, Any] = {k: (i if i % 2 else f"v{i}") for i, k in enumerate(KEYS)}
PER_KEYSTROKE = Target("value", "<=", 5, "ms")


def rules() -> list[dict[str, Any]]:
    """40 rules as a user writes them: each reads a text and a number, requires a field and
    sets another from the number."""
    out = []
    for i in range(RULES):
        t, n = KEYS[(2 * i) % FIELDS], KEYS[(2 * i + 1) % FIELDS]
        out.append(
            {
                "name": f"rule {i}",
                "when": f'AND(NOT(ISBLANK({{{t}}})), OR({{{n}}} > {i}, CONTAINS({{{t}}}, "x")))',
                "actions": [
                    {"type": "require", "fields": [KEYS[(i + 7) % FIELDS]]},
                    {"type": "set", "field": KEYS[(2 * i + 3) % FIELDS], "value": f"ROUND({{{n}}} * 1.13, 2)"},
                ],
            }
        )  # fmt: skip
    return out


def typed(values: dict[str, Any], i: int) -> str:
    """Keystroke ``i`` into ``values`` (as ``bench/linkage_timing.ts`` types it); its field."""
    k = KEYS[i % FIELDS]
    v = values[k]
    values[k] = v + 1 if isinstance(v, int | float) else v + "x" if isinstance(v, str) else v
    return k


def python_keystrokes(form: Any, env: Any, n: int) -> tuple[list[float], dict[str, Any]]:
    """Milliseconds of ``run`` per keystroke, and the values typed in the end."""
    from cairn.meta.form_runtime import run

    values = dict(RECORD)
    run(form, values, env)
    times = []
    for i in range(n):
        typed(values, i)
        t0 = time.perf_counter()
        run(form, values, env)
        times.append((time.perf_counter() - t0) * 1000)
    return times, values


def state_json(state: Any) -> dict[str, Any]:
    """A Python form state as ``stateJSON`` gives the browser's."""
    return {
        "values": state.values,
        "set_by": state.set_by,
        "hidden": sorted(state.hidden),
        "hidden_sections": sorted(state.hidden_sections),
        "required": state.required,
        "readonly": state.readonly,
        "options": {k: [list(v[0]), v[1]] for k, v in state.options.items()},
        "active": list(state.active),
    }


def build(env: Env) -> tuple[dict[str, Any], Any, Any]:
    """The form page's linkage and env (as ``forms.get`` replies), the compiled form and the
    Python environment (as record writes run them)."""
    from cairn.auth import cli
    from cairn.forms import runtime as form_runtime
    from cairn.services.uow import unit_of_work

    s = env.services
    s.apps.create({"key": APP, "name": "Linkage bench"})
    fields = [{"key": k, "name": k, "type": KINDS[k]} for k in KEYS]
    s.schema.create_table(APP, {"key": TABLE, "name": "大表单", "fields": fields})
    layout = {
        "sections": [{"title": "", "rows": [KEYS[i : i + 3] for i in range(0, FIELDS, 3)]}],
        "rules": rules(),
    }
    s.schema.set_layout(cli(), APP, TABLE, layout)
    page = s.forms.get(APP, TABLE, "default")
    with unit_of_work(s, write=False) as uow:
        schema = uow.catalog.table(APP, TABLE)
        form = form_runtime.compiled(uow, schema, None)
        py_env = form_runtime.environment(uow, form)
    if len(page["linkage"]["rules"]) != RULES:
        raise RuntimeError(f"expected {RULES} rules in the linkage, got {page['linkage']}")
    return page, form, py_env


def chromium_keystrokes(env: Env, request: dict[str, Any]) -> dict[str, Any] | str:
    """The keystroke loop in a Chromium page (its reply), or why it did not run."""
    from bench.browser import ARGS, CHROMIUM

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "the playwright package is missing"
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        return "chromium is not installed"
    script = bundle(PAGE_ENTRY, env.data_dir / "linkage_page.js", "iife", "browser")
    origin = "https://linkage.bench"
    isolated = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}  # fmt: skip
    html = '<!doctype html><meta charset="utf-8"><script src="/linkage.js"></script>'

    def serve(route: Any) -> None:
        if route.request.url.endswith("/linkage.js"):
            body, kind = script.read_text(encoding="utf-8"), "text/javascript"
        else:
            body, kind = html, "text/html"
        route.fulfill(status=200, body=body, content_type=kind, headers=isolated)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.route(f"{origin}/**", serve)
            page.goto(f"{origin}/")
            if not page.evaluate("crossOriginIsolated"):
                log("linkage: the Chromium page is not cross-origin isolated (100 µs timer)")
            return dict(page.evaluate("req => window.cairnLinkage.keystrokes(req)", request))
        finally:
            browser.close()


@scenario(
    NAME,
    dbs=("sqlite",),
    description="linkage per keystroke, 60-field form with 40 rules: browser evaluator vs Python",
)
def linkage_bench(env: Env, opts: Options) -> list[dict[str, Any]]:
    from cairn.meta.form_runtime import run

    reason = missing()
    if reason is not None:
        raise RuntimeError(f"the linkage bench needs node and web/node_modules: {reason}")
    log(f"linkage: {FIELDS} fields, {RULES} rules, {KEYSTROKES} keystrokes")
    page, form, py_env = build(env)
    py_times, py_values = python_keystrokes(form, py_env, KEYSTROKES)
    py_p50, py_p95 = percentile(py_times, 50), percentile(py_times, 95)
    request = {
        "linkage": page["linkage"],
        "env": page["env"],
        "kinds": KINDS,
        "record": RECORD,
        "keystrokes": KEYSTROKES,
    }
    node = NodeFormula.start(env.data_dir)
    try:
        got = node.ask({"op": "keystrokes", **request})
    finally:
        node.close()
    replies = [("node", got)]
    browser = chromium_keystrokes(env, request)
    if isinstance(browser, str):
        log(f"linkage: not measured in Chromium: {browser}")
    else:
        replies.append(("Chromium", browser))
    expected = state_json(run(form, py_values, py_env))
    what = f"a keystroke in a {FIELDS}-field form with {RULES} rules"
    rows = []
    for where, reply in replies:
        if reply["values"] != py_values or reply["state"] != expected:
            raise RuntimeError(f"linkage: {where} ended in another state than Python's")
        times, evaluated = reply["times"], reply["evaluated"]
        p50, p95 = percentile(times, 50), percentile(times, 95)
        rows += [
            row(NAME, env.db, f"{what} · {where} p95 (vs Python run)", "ms", p95,
                baseline=py_p95, ratio=p95 / py_p95, target=PER_KEYSTROKE),
            row(NAME, env.db, f"{what} · {where} p50 (vs Python run)", "ms", p50,
                baseline=py_p50, ratio=p50 / py_p50),
            row(NAME, env.db, f"rules evaluated per keystroke · {where} mean (vs Python's)",
                "rules", sum(evaluated) / len(evaluated), baseline=RULES,
                ratio=sum(evaluated) / len(evaluated) / RULES),
        ]  # fmt: skip
    return rows
