"""Message templates: record values by key and by name, a sandbox that refuses internals,
and clear errors (unknown names, syntax) both when saving and when rendering."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.core import Invalid
from cairn.integrations import templates

CTX = templates.record_context(
    {"name": "华东通航", "next_check": "2026-02-01", "tail": "B-1234", "amount": 1200},
    {"name": "客户名称", "next_check": "定检日期", "tail": "注册号", "amount": "金额 (元)"},
    link="https://crm.example.cn/r/7",
)


def code(e: pytest.ExceptionInfo[Invalid]) -> str:
    [msgs] = e.value.field_errors.values()
    return msgs[0].key


def test_fields_by_key_and_by_chinese_name() -> None:
    out = templates.render("{{ 客户名称 }}的 {{ tail }} 将于 {{ 定检日期 }} 定检：{{ link }}", CTX)
    assert out == "华东通航的 B-1234 将于 2026-02-01 定检：https://crm.example.cn/r/7"
    assert (
        templates.render('{{ record["金额 (元)"] }} / {{ record.name }}', CTX) == "1200 / 华东通航"
    )
    assert (
        templates.render("{{ name | upper }}{% if amount > 1000 %} 大额{% endif %}", CTX)
        == "华东通航 大额"
    )


def test_plain_text_is_not_escaped_html_is() -> None:
    ctx = {"v": "<b>A&B</b>"}
    assert templates.render("{{ v }}", ctx) == "<b>A&B</b>"
    assert templates.render_html("<p>{{ v }}</p>", ctx) == "<p>&lt;b&gt;A&amp;B&lt;/b&gt;</p>"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ record.__class__ }}",
        "{{ name.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self._TemplateReference__context }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_sandbox_refuses_internals(source: str) -> None:
    with pytest.raises(Invalid) as e:
        templates.render(source, CTX)
    assert code(e) in ("template.unsafe", "template.unknown_name")


def test_unknown_names_fail_clearly() -> None:
    with pytest.raises(Invalid) as e:
        templates.render("您好 {{ 客户 }}", CTX)
    assert code(e) == "template.unknown_name"
    assert "客户" in str(e.value.field_errors)


def test_check_at_save_time() -> None:
    templates.check("{{ 客户名称 }} {{ tail }}", known=CTX)
    with pytest.raises(Invalid) as e:
        templates.check("{{ 客户名称 }", location="actions.0.body")
    assert code(e) == "template.syntax"
    assert "actions.0.body" in e.value.field_errors
    with pytest.raises(Invalid) as e:
        templates.check("{{ 客户名 }}{% for x in items %}{{ x }}{% endfor %}", known=CTX)
    assert code(e) == "template.unknown_name"
    assert e.value.field_errors["template"][0].params["detail"] == "items, 客户名"


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(99999) %}xxxxxxxxxx{% endfor %}",
        # No output at all, but 10^10 iterations: the range budget stops it at once.
        "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    ],
)
def test_runaway_templates_are_refused(source: str) -> None:
    with pytest.raises(Invalid) as e:
        templates.render(source, {})
    assert code(e) == "template.too_long"
    assert templates.render("{% for i in range(3) %}{{ i }}{% endfor %}", {}) == "012"


def test_json_templates_escape_values() -> None:
    out = templates.render_json(
        '{"to": "{{ phone }}", "text": "{{ text }}"}', {"phone": "1", "text": 'a"b\\c\n'}
    )
    assert out == {"to": "1", "text": 'a"b\\c\n'}


@given(st.text(max_size=200))
def test_any_value_renders_as_itself(value: str) -> None:
    assert templates.render("{{ v }}", {"v": value}) == value
    assert templates.render_json('{"v": "{{ v }}"}', {"v": value}) == {"v": value}


@given(st.text(max_size=80))
def test_any_source_renders_or_fails_with_invalid(source: str) -> None:
    with contextlib.suppress(Invalid):
        templates.render(source, CTX)
