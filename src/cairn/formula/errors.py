"""Located formula errors: ``Invalid`` about one location, with the column in the message.

The column counts characters from the start of the formula (1-based), so a formula written on
several lines still names one unambiguous place.
"""

from __future__ import annotations

from typing import Any

from cairn.core import Invalid, Message
from cairn.formula.ast import Span


class FormulaError(Invalid):
    """A formula that cannot be parsed, typed or compiled. ``span`` says where."""

    def __init__(self, key: str, span: Span, location: str = "formula", **params: Any) -> None:
        self.span = span
        self.key = key
        self.params = {"column": span.start + 1, **params}
        self.location = location
        super().__init__("invalid.input", {location: [Message(key, self.params)]})

    def at(self, location: str) -> FormulaError:
        """The same error reported under another location (``options.formula``, ``filter.and.0``)."""
        params = {k: v for k, v in self.params.items() if k != "column"}
        return FormulaError(self.key, self.span, location, **params)
