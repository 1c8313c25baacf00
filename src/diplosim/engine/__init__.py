"""The engine: one step of the simulation, for one replication (``DiplomacyModel``, the Mesa
model that coordinates the components) or a batch of them on an array axis (``Batch``).

Components: tension, channels, talks (Track 1 talks), network (connected, redundancy), events,
recorder, agents, streams (random numbers). May import ``scenario``, ``negotiation`` and ``io``;
never experiment, analysis, results, plotting, viz or commands. No file I/O, no plotting.
"""

from diplosim.engine.batch import Batch
from diplosim.engine.model import DiplomacyModel

__all__ = ["Batch", "DiplomacyModel"]
