"""The saved state of a process instance, versioned, and the upgrades of older versions.

An instance's ``state`` column holds its SpiffWorkflow workflow as a dict (without the spec:
``engine.Run.dump``). The format carries a version, so a newer Cairn can read what an older
one saved: on load, older state is upgraded by a chain of functions (``UPGRADES[n]`` turns
version ``n`` into ``n + 1``), never refused. A version newer than this code knows is a clear
error (``process.state_version``).

- Version 1 (before issue 15): the workflow dict itself; the instance's ``state_version``
  column says 1.
- Version 2: ``{"v": 2, "workflow": <the workflow dict>}``.

A change of format adds the next version: a new ``CURRENT``, an upgrade function from the last
one, and a test that state saved the old way loads and runs on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cairn.core import Conflict

CURRENT = 2


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"v": 2, "workflow": dict(data)}


#: ``UPGRADES[n]``: state of version ``n`` → version ``n + 1``.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def version_of(data: dict[str, Any], stored: int | None = None) -> int:
    """The version of saved state: its ``v``, else the instance's ``state_version`` column
    (version 1 state has no ``v``)."""
    v = data.get("v") if isinstance(data, dict) else None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return stored if isinstance(stored, int) and stored > 0 else 1


def upgrade(data: dict[str, Any], stored: int | None = None) -> dict[str, Any]:
    """Saved state of any known version as the ``CURRENT`` version."""
    v = version_of(data, stored)
    if v > CURRENT or (v not in UPGRADES and v != CURRENT):
        raise Conflict("process.state_version", version=v)
    while v < CURRENT:
        data = UPGRADES[v](data)
        v += 1
    return data


def pack(workflow: dict[str, Any]) -> dict[str, Any]:
    """A workflow dict (``Run.dump``) as the state to save."""
    return {"v": CURRENT, "workflow": workflow}


def workflow(data: dict[str, Any], stored: int | None = None) -> dict[str, Any]:
    """The workflow dict (for ``Definition.load``) of saved state of any known version."""
    return dict(upgrade(data, stored)["workflow"])
