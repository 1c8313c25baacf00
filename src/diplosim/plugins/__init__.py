"""Plug-ins: what installed packages add to diplosim without forking it (docs/extending.md).

A package registers strategies, protocols, event types and dynamics terms through entry points
(:data:`GROUPS`); a scenario names them by their registered name. The registry
(:mod:`~diplosim.plugins.registry`) is the only place that loads plug-in code; the interfaces a
plug-in implements are in :mod:`~diplosim.plugins.interfaces` (and, for negotiation, the public
base classes :class:`diplosim.negotiation.Strategy` and :class:`diplosim.negotiation.Session`).
This package sits just above :mod:`diplosim.io` and imports nothing else of diplosim.
"""

from diplosim.plugins.interfaces import (
    Actions,
    Draws,
    DyadState,
    Dynamics,
    Event,
    Hazard,
    Parameters,
    Rate,
    Target,
    Values,
    World,
    unit_of,
)
from diplosim.plugins.registry import (
    BUILTIN,
    GROUPS,
    KIND,
    PluginError,
    PluginInfo,
    clash,
    installed,
    load,
    names,
    refresh,
)

__all__ = [
    "BUILTIN",
    "GROUPS",
    "KIND",
    "Actions",
    "Draws",
    "DyadState",
    "Dynamics",
    "Event",
    "Hazard",
    "Parameters",
    "PluginError",
    "PluginInfo",
    "Rate",
    "Target",
    "Values",
    "World",
    "clash",
    "installed",
    "load",
    "names",
    "refresh",
    "unit_of",
]
