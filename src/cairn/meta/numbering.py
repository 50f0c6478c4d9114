"""Numbering patterns (流水号) of auto-number fields: ``BJ-{YYYY}{MM}-{####}``.

A pattern is literal text with date parts in braces (``{YYYY}``, ``{YY}``, ``{MM}``, ``{DD}``:
of the day the record is created, in the installation's timezone) and exactly one counter
``{#…#}`` (one ``#`` per digit, zero-padded; a larger number is not cut). The counter restarts
every day, month or year (``reset``), or never; each period has its own counter, which the store
keeps per (field, period key) and advances in the inserting transaction.

Pure functions, no database: parsing and checking a pattern, the period key of a day, and the
text of a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cairn.core import Invalid

Reset = Literal["never", "day", "month", "year"]
RESETS: tuple[str, ...] = ("never", "day", "month", "year")

#: The longest pattern text, and the longest number it may make with the counter at its width
#: (the column holds 40 characters: the rest is room for a counter outgrowing its width).
MAX_PATTERN_CHARS = 64
MAX_NUMBER_CHARS = 32
MAX_COUNTER_DIGITS = 12

DATE_TOKENS: dict[str, int] = {"YYYY": 4, "YY": 2, "MM": 2, "DD": 2}
_TOKEN = re.compile(r"\{([^{}]*)\}")
_COUNTER = re.compile(r"#+")
#: The date parts a counter restarting every ``reset`` needs, or its numbers would repeat.
_RESET_NEEDS: dict[str, tuple[frozenset[str], ...]] = {
    "year": (frozenset({"YYYY", "YY"}),),
    "month": (frozenset({"YYYY", "YY"}), frozenset({"MM"})),
    "day": (frozenset({"YYYY", "YY"}), frozenset({"MM"}), frozenset({"DD"})),
}


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: literal text and tokens in order (a token is a date part's name or
    ``"#"`` for the counter), and the counter's width."""

    parts: tuple[tuple[bool, str], ...]  # (is_token, text)
    width: int

    @property
    def tokens(self) -> set[str]:
        return {text for is_token, text in self.parts if is_token}

    def render(self, n: int, day: date) -> str:
        out: list[str] = []
        for is_token, text in self.parts:
            if not is_token:
                out.append(text)
            elif text == "#":
                out.append(f"{n:0{self.width}d}")
            elif text == "YYYY":
                out.append(f"{day.year:04d}")
            elif text == "YY":
                out.append(f"{day.year % 100:02d}")
            elif text == "MM":
                out.append(f"{day.month:02d}")
            else:
                out.append(f"{day.day:02d}")
        return "".join(out)

    @property
    def length(self) -> int:
        """The length of a number whose counter fits its width."""
        return sum(
            len(t) if not tok else self.width if t == "#" else DATE_TOKENS[t]
            for tok, t in self.parts
        )


def parse_pattern(text: str, location: str = "options.pattern") -> Pattern:
    """The parsed pattern; raises Invalid at ``location`` naming what is wrong."""
    if len(text) > MAX_PATTERN_CHARS:
        raise Invalid.on(location, "field.number_pattern_long", max=MAX_PATTERN_CHARS)
    if any(c.isspace() for c in text):
        raise Invalid.on(location, "field.number_space")
    parts: list[tuple[bool, str]] = []
    width = 0
    counters = 0
    pos = 0
    for m in _TOKEN.finditer(text):
        _literal(text[pos : m.start()], parts, location)
        name = m.group(1)
        if _COUNTER.fullmatch(name):
            counters += 1
            width = len(name)
            parts.append((True, "#"))
        elif name in DATE_TOKENS:
            parts.append((True, name))
        else:
            raise Invalid.on(location, "field.number_token", token="{" + name + "}")
        pos = m.end()
    _literal(text[pos:], parts, location)
    if counters != 1 or width > MAX_COUNTER_DIGITS:
        raise Invalid.on(location, "field.number_counter", max=MAX_COUNTER_DIGITS)
    pattern = Pattern(tuple(parts), width)
    if pattern.length > MAX_NUMBER_CHARS:
        raise Invalid.on(
            location, "field.number_too_long", length=pattern.length, max=MAX_NUMBER_CHARS
        )
    return pattern


def _literal(text: str, parts: list[tuple[bool, str]], location: str) -> None:
    if "{" in text or "}" in text:
        raise Invalid.on(location, "field.number_brace")
    if text:
        parts.append((False, text))


def check_reset(pattern: Pattern | None, reset: str) -> None:
    """A counter restarting every period needs a pattern showing that period's date parts."""
    if reset == "never":
        return
    if pattern is None:
        raise Invalid.on("options.reset", "field.number_reset_pattern")
    tokens = pattern.tokens
    if any(not (need & tokens) for need in _RESET_NEEDS[reset]):
        raise Invalid.on("options.pattern", f"field.number_reset_{reset}")


def period_key(reset: str, day: date) -> str:
    """The counter a number made on ``day`` draws from: "" (never resets), "2027", "2027-03"
    or "2027-03-14"."""
    if reset == "year":
        return f"{day.year:04d}"
    if reset == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if reset == "day":
        return day.isoformat()
    return ""


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar day of ``instant`` (naive: UTC, as rows keep time) in ``tz``."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz).date()


def numbering_period(options: dict[str, Any], day: date) -> str:
    """The period key of an auto-number field's options on ``day`` ("" without a reset)."""
    return period_key(options.get("reset") or "never", day) if options.get("pattern") else ""


def number_formatter(options: dict[str, Any]) -> Callable[[int, date], str]:
    """``(n, day) -> text`` of an auto-number field's numbers (the pattern parsed once)."""
    pattern = options.get("pattern")
    if pattern:
        return parse_pattern(pattern).render
    prefix = options.get("prefix", "")
    digits = options.get("digits", 6)
    return lambda n, day: f"{prefix}{n:0{digits}d}"


def format_number(options: dict[str, Any], n: int, day: date | None = None) -> str:
    """The text of number ``n`` of an auto-number field: by its pattern on ``day`` (required
    with a pattern), else its prefix and ``digits`` zero-padded digits."""
    if options.get("pattern") and day is None:
        raise ValueError("a numbering pattern needs the day of the number")
    return number_formatter(options)(n, day or date.min)
