"""The browser evaluates a form's linkage formulas exactly as the server does: random
conditions (and values) over random records, through the Python evaluator and through the
TypeScript one (``web/src/formula``, bundled and run by node), give the same value, blank or
error; and a form's rules give the same state on both sides. The two lists of functions the
browser evaluates are one list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.formula import DictRecord, Environment, FormulaError
from cairn.formula.forms import BROWSER_FUNCTIONS, form_functions, to_json
from cairn.meta import Field, Table
from cairn.meta.form_compile import compile_form
from cairn.meta.form_rules import check_rules, compile_formula
from cairn.meta.form_runtime import run
from cairn.meta.form_values import formula_value
from support.browser_formula import ROOT, BrowserFormula, encode
from support.browser_formula import require as require_browser
from support.formula_strategies import Grammar, maybe, q
from support.shapes import TYPES, Shape, Spec, shape_of

CHOICES = ["待处理", "已驳回", "已完成", "VIP"]
SPECS: list[Spec] = [
    ("n1", "数量", "number", {"decimals": 4}),
    ("n2", "单价", "number", {"decimals": 2}),
    ("t1", "名称", "text", {}),
    ("t2", "级别", "text", {}),
    ("c1", "状态", "single_select", {"choices": [{"value": c} for c in CHOICES]}),
    ("b1", "已付", "boolean", {}),
    ("d1", "签约日期", "date", {}),
    ("d2", "到期日期", "date", {}),
    ("dt1", "创建时间", "datetime", {}),
]


SHAPE = shape_of(SPECS)
KINDS = {f.key: SHAPE.types[f.id].value_type for f in SHAPE.fields}
ENV = Environment(
    today=date(2026, 1, 5),
    now=datetime(2026, 1, 5, 17, 0, 0),
    utc_offset=8 * 3600,
    user_id=7,
    department="华东销售部",
)
ENV_JSON = {
    "today": "2026-01-05",
    "now": "2026-01-05T17:00:00",
    "utc_offset": 8 * 3600,
    "user_id": 7,
    "department": "华东销售部",
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserFormula]:
    b = BrowserFormula.start(tmp_path_factory.mktemp("browser"))
    yield b
    b.close()


# -- one list of functions --------------------------------------------------------------------
def ts_table_keys() -> set[str]:
    """The keys of ``FUNCTIONS`` in web/src/formula/functions.ts, read from the source."""
    text = (ROOT / "web" / "src" / "formula" / "functions.ts").read_text(encoding="utf-8")
    block = text[text.index("export const FUNCTIONS") :]
    block = block[: block.index("\n}\n")]
    keys = re.findall(r"^  (?:'([^']+)'|([A-Z]+))(?::|,)", block, re.MULTILINE)
    return {a or b for a, b in keys}


def test_the_browser_implements_exactly_the_server_list() -> None:
    assert ts_table_keys() == set(BROWSER_FUNCTIONS)
    assert len(BROWSER_FUNCTIONS) == len(set(BROWSER_FUNCTIONS))
    known = {f.key for f in form_functions()}
    assert set(BROWSER_FUNCTIONS) <= known


def test_the_running_browser_evaluator_has_the_same_list(browser: BrowserFormula) -> None:
    assert set(browser.ask({"op": "keys"})) == set(BROWSER_FUNCTIONS)


# -- random formulas ------------------------------------------------------------------------------
TEXTS = ["", "a", "A", "abc", "ABC", " x  y ", "客户", "12", " 1.5 ", "VIP", 'q"q', "a-b-c", "𝒳b", "é", "Zz", "已驳回", "Ｚ𝒳"]  # fmt: skip


NUMBER_TEXTS = ["0", "1", "2", "2.5", "0.1", "0.2", "3", "10", "100", "1e10", "2.675", "0.5", "100000000000000.5", "1e-7", "123456.789"]  # fmt: skip
BOOLEAN_LEAVES = ["{b1}", "TRUE", "FALSE", "TRUE()", "FALSE()", "ISBLANK({t1})", "ISBLANK({d1})", "ISBLANK({c1})"]  # fmt: skip


def _power(draw: Any, depth: int) -> str:
    # Powers with exact results (libm and V8 may differ in the last bit of others).
    base, exp = draw(st.integers(-3, 5)), draw(st.integers(0, 3))
    return str(draw(st.sampled_from([f"({base} ^ {exp})", f"POWER({base}, {exp})"])))


def _time_part(draw: Any, depth: int) -> str:
    fn = draw(st.sampled_from(["HOUR", "MINUTE", "SECOND"]))
    return f"{fn}({draw(moment(depth - 1))})"


def _weekday(draw: Any, depth: int) -> str:
    kind = draw(st.sampled_from(["", ", 1", ", 2", ", 3", ", 4"]))
    return f"WEEKDAY({draw(day(depth - 1))}{kind})"


def _find(draw: Any, depth: int) -> str:
    txt = text(depth - 1)
    return f"FIND({draw(txt)}, {draw(txt)}{draw(st.sampled_from(['', ', 1', ', 2', ', 5']))})"


def _hours_between(draw: Any, depth: int) -> str:
    return f"(({draw(moment(depth - 1))} - {draw(moment(depth - 1))}) / 3600)"


def _switch_choice(draw: Any, d: int, op: str) -> str:
    label = draw(st.sampled_from([*CHOICES, "vip", "x"]))
    arms = [f"{q(label)}, {draw(truth(d))}"]
    return f"SWITCH({{c1}}, {', '.join(arms)}, {draw(truth(d))})"


GRAMMAR = Grammar(
    number_texts=NUMBER_TEXTS,
    number_fields=["{n1}", "{n2}", "{数量}", "TRUE", "FALSE", "{b1}", "BLANK()", "CURRENTUSER()"],
    texts=TEXTS,
    text_fields=["{t1}", "{t2}", "{名称}", "{c1}", "CURRENTDEPARTMENT()"],
    boolean_leaves=BOOLEAN_LEAVES,
    arithmetic=["+", "-", "*", "/"],
    units=["days", "weeks", "months", "years", "月"],
    number_arms=[_power, _time_part, _weekday, _find, _hours_between],
    text_arms=[lambda draw, depth: f"BLANKVALUE({draw(text(depth - 1))}, {draw(text(depth - 1))})"],
    text_parts=[lambda d: day(d), lambda d: moment(d)],
    boolean_arms=[
        lambda draw, d, op: f"({draw(moment(d))} {op} {draw(st.one_of(moment(d), day(d)))})",
        _switch_choice,
        lambda draw, d, op: f"ISERROR({draw(number(d))})",
    ],
)
number, text, day, boolean = GRAMMAR.number, GRAMMAR.text, GRAMMAR.day, GRAMMAR.boolean
condition, truth = GRAMMAR.condition, GRAMMAR.truth


@st.composite
def moment(draw: Any, depth: int = 2) -> str:
    """A date and time."""
    leaves = [st.sampled_from(["{dt1}", "NOW()", "{创建时间}"])]
    if depth <= 0:
        return draw(st.one_of(*leaves))
    choice = draw(st.integers(0, 4))
    if choice <= 1:
        return draw(st.one_of(*leaves))
    if choice == 2:
        unit = draw(st.sampled_from(["hours", "minutes", "seconds", "days", "months"]))
        return f'DATEADD({draw(moment(depth - 1))}, {draw(number(0))}, "{unit}")'
    if choice == 3:
        return f"({draw(moment(depth - 1))} + {draw(number(0))})"
    return f'DATEADD({draw(day(depth - 1))}, {draw(st.integers(-30, 30))}, "hours")'


ISO = st.builds(
    lambda d, h, m, s, z: f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}{z}",
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["+08:00", "Z", "", "-05:00", "+0530"]),
)
records = st.fixed_dictionaries(
    {
        "n1": maybe(
            st.one_of(
                st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False).map(
                    lambda d: int(d) if d == d.to_integral_value() else float(d)
                ),
                st.sampled_from(["12", " 3.5 ", "a", ""]),
            )
        ),
        "n2": maybe(st.sampled_from([0, 0.1, 2.5, -3.75, 0.001, 123456.79, 1e15, -0.5])),
        "t1": maybe(st.sampled_from(TEXTS)),
        "t2": maybe(st.sampled_from(TEXTS)),
        "c1": maybe(st.sampled_from(CHOICES)),
        "b1": maybe(st.booleans()),
        "d1": maybe(
            st.one_of(
                st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(lambda d: d.isoformat()),
                st.just("2026-02-30"),
            )
        ),
        "d2": maybe(st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(lambda d: d.isoformat())),
        "dt1": maybe(ISO),
    }
)


def bounded(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def python_values(text_: str, rows: list[dict[str, Any]]) -> list[Any] | None:
    try:
        f = compile_formula(SHAPE, text_, form_functions(), "when")
    except FormulaError:
        return None
    out = []
    for row in rows:
        rec = DictRecord({k: formula_value(KINDS[k], row.get(k), ENV.utc_offset) for k in KINDS})
        out.append(encode(f.evaluate(rec, ENV)))
    return out


def check_same(browser: BrowserFormula, text_: str, rows: list[dict[str, Any]]) -> None:
    py = python_values(text_, rows)
    if py is None:  # does not type-check: never saved, never run
        return
    f = compile_formula(SHAPE, text_, form_functions(), "when")
    ts = browser.ask(
        {"op": "eval", "tree": to_json(f.typed), "env": ENV_JSON, "kinds": KINDS, "records": rows}
    )
    for row, p, t in zip(rows, py, ts, strict=True):
        if isinstance(t, dict) and isinstance(t.get("n"), int):
            t = {"n": float(t["n"])}  # JSON wrote a whole double without its point
        assert p == t, (text_, row, p, t)


formulas = st.one_of(number(2), text(2), day(2), moment(2), boolean(2), number(3))


def test_python_and_the_browser_agree_on_random_formulas(browser: BrowserFormula) -> None:
    @given(formulas, st.lists(records, min_size=1, max_size=4))
    @bounded(300)
    def check(text_: str, rows: list[dict[str, Any]]) -> None:
        check_same(browser, text_, rows)

    check()


def test_python_and_the_browser_agree_on_random_conditions(browser: BrowserFormula) -> None:
    @given(st.one_of(boolean(2), boolean(3)), st.lists(records, min_size=1, max_size=4))
    @bounded(300)
    def check(text_: str, rows: list[dict[str, Any]]) -> None:
        check_same(browser, text_, rows)

    check()


UNICODE = st.text(
    st.characters(blacklist_categories=("Cs",), max_codepoint=0x1F9FF), max_size=6
) | st.sampled_from(["Ｚ𝒳", "𝒳b", "é", "ABC", "abc", ""])
TEXT_FORMULAS = [
    "{t1} < {t2}", "{t1} <= {t2}", "{t1} > {t2}", "{t1} = {t2}", "UPPER({t1}) >= LOWER({t2})",
    "LEN({t1})", "LEFT({t1}, 2) & RIGHT({t2}, 2)", "MID({t1}, 2, 3)", "FIND({t2}, {t1})",
    'FIND(LEFT({t2}, 1), {t1}, 2)', "TRIM({t1})", 'SUBSTITUTE({t1}, LEFT({t2}, 1), "-")',
    "CONTAINS({t1}, {t2})", "VALUE({t1})", "{t1} & {t2}",
]  # fmt: skip


def test_python_and_the_browser_agree_on_random_unicode_text(browser: BrowserFormula) -> None:
    """Code points, not UTF-16 units: lengths, positions and order of any text."""

    @given(
        st.sampled_from(TEXT_FORMULAS),
        st.lists(st.fixed_dictionaries({"t1": UNICODE, "t2": UNICODE}), min_size=1, max_size=5),
    )
    @bounded(200)
    def check(text_: str, rows: list[dict[str, Any]]) -> None:
        check_same(browser, text_, rows)

    check()


#: Numbers ending in a 5 (ties when rounded one place shorter): -123.45, 0.005 …
TIES = st.builds(
    lambda sign, i, k: float(f"{sign}{i}5e-{k}"),
    st.sampled_from(["", "-"]),
    st.integers(0, 10**6),
    st.integers(1, 4),
)
NUMBER_FORMULAS = [
    '{n2} & ""', "ROUND({n2}, {n1})", "ROUNDUP({n2}, {n1})", "ROUNDDOWN({n2}, {n1})",
    "INT({n2})", "MOD({n2}, {n1})", "{n2} * {n1}", "{n2} / {n1}", "SQRT(ABS({n2}))",
    'VALUE({n2} & "")', "{n2} + {n1} & \"\"",
]  # fmt: skip


def test_python_and_the_browser_agree_on_random_numbers(browser: BrowserFormula) -> None:
    """Any double as text (15 significant digits, ties to even) and rounded (half away from
    zero) as the server writes and rounds it."""

    @given(
        st.sampled_from(NUMBER_FORMULAS),
        st.lists(
            st.fixed_dictionaries(
                {
                    "n1": st.integers(0, 3) | st.integers(-4, 8),
                    "n2": st.floats(allow_nan=False, allow_infinity=False)
                    | st.decimals(-(10**15), 10**15, places=3).map(float)
                    | TIES,
                }
            ),
            min_size=1,
            max_size=5,
        ),
    )
    @bounded(200)
    def check(text_: str, rows: list[dict[str, Any]]) -> None:
        check_same(browser, text_, rows)

    check()


@pytest.mark.parametrize(
    "formula",
    [
        '{n1} & ""',
        '100000000000000.5 & ""',
        '(0.1 + 0.2) & ""',
        "ROUND(2.675, 2)",
        "ROUND(-2.5, 0)",
        "ROUNDUP(3.141, 2)",
        "ROUNDDOWN(-3.149, 2)",
        "LEN({t1})",
        "LEFT({t1}, 1) & RIGHT({t1}, 1) & MID({t1}, 2, 1)",
        'FIND("b", {t1})',
        "{t1} < {t2}",
        "UPPER({t1}) = {t2}",
        '{dt1} & ""',
        "HOUR({dt1})",
        'DATEADD({d1}, 1, "months")',
        'DATEADD({dt1}, -3, "hours") > NOW()',
        "WEEKDAY({d1}, 2)",
        "WEEKDAY({d1})",
        '{t1} < "Ｚ𝒳"',
        'DATEDIF({d1}, {d2}, "md")',
        "{d2} - {d1}",
        "NOW() - {dt1}",
        '{c1} = "已驳回"',
        "CURRENTUSER() = 7",
        'CURRENTDEPARTMENT() & "-" & {c1}',
        "VALUE({t1})",
        "1 / {n2}",
        "SQRT({n1})",
        "MOD(-1, 3) + MOD({n1}, {n2})",
    ],
)
def test_python_and_the_browser_agree_on_known_edges(browser: BrowserFormula, formula: str) -> None:
    rows = [
        {"n1": 1234.5678, "n2": 0.1, "t1": "𝒳bc", "t2": "abc", "c1": "已驳回", "b1": True,
         "d1": "2024-01-31", "d2": "2024-03-01", "dt1": "2026-01-05T23:30:15Z"},
        {"n1": None, "n2": 0, "t1": "Abc", "t2": "aBC", "c1": None, "b1": None,
         "d1": "2024-02-29", "d2": "2023-02-28", "dt1": "2026-01-05 08:00"},
        {"n1": "12", "n2": -0.5, "t1": "", "t2": None, "c1": "VIP", "b1": False,
         "d1": None, "d2": "2025-12-31", "dt1": "9999-12-31T23:59:59+08:00"},
    ]  # fmt: skip
    check_same(browser, formula, rows)


# -- a form's rules: the same state on both sides --------------------------------------------
ACTIONS = st.one_of(
    st.builds(
        lambda f, s: {"type": "show", "fields": f, "sections": s},
        st.lists(st.sampled_from(["t2", "n2", "d2"]), max_size=2, unique=True),
        st.lists(st.just("s_more"), max_size=1),
    ).filter(lambda a: a["fields"] or a["sections"]),
    st.builds(
        lambda f: {"type": "hide", "fields": f},
        st.lists(st.sampled_from(["t1", "n2"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda t, f: {"type": t, "fields": f},
        st.sampled_from(["require", "readonly", "clear"]),
        st.lists(
            st.sampled_from(["t1", "t2", "n2", "d2", "c1"]), min_size=1, max_size=2, unique=True
        ),
    ),
    st.builds(
        lambda f, v: {"type": "set", "field": f[0], "value": v(f[1])},
        st.sampled_from([("n2", "number"), ("t2", "text"), ("d2", "day"), ("dt1", "moment")]),
        st.just(lambda kind: kind),
    ),
    st.builds(
        lambda o: {"type": "options", "field": "c1", "options": o},
        st.lists(st.sampled_from(CHOICES), min_size=1, max_size=3, unique=True),
    ),
)


@st.composite
def rules(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        actions = draw(st.lists(ACTIONS, min_size=1, max_size=3))
        for a in actions:
            if a["type"] == "set":
                gen = {"number": number(1), "text": text(1), "day": day(1), "moment": moment(1)}
                a["value"] = draw(gen[a["value"]])
        out.append({"name": f"r{i}", "when": draw(boolean(2)), "actions": actions})
    return out


LAYOUT_SECTIONS = [
    {"title": "", "rows": [["n1", "t1", "c1"], ["b1", "d1", "dt1"]]},
    {"key": "s_more", "title": "More", "rows": [["n2", "t2", "d2"]]},
]


def stored_form(raw_rules: list[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        stored = check_rules(SHAPE, raw_rules, {"s_more"}, form_functions())
    except Exception:  # a condition or value that does not type-check: never saved
        return None
    sections = [
        {**s, "rows": [[SHAPE.by_key[k].id for k in row] for row in s["rows"]]}
        for s in LAYOUT_SECTIONS
    ]
    return {"sections": sections, "rules": stored}


def test_a_forms_rules_give_the_same_state_in_python_and_the_browser(
    browser: BrowserFormula,
) -> None:
    @given(rules(), st.lists(records, min_size=1, max_size=3))
    @bounded(80)
    def check(raw_rules: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        layout = stored_form(raw_rules)
        if layout is None:
            return
        form = compile_form(SHAPE, layout)
        ts = browser.ask(
            {"op": "linkage", "linkage": form.browser(), "env": ENV_JSON, "records": rows}
        )
        for row, t in zip(rows, ts, strict=True):
            s = run(form, row, ENV)
            py = {
                "values": s.values,
                "set_by": s.set_by,
                "hidden": sorted(s.hidden),
                "hidden_sections": sorted(s.hidden_sections),
                "required": s.required,
                "readonly": s.readonly,
                "options": {k: [list(v[0]), v[1]] for k, v in s.options.items()},
                "active": list(s.active),
            }
            assert py == t, (raw_rules, row, py, t)

    check()


# -- a keystroke runs only the rules it concerns ------------------------------------------------
def test_a_keystroke_in_a_60_field_form_with_40_rules_reruns_only_the_rules_it_changed(
    browser: BrowserFormula,
) -> None:
    """The form ``make bench`` times (scenario ``linkage``: ≤ 5 ms per keystroke is checked
    there, never here): over 300 keystrokes, each changing one field the rules read, only the
    rules whose inputs changed run again, and the state they leave is the one a full run of
    every rule gives, in the browser and in Python."""
    from bench.forms import FIELDS, KEYS, KINDS, RECORD, RULES, rules

    require_browser()
    fields = [
        Field(id=i + 1, table_id=1, key=k, name=k, type=KINDS[k], options=TYPES.get(KINDS[k]).validate_options({}))
        for i, k in enumerate(KEYS)
    ]  # fmt: skip
    shape = Shape(Table(id=1, app_id=1, key="big", name="Big"), fields)
    stored = check_rules(shape, rules(), set(), form_functions())
    form = compile_form(shape, {"sections": [], "rules": stored})
    keystrokes = 300
    got = browser.ask(
        {
            "op": "keystrokes",
            "linkage": form.browser(),
            "env": ENV_JSON,
            "kinds": KINDS,
            "record": RECORD,
            "keystrokes": keystrokes,
        }
    )
    assert len(got["evaluated"]) == keystrokes
    # Each field is read by one or two rules; what a rule sets wakes the rules reading that
    # (a chain may run them all), and a field a rule sets over typed nothing new.
    evaluated = got["evaluated"]
    assert all(0 <= n <= RULES for n in evaluated), evaluated
    assert 0 < sum(evaluated) / keystrokes < RULES / 4, evaluated
    assert sum(n < RULES for n in evaluated) > keystrokes / 2, evaluated
    typed = dict(RECORD)
    for i in range(keystrokes):
        k = KEYS[i % FIELDS]
        typed[k] = typed[k] + 1 if KINDS[k] == "number" else typed[k] + "x"
    assert got["values"] == typed
    full = run(form, typed, ENV)
    assert got["state"]["values"] == full.values
    assert got["state"]["required"] == full.required
    assert got["state"]["set_by"] == full.set_by
    assert got["state"]["active"] == list(full.active)
    assert got["state"]["active"].count(True) > 0


def test_python_runs_the_same_form_quickly_too() -> None:
    """The server runs a form's rules per saved record: compiled once per catalogue snapshot."""
    stored = check_rules(
        SHAPE,
        [
            {
                "name": "r",
                "when": '{c1} = "已驳回"',
                "actions": [{"type": "require", "fields": ["t1"]}],
            }
        ],
        set(),
        form_functions(),
    )
    form = compile_form(SHAPE, {"sections": [], "rules": stored})
    state = run(form, {"c1": "已驳回"}, ENV)
    assert state.required == {"t1": "r"}
    assert run(form, {"c1": "待处理"}, ENV).required == {}
