"""Every registry, filled in one place at start-up, and extensible by plugins.

``build_registries`` registers the built-ins of each engine (field types, triggers, actions,
aggregations, KPIs, widgets, channels), then loads the installed plugins: every entry point in
the group ``cairn.plugins`` names a module with a ``register(registries)`` function, or that
function itself, which adds its own kinds to the :class:`Registries` it is given. A package
declares one in its ``pyproject.toml``::

    [project.entry-points."cairn.plugins"]
    colours = "cairn_colours"            # a module with def register(registries): ...

A plugin that cannot be loaded, or whose ``register`` fails (e.g. a key already taken), stops
the start-up with a :class:`PluginError` naming the plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from cairn.integrations import ChannelEnv, ChannelRegistry, builtin_channels
from cairn.meta import FieldTypeRegistry, builtin_field_types
from cairn.process import TaskActionRegistry, builtin_task_actions
from cairn.reports import (
    AggregationRegistry,
    KpiRegistry,
    WidgetRegistry,
    builtin_aggregations,
    builtin_kpis,
    builtin_widgets,
)
from cairn.rules import ActionRegistry, TriggerRegistry, builtin_actions, builtin_triggers

#: The entry-point group plugins declare themselves in.
PLUGIN_GROUP = "cairn.plugins"


@dataclass
class Registries:
    """One registry per kind of thing a user picks from a list; what a plugin's ``register``
    receives. ``channel_env`` is what a channel is built with (``MyChannel(r.channel_env)``)."""

    field_types: FieldTypeRegistry
    triggers: TriggerRegistry
    actions: ActionRegistry
    aggregations: AggregationRegistry
    kpis: KpiRegistry
    widgets: WidgetRegistry
    channels: ChannelRegistry
    channel_env: ChannelEnv
    #: What a person does with a process task: complete, approve, reject, return, transfer, …
    task_actions: TaskActionRegistry


class PluginError(RuntimeError):
    """A plugin could not be loaded or could not register what it brings."""

    def __init__(self, plugin: EntryPoint, problem: BaseException) -> None:
        self.plugin = plugin.name
        super().__init__(
            f"Cairn plugin {plugin.name!r} ({plugin.value}) failed at start-up: "
            f"{type(problem).__name__}: {problem}"
        )


def builtin_registries(channel_env: ChannelEnv) -> Registries:
    """Every registry with the built-ins of its engine and nothing else."""
    return Registries(
        field_types=builtin_field_types(),
        triggers=builtin_triggers(),
        actions=builtin_actions(),
        aggregations=builtin_aggregations(),
        kpis=builtin_kpis(),
        widgets=builtin_widgets(),
        channels=builtin_channels(channel_env),
        channel_env=channel_env,
        task_actions=builtin_task_actions(),
    )


@cache
def plugin_entry_points() -> Sequence[EntryPoint]:
    """The installed plugins: the entry points of the group ``cairn.plugins``, by name. Read
    once per process (reading the installed packages' metadata takes tens of milliseconds, and
    what is installed does not change while Cairn runs)."""
    return tuple(sorted(entry_points(group=PLUGIN_GROUP), key=lambda ep: ep.name))


def load_plugins(registries: Registries) -> list[str]:
    """Let every installed plugin register its kinds; the names of the plugins loaded."""
    loaded: list[str] = []
    for ep in plugin_entry_points():
        try:
            register = _register_function(ep.load())
            register(registries)
        except Exception as e:
            raise PluginError(ep, e) from e
        loaded.append(ep.name)
    return loaded


def build_registries(channel_env: ChannelEnv) -> Registries:
    """The built-ins, then what the installed plugins add (``services.context`` calls this)."""
    registries = builtin_registries(channel_env)
    load_plugins(registries)
    return registries


def _register_function(plugin: Any) -> Callable[[Registries], Any]:
    """A plugin is a module (or object) with a ``register`` function, or that function."""
    register = getattr(plugin, "register", plugin)
    if not callable(register):
        raise TypeError("a plugin must be a register(registries) function or have one")
    return register
