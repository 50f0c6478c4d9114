"""The JSON shapes of a query: filter trees and sorts.

A filter node is one of::

    {"field": "tier", "op": "eq", "value": "VIP"}      a condition ("value" may be absent)
    {"and": [node, ...]}   {"or": [node, ...]}   {"not": node}
    {"formula": "AND({tier} = \"VIP\", {amount} > 1000)"}   rows where the formula is TRUE

A sort is ``[{"field": "flight_hours", "direction": "asc" | "desc"}, ...]`` (``"-flight_hours"``
is accepted as a short form). Parsing checks shape only; what a field allows is checked by
``compile``. Every node carries its location (``filter.and.0``) for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cairn.core import Invalid, Message

MAX_DEPTH = 10
MAX_NODES = 200
MAX_SORT_KEYS = 8

_MISSING: Any = object()


def invalid(_location: str, _message: str, /, **params: Any) -> Invalid:
    """An error about one location (like ``Invalid.on``, which cannot take a ``key`` param)."""
    return Invalid("invalid.input", {_location: [Message(_message, params)]})


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    has_value: bool = False
    loc: str = field(default="filter", compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.has_value:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class Group:
    kind: Literal["and", "or"]
    children: tuple[Node, ...]
    loc: str = field(default="filter", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {self.kind: [c.to_json() for c in self.children]}


@dataclass(frozen=True)
class Not:
    child: Node
    loc: str = field(default="filter", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"not": self.child.to_json()}


@dataclass(frozen=True)
class FormulaNode:
    """``{"formula": "AND({tier} = \"VIP\", DAYS(TODAY(), {last_contact}) > 30)"}``: rows for
    which the formula is TRUE (an error or blank is not)."""

    text: str
    loc: str = field(default="filter", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"formula": self.text}


Node = Condition | Group | Not | FormulaNode


def parse_filter(raw: Any, loc: str = "filter") -> Node | None:
    """A filter tree from its JSON form; ``None`` or ``{}`` is no filter."""
    if raw is None or raw == {}:
        return None
    if isinstance(raw, Condition | Group | Not | FormulaNode):
        return raw
    counter = [0]
    return _parse_node(raw, loc, 1, counter)


def _parse_node(raw: Any, loc: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise invalid("filter", "filter.depth", max=MAX_DEPTH)
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise invalid("filter", "filter.depth", max=MAX_DEPTH, nodes=MAX_NODES)
    if not isinstance(raw, dict):
        raise invalid(loc, "filter.shape")
    keys = set(raw)
    if keys in ({"and"}, {"or"}):
        kind = "and" if "and" in raw else "or"
        items = raw[kind]
        if not isinstance(items, list):
            raise invalid(loc, "filter.shape")
        children = tuple(
            _parse_node(item, f"{loc}.{kind}.{i}", depth + 1, counter)
            for i, item in enumerate(items)
        )
        return Group(kind, children, loc)  # type: ignore[arg-type]
    if keys == {"formula"}:
        if not isinstance(raw["formula"], str):
            raise invalid(f"{loc}.formula", "filter.shape")
        return FormulaNode(raw["formula"], f"{loc}.formula")
    if keys == {"not"}:
        return Not(_parse_node(raw["not"], f"{loc}.not", depth + 1, counter), loc)
    if keys in ({"field", "op"}, {"field", "op", "value"}):
        name, op = raw["field"], raw["op"]
        if not isinstance(name, str) or not name:
            raise invalid(f"{loc}.field", "filter.shape")
        if not isinstance(op, str) or not op:
            raise invalid(f"{loc}.op", "filter.shape")
        value = raw.get("value", _MISSING)
        has = value is not _MISSING
        return Condition(name, op, value if has else None, has, loc)
    raise invalid(loc, "filter.shape")


def filter_to_json(node: Node | None) -> dict[str, Any] | None:
    return None if node is None else node.to_json()


@dataclass(frozen=True)
class SortKey:
    field: str
    direction: Literal["asc", "desc"] = "asc"

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "direction": self.direction}


def parse_sort(raw: Any) -> list[SortKey]:
    """A sort from its JSON form: a list of ``{"field", "direction"}`` or ``"-field"`` strings."""
    if raw is None:
        return []
    if isinstance(raw, dict | str):
        raw = [raw]
    if not isinstance(raw, list) or len(raw) > MAX_SORT_KEYS:
        raise invalid("sort", "sort.field", field=str(raw)[:60])
    keys: list[SortKey] = []
    for i, item in enumerate(raw):
        if isinstance(item, SortKey):
            keys.append(item)
            continue
        if isinstance(item, str) and item.strip("-"):
            desc = item.startswith("-")
            keys.append(SortKey(item[1:] if desc else item, "desc" if desc else "asc"))
            continue
        if not isinstance(item, dict) or not set(item) <= {"field", "direction"}:
            raise invalid(f"sort.{i}", "sort.field", field=str(item)[:60])
        name = item.get("field")
        direction = item.get("direction", "asc")
        if not isinstance(name, str) or not name:
            raise invalid(f"sort.{i}.field", "sort.field", field=str(name)[:60])
        if direction not in ("asc", "desc"):
            raise invalid(f"sort.{i}.direction", "sort.field", field=name)
        keys.append(SortKey(name, direction))
    return keys
