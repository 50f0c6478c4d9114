"""Linkage rules of a form without a database: checked as written (errors by location, in
both languages), stored with ids, shown with keys, and run over a record's values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from cairn.core import Invalid, render
from cairn.formula import Environment
from cairn.formula.forms import form_functions
from cairn.meta.form_compile import compile_form
from cairn.meta.form_rules import check_default_formula, check_rules, rules_public
from cairn.meta.form_runtime import run
from cairn.meta.layouts import check_layout, layout_effective, layout_public
from support.shapes import Shape, Spec, shape_of

STATUS = ["待处理", "已驳回", "已完成"]


SPECS: list[Spec] = [
    ("status", "状态", "single_select", {"choices": [{"value": v} for v in STATUS]}),
    ("reason", "驳回原因", "text", {}),
    ("amount", "金额", "number", {"decimals": 2}),
    ("gross", "含税金额", "number", {"decimals": 2}),
    ("due", "到期日", "date", {}),
    ("owner", "负责人", "user", {}),
    ("tags", "标签", "multi_select", {"choices": [{"value": "a"}, {"value": "b"}]}),
    ("calc", "计算", "formula", {"formula": "1", "result_type": "number"}),
    ("paid", "已付", "boolean", {}),
    ("note", "备注", "text", {}),
]


def shape(layout: dict[str, Any] | None = None, deleted: tuple[str, ...] = ()) -> Shape:
    return shape_of(SPECS, layout, deleted)


S = shape()
ENV = Environment(date(2026, 1, 5), datetime(2026, 1, 5, 17, 0), 8 * 3600, user_id=3)
REJECT = {
    "name": "驳回须填原因",
    "when": '{状态} = "已驳回"',
    "actions": [
        {"type": "show", "fields": ["reason"]},
        {"type": "require", "fields": ["reason"]},
    ],
}


def errors_of(raw: Any, sections: set[str] | None = None, loc: str = "") -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        check_rules(S, raw, sections or set(), form_functions(), loc)
    return {k: [m.key for m in v] for k, v in caught.value.field_errors.items()}


def test_rules_are_stored_with_ids_and_shown_with_keys() -> None:
    raw = [
        REJECT,
        {
            "name": "含税",
            "when": "NOT(ISBLANK({amount}))",
            "actions": [
                {"type": "set", "field": "gross", "value": "{金额} * 1.13"},
                {"type": "options", "field": "status", "options": ["待处理", "已完成"]},
            ],
        },
    ]
    stored = check_rules(S, raw, set(), form_functions())
    assert stored[0] == {
        "name": "驳回须填原因",
        "when": '{#1} = "已驳回"',
        "actions": [
            {"type": "show", "fields": [2], "sections": []},
            {"type": "require", "fields": [2]},
        ],
    }
    assert stored[1]["actions"][0] == {"type": "set", "field": 4, "value": "{#3} * 1.13"}
    options = stored[1]["actions"][1]["options"]
    assert len(options) == 2 and all(o.startswith("o") for o in options)  # choice ids
    shown = rules_public(S, stored)
    assert shown[0]["when"] == '{status} = "已驳回"'
    assert shown[1]["actions"][0] == {"type": "set", "field": "gross", "value": "{amount} * 1.13"}
    assert shown[1]["actions"][1]["options"] == ["待处理", "已完成"]
    # What is shown checks again to the same stored rules (a package round trip).
    assert check_rules(S, shown, set(), form_functions()) == stored


def test_every_bad_place_is_named() -> None:
    raw = [
        {"name": "a", "when": "{nope} = 1", "actions": [{"type": "require", "fields": ["reason"]}]},
        {"name": "b", "when": "{amount} + 1", "actions": [{"type": "hide", "fields": ["x"]}]},
        {"name": "b", "when": "WORKDAY(TODAY(), 1) > {due}", "actions": [{"type": "jump"}]},
        {
            "name": "d",
            "when": 'TEXT({amount}, "0.00") = "1"',
            "actions": [
                {"type": "set", "field": "gross", "value": "{reason}"},
                {"type": "options", "field": "status", "options": ["待处理", "没有"]},
                {"type": "options", "field": "reason", "options": ["x"]},
                {"type": "show", "sections": ["s_none"]},
                {"type": "require", "fields": ["calc"]},
                {"type": "set", "field": "tags", "value": '"a"'},
                {"type": "clear"},
            ],
        },
        {"name": "", "when": "", "actions": []},
        {"name": "f", "when": "COUNT({tags}) > 0", "actions": [{"type": "show", "fields": []}]},
    ]
    assert errors_of(raw, loc="layout") == {
        "layout.rules.0.when": ["formula.unknown_field"],
        "layout.rules.1.when": ["formula.not_boolean"],
        "layout.rules.1.actions.0.fields.0": ["field.unknown"],
        "layout.rules.2.name": ["form.rule_name_taken"],
        "layout.rules.2.when": ["formula.not_in_browser"],
        "layout.rules.2.actions.0.type": ["form.action_type"],
        "layout.rules.3.when": ["formula.not_in_browser"],
        "layout.rules.3.actions.0.value": ["form.set_type"],
        "layout.rules.3.actions.1.options.1": ["form.option_unknown"],
        "layout.rules.3.actions.2.field": ["form.options_field"],
        "layout.rules.3.actions.3.sections.0": ["form.section_unknown"],
        "layout.rules.3.actions.4.fields.0": ["form.field_not_writable"],
        "layout.rules.3.actions.5.field": ["form.field_not_settable"],
        "layout.rules.3.actions.6.fields": ["form.action_targets"],
        "layout.rules.4.name": ["form.rule_name"],
        "layout.rules.4.when": ["form.when_required"],
        "layout.rules.4.actions": ["form.actions_shape"],
        "layout.rules.5.when": ["form.field_unusable"],
        "layout.rules.5.actions.0": ["form.action_targets"],
    }


def test_a_function_outside_the_browser_is_named_in_both_languages() -> None:
    raw = [{"name": "w", "when": "WORKDAY(TODAY(), 1) > {due}", "actions": [REJECT["actions"][1]]}]
    with pytest.raises(Invalid) as caught:
        check_rules(S, raw, set(), form_functions())
    [message] = caught.value.field_errors["rules.0.when"]
    assert message.params["function"] == "WORKDAY"
    assert "WORKDAY" in render(message, "en") and "浏览器" in render(message, "zh-CN")


def test_a_layout_carries_section_keys_and_rules() -> None:
    written = {
        "sections": [
            {"title": "Main", "rows": [["status", "amount"]]},
            {"key": "s_reject", "title": "驳回", "rows": [["reason"]]},
        ],
        "rules": [
            {
                "name": "r",
                "when": '{status} = "已驳回"',
                "actions": [{"type": "show", "sections": ["s_reject"]}],
            }
        ],
    }
    stored = check_layout(S, written)
    assert stored is not None
    assert stored["sections"][1] == {
        "key": "s_reject",
        "title": "驳回",
        "collapsed": False,
        "rows": [[2]],
    }
    assert stored["rules"][0]["actions"] == [
        {"type": "show", "fields": [], "sections": ["s_reject"]}
    ]
    s = shape(stored)
    public = layout_public(s)
    assert public is not None and public["sections"][1]["key"] == "s_reject"
    assert public["rules"][0]["when"] == '{status} = "已驳回"'
    effective = layout_effective(s)
    assert effective["rules"] == public["rules"]
    # The unplaced fields do not join a section rules may hide.
    assert effective["sections"][-1].get("key") is None
    with pytest.raises(Invalid) as caught:
        check_layout(S, {"sections": [{"key": "a", "rows": []}, {"key": "a", "rows": []}]})
    assert list(caught.value.field_errors) == ["sections.1.key"]


def test_default_formulas_need_no_field_and_fit_their_field() -> None:
    f = S.by_key
    fns = form_functions()
    assert check_default_formula(S, f["due"], " TODAY() + 7 ", fns, "x") == "TODAY() + 7"
    assert check_default_formula(S, f["owner"], "CURRENTUSER()", fns, "x") == "CURRENTUSER()"
    assert check_default_formula(S, f["note"], "CURRENTDEPARTMENT()", fns, "x")
    for fld, text, key in [
        ("amount", "TODAY()", "form.default_formula_type"),
        ("due", "{amount}", "formula.unknown_field"),
        ("tags", '"a"', "form.default_formula_field"),
        ("calc", "1", "form.default_formula_field"),
    ]:
        with pytest.raises(Invalid) as caught:
            check_default_formula(S, f[fld], text, fns, "options.default_formula")
        assert [m.key for m in caught.value.field_errors["options.default_formula"]] == [key]


# -- running ---------------------------------------------------------------------------------
def form(rules: list[dict[str, Any]], layout_sections: list[Any] | None = None) -> Any:
    stored = check_layout(S, {"sections": layout_sections or [], "rules": rules})
    return compile_form(S, stored)


def test_a_field_some_rule_shows_is_hidden_until_one_holds() -> None:
    f = form([REJECT])
    off = run(f, {"status": "待处理"}, ENV)
    assert off.hidden == {"reason"} and off.required == {}
    on = run(f, {"status": "已驳回"}, ENV)
    assert on.hidden == frozenset() and on.required == {"reason": "驳回须填原因"}
    assert run(f, {}, ENV).hidden == {"reason"}  # blank: the condition does not hold


def test_a_hidden_section_hides_its_fields_and_they_are_not_required() -> None:
    f = form(
        [
            {
                "name": "hide",
                "when": "{paid}",
                "actions": [{"type": "hide", "sections": ["s"]}],
            },
            {"name": "req", "when": "TRUE", "actions": [{"type": "require", "fields": ["note"]}]},
        ],
        [{"key": "s", "title": "S", "rows": [["note", "due"]]}],
    )
    state = run(f, {"paid": True}, ENV)
    assert state.hidden_sections == {"s"} and state.hidden == {"note", "due"}
    assert state.required == {}
    assert run(f, {"paid": False}, ENV).required == {"note": "req"}


def test_sets_apply_in_order_and_later_rules_see_them() -> None:
    f = form(
        [
            {
                "name": "gross",
                "when": "NOT(ISBLANK({amount}))",
                "actions": [{"type": "set", "field": "gross", "value": "{amount} * 1.13"}],
            },
            {
                "name": "big",
                "when": "{gross} > 100",
                "actions": [
                    {"type": "set", "field": "due", "value": "TODAY() + 7"},
                    {"type": "clear", "fields": ["note"]},
                    {"type": "readonly", "fields": ["amount"]},
                ],
            },
        ]
    )
    state = run(f, {"amount": 100, "note": "x"}, ENV)
    assert state.values["gross"] == 113  # rounded to the field's 2 places: 112.99999… → 113
    assert state.values["due"] == "2026-01-12" and state.values["note"] is None
    assert state.set_by == {"gross": "gross", "due": "big", "note": "big"}
    assert state.readonly == {"amount": "big"}
    small = run(f, {"amount": 50}, ENV)
    assert small.values["gross"] == 56.5 and "due" not in small.set_by


def test_options_of_several_rules_keep_what_all_allow_and_errors_do_not_hold() -> None:
    f = form(
        [
            {"name": "a", "when": "TRUE", "actions": [{"type": "options", "field": "status", "options": ["待处理", "已驳回"]}]},
            {"name": "b", "when": "1 / {amount} > 0", "actions": [{"type": "options", "field": "status", "options": ["已驳回", "已完成"]}]},
        ]
    )  # fmt: skip
    assert run(f, {"amount": 2}, ENV).options == {"status": (("已驳回",), "a")}
    assert run(f, {"amount": 0}, ENV).options == {"status": (("待处理", "已驳回"), "a")}  # #DIV/0!


def test_a_rule_naming_a_field_in_the_recycle_bin_never_holds() -> None:
    stored = check_layout(S, {"sections": [], "rules": [{**REJECT, "when": '{note} = "x"'}]})
    gone = shape(stored, deleted=("note",))
    f = compile_form(gone, stored)
    assert f.rules[0].when is None
    assert run(f, {"note": "x"}, ENV).required == {}
