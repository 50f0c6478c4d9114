"""Message templates: Jinja2's sandboxed environment over a record's values.

Convention (documented in docs/integrations.md): a template sees each field of the record by
its **key** and, when the name is a valid identifier, by its **name** too (``{{ name }}`` and
``{{ 客户名称 }}`` are the same value); ``record`` holds the same mapping, so names with spaces or
punctuation are reached as ``{{ record["客户 名称"] }}``. Callers may add more names (``user``,
``link``, ``now``...). An unknown name is an error, never an empty string: a reminder that
silently says "Dear ," is worse than one that fails and shows why in the run log.

The sandbox refuses attribute access to internals (``''.__class__``), calls to unsafe
methods, and over-long ranges; plain-text templates are not escaped (SMS, robots, e-mail text),
``render_html`` escapes every value (e-mail HTML)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Any

from cairn.core import Invalid

if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

#: A rendered message longer than this is refused (a runaway loop, a pasted attachment).
MAX_OUTPUT = 100_000
#: All ``range()`` calls of one rendering together yield at most this many numbers, so nested
#: loops cannot keep a worker busy for hours.
MAX_RANGE_TOTAL = 100_000

_budget: ContextVar[list[int]] = ContextVar("template_range_budget")


class _Exhausted(Exception):
    pass


def _range(*args: int) -> range:
    r = range(*args)
    left = _budget.get([MAX_RANGE_TOTAL])
    left[0] -= len(r)
    if left[0] < 0:
        raise _Exhausted
    return r


@functools.cache
def _jinja() -> ModuleType:
    """Jinja2, imported on first use (with its ``meta`` and ``sandbox`` modules)."""
    # deferred: Jinja2 costs ~75 ms of every start-up; only sending and checking templates use it
    import jinja2
    import jinja2.meta
    import jinja2.sandbox

    return jinja2


def _env(autoescape: bool, finalize: Any = None) -> SandboxedEnvironment:
    j = _jinja()
    env = j.sandbox.SandboxedEnvironment(
        undefined=j.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        keep_trailing_newline=False,
        finalize=finalize,
    )
    env.globals["range"] = _range
    return env


def _json_text(value: Any) -> str:
    """A value as the inside of a JSON string (for JSON body templates)."""
    if value is None:
        return ""
    return json.dumps(value if isinstance(value, str) else str(value), ensure_ascii=False)[1:-1]


@functools.cache
def _envs() -> dict[str, SandboxedEnvironment]:
    """The three environments: plain text, HTML (values escaped) and JSON string insides."""
    return {"text": _env(False), "html": _env(True), "json": _env(False, _json_text)}


def _where(location: str) -> str:
    return location or "template"


@functools.lru_cache(maxsize=1024)
def _parsed(env: SandboxedEnvironment, source: str) -> jinja2.Template:
    """Compiled once per source (a rule renders the same templates for every record)."""
    return env.from_string(source)


def _compile(env: SandboxedEnvironment, source: str, location: str) -> jinja2.Template:
    if not isinstance(source, str):
        raise Invalid.on(_where(location), "value.text")
    try:
        return _parsed(env, source)
    except _jinja().TemplateSyntaxError as e:
        raise Invalid.on(
            _where(location), "template.syntax", line=e.lineno or 1, detail=e.message or ""
        ) from None


def _render(
    env: SandboxedEnvironment, source: str, context: Mapping[str, Any], location: str
) -> str:
    template = _compile(env, source, location)
    j = _jinja()
    token = _budget.set([MAX_RANGE_TOTAL])
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise Invalid.on(_where(location), "template.too_long", max=MAX_OUTPUT)
            parts.append(chunk)
        out = "".join(parts)
    except _Exhausted:
        raise Invalid.on(_where(location), "template.too_long", max=MAX_OUTPUT) from None
    except j.exceptions.SecurityError:
        raise Invalid.on(_where(location), "template.unsafe") from None
    except j.UndefinedError as e:
        raise Invalid.on(
            _where(location), "template.unknown_name", detail=e.message or ""
        ) from None
    except (j.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as e:
        raise Invalid.on(_where(location), "template.failed", detail=str(e)[:200]) from None
    finally:
        _budget.reset(token)
    return out


def render(source: str, context: Mapping[str, Any], location: str = "") -> str:
    """Plain text (SMS, robots, e-mail text): values are not escaped."""
    return _render(_envs()["text"], source, context, location)


def render_html(source: str, context: Mapping[str, Any], location: str = "") -> str:
    """HTML (e-mail): every value is HTML-escaped unless the template says ``|safe``."""
    return _render(_envs()["html"], source, context, location)


def render_json(source: str, context: Mapping[str, Any], location: str = "") -> Any:
    """A JSON document from a template whose values land inside JSON strings
    (``{"to": "{{ phone }}"}``); the result must parse."""
    text = _render(_envs()["json"], source, context, location)
    try:
        return json.loads(text)
    except ValueError:
        raise Invalid.on(_where(location), "template.not_json") from None


def json_position(source: str) -> tuple[int, int, str] | None:
    """Where a JSON body template stops being JSON, in the template's own lines and columns:
    each ``{{ … }}``, ``{% … %}`` and ``{# … #}`` stands for as many characters of a value
    (inside a string any text, outside it a number), so positions stay those of the source.
    None when it is JSON."""
    filled = re.sub(
        r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}",
        lambda m: re.sub(r"[^\n]", "1", m.group()),
        source,
        flags=re.DOTALL,
    )
    try:
        json.loads(filled)
    except json.JSONDecodeError as e:
        return e.lineno, e.colno, e.msg
    return None


def names_in(source: str) -> set[str]:
    """The top-level names a template reads (for checking them against a table's fields)."""
    j = _jinja()
    try:
        return set(j.meta.find_undeclared_variables(_envs()["text"].parse(source)))
    except j.TemplateSyntaxError:
        return set()


def check(source: str, known: Iterable[str] | None = None, location: str = "") -> None:
    """At save time: the template parses and, when ``known`` is given, reads only those names.
    Raises ``Invalid`` (``template.syntax`` / ``template.unknown_name``)."""
    _compile(_envs()["text"], source, location)
    if known is None:
        return
    unknown = sorted(names_in(source) - set(known))
    if unknown:
        raise Invalid.on(_where(location), "template.unknown_name", detail=", ".join(unknown))


def record_context(
    values: Mapping[str, Any], names: Mapping[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """The context of a record: values by field key, also by field name (``names`` maps key →
    name) where the name is an identifier and does not shadow a key, plus ``record`` (both)
    and ``extra``."""
    by_name: dict[str, Any] = {}
    for key, name in (names or {}).items():
        if key in values and name:
            by_name[name] = values[key]
    record = {**by_name, **values}
    ctx: dict[str, Any] = {k: v for k, v in by_name.items() if k.isidentifier()}
    ctx.update(values)
    ctx["record"] = record
    ctx.update(extra)
    return ctx
