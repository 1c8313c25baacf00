"""Mesa agents: the user-facing objects of a run (governments and actors).

Channels are not agents: their levels live in arrays (:mod:`diplosim.engine.channels`) so that a
step is a few vectorised operations however many channels a scenario has.
"""

from __future__ import annotations

import mesa

from diplosim.scenario.compile import Compiled


class Government(mesa.Agent):  # type: ignore[misc]
    """A state's Track 1 decision-maker: the node the connectivity metrics join."""

    def __init__(self, model: mesa.Model, c: Compiled, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.state_id = c.state_ids[index]
        self.capability = float(c.capability[index])

    @property
    def hawkishness(self) -> float:
        return float(self.model.hawkishness[self.index])

    @property
    def audience_cost(self) -> float:
        return float(self.model.audience_cost[self.index])


class Actor(mesa.Agent):  # type: ignore[misc]
    """A person or organisation acting in one or more tracks; ``state_id`` None = third party."""

    def __init__(self, model: mesa.Model, c: Compiled, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.actor_id = c.actor_ids[index]
        s = int(c.actor_state[index])
        self.state_id: str | None = c.state_ids[s] if s >= 0 else None
        self.kind = c.actor_kind[index]
        self.tracks = c.actor_tracks[index]
        self.access = float(c.actor_access[index])
        self.credibility = float(c.actor_credibility[index])
        self.openness = float(c.actor_openness[index])
        self.rigidity = float(c.actor_rigidity[index])

    @property
    def is_third_party(self) -> bool:
        return self.state_id is None
