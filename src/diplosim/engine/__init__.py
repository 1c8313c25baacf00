"""The engine: one step of the simulation, for one replication (``DiplomacyModel``, the Mesa
model that coordinates the components) or a batch of them on an array axis (``Batch``).

Components: tension, channels, talks (Track 1 talks), network (connected, redundancy), events,
recorder, agents, streams (random numbers). May import ``scenario``, ``negotiation`` and ``io``;
never experiment, analysis, results, plotting, viz or commands. No file I/O, no plotting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diplosim.engine.batch import Batch
    from diplosim.engine.model import DiplomacyModel

__all__ = ["Batch", "DiplomacyModel"]


def __getattr__(name: str) -> Any:
    """``Batch`` and ``DiplomacyModel`` load on first use: a batch needs no Mesa, whose import
    costs about half a second, so sweeps and ``run --reps`` start without it."""
    if name == "Batch":
        from diplosim.engine.batch import Batch

        return Batch
    if name == "DiplomacyModel":
        from diplosim.engine.model import DiplomacyModel

        return DiplomacyModel
    raise AttributeError(f"module 'diplosim.engine' has no attribute {name!r}")
