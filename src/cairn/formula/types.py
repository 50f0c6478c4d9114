"""The value types of the formula language.

``number`` (a double), ``text``, ``boolean``, ``date``, ``datetime`` (local wall-clock time),
``duration`` (seconds), ``list`` (the values of a field across related records) and ``blank``
(the type of ``BLANK()``, which fits anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Type:
    kind: str
    #: The element type of a list ("record" for a bare relation).
    elem: str | None = None

    def __str__(self) -> str:
        return f"list<{self.elem}>" if self.kind == "list" else self.kind

    @property
    def is_list(self) -> bool:
        return self.kind == "list"


NUMBER = Type("number")
TEXT = Type("text")
BOOLEAN = Type("boolean")
DATE = Type("date")
DATETIME = Type("datetime")
DURATION = Type("duration")
BLANK = Type("blank")
SCALARS = (NUMBER, TEXT, BOOLEAN, DATE, DATETIME, DURATION)


def list_of(elem: Type | str) -> Type:
    return Type("list", elem if isinstance(elem, str) else elem.kind)


#: Types a number parameter accepts (text is converted at run time: "2" is 2, "a" is #VALUE!).
NUMERIC = frozenset({"number", "boolean", "text", "blank", "duration"})
DATELIKE = frozenset({"date", "datetime", "blank"})
