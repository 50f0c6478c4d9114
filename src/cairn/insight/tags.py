"""Tags: the rules of an app's tag vocabulary (a name of 1–50 characters, unique per app; a
colour from the palette or ``#rrggbb``; a group of at most 50 characters), the sources a tag
on a record comes from, and how an import cell names tags (split on , ， ; ； 、 |).

Pure checks, no database: the store keeps the rows (``cairn.store.tags``), the services
apply them (``cairn.services.tags``)."""

from __future__ import annotations

import re
from typing import Any

from cairn.core import FieldErrors, Invalid, Message

MAX_NAME = 50
MAX_GROUP = 50
MAX_DESCRIPTION = 500
#: Tags per app at most (a vocabulary, not a free-text field).
MAX_TAGS = 1_000
#: Tag ids in one call (a record's set, a bulk add or remove, a filter's list).
MAX_IDS = 200
#: Named colours the UI draws (Element Plus-like tones); anything else is ``#rrggbb``.
PALETTE = ("blue", "green", "orange", "red", "purple", "cyan", "magenta", "gold", "gray")
DEFAULT_COLOUR = "blue"
SOURCES = ("manual", "rule", "import")
ATTRS = ("name", "colour", "group", "description", "position")
#: Where an import cell splits into tag names: ASCII and full-width commas and semicolons,
#: the ideographic enumeration comma and the bar.
SPLIT = re.compile(r"[,，;；、|]")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def checked_tag(data: Any, partial: bool = False) -> dict[str, Any]:
    """A tag's attributes checked (every error at once, at its attribute); ``partial``: only
    those given (an update). Names and groups are stripped; a colour is lower case."""
    if not isinstance(data, dict):
        raise Invalid.on("body", "invalid.object")
    errors = FieldErrors()
    for k in data:
        if k not in ATTRS:
            errors.add(str(k), Message("tag.attr", {"attr": k}))
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else None
        if not name or len(name) > MAX_NAME or SPLIT.search(name):
            errors.add("name", Message("tag.name", {"max": MAX_NAME}))
        else:
            out["name"] = name
    if "colour" in data or not partial:
        colour = data.get("colour", DEFAULT_COLOUR)
        colour = DEFAULT_COLOUR if colour is None else colour
        if not isinstance(colour, str) or not (colour in PALETTE or _HEX.match(colour)):
            errors.add("colour", Message("tag.colour", {"palette": ", ".join(PALETTE)}))
        else:
            out["colour"] = colour.lower()
    if "group" in data or not partial:
        group = data.get("group") or ""
        if not isinstance(group, str) or len(group.strip()) > MAX_GROUP:
            errors.add("group", Message("tag.group", {"max": MAX_GROUP}))
        else:
            out["group"] = group.strip()
    if "description" in data or not partial:
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            errors.add("description", Message("tag.description", {"max": MAX_DESCRIPTION}))
        else:
            out["description"] = description
    if "position" in data or not partial:
        position = data.get("position", 0)
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            errors.add("position", Message("tag.position", {}))
        else:
            out["position"] = position
    errors.raise_if_any()
    return out


def tag_ids(raw: Any, loc: str, *, allow_empty: bool = True) -> list[int]:
    """A list of tag ids (whole numbers), without repeats, in the order given."""
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_IDS
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in raw)
        or (not raw and not allow_empty)
    ):
        raise Invalid.on(loc, "tag.ids", max=MAX_IDS)
    return list(dict.fromkeys(raw))


def split_names(cell: Any) -> list[str]:
    """The tag names an import cell holds ("VIP，沉睡; 华东" → three), stripped, without blanks
    or repeats."""
    if cell is None:
        return []
    parts = (p.strip() for p in SPLIT.split(str(cell)))
    return list(dict.fromkeys(p for p in parts if p))


def unknown_ids(given: list[int], known: set[int], loc: str) -> None:
    """Refuse the first id of ``given`` that is not among ``known`` (at ``loc.<index>``)."""
    for i, tid in enumerate(given):
        if tid not in known:
            raise Invalid.on(f"{loc}.{i}", "tag.unknown", id=tid)


def map_tag_refs(tree: Any, convert: Any) -> Any:
    """``tree`` (a rule as a package carries it, a filter) with the tags it names converted by
    ``convert`` (a callable from one id or name to another): the ``tags`` of ``add_tag`` /
    ``remove_tag`` actions and the values of ``_tags`` conditions. App packages name tags by
    name (ids are an installation's), so they travel."""
    if isinstance(tree, list):
        return [map_tag_refs(x, convert) for x in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: map_tag_refs(v, convert) for k, v in tree.items()}
    if tree.get("type") in ("add_tag", "remove_tag") and isinstance(tree.get("tags"), list):
        out["tags"] = [convert(x) for x in tree["tags"]]
    if tree.get("field") == "_tags" and isinstance(tree.get("value"), list):
        out["value"] = [convert(x) for x in tree["value"]]
    return out
