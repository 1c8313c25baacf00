"""A dynamics plug-in: spoiler violence during talks (Stedman 1997)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from diplosim.plugins import Draws, DyadState, Dynamics, Hazard, Parameters


class SpoilersParameters(Parameters):
    attack_hazard: Hazard = Field(0.5, description="Probability of a spoiler attack while "
                                  "talks are in session (per step, or per year with rates: "
                                  "per_year).")
    strength: float = Field(0.1, ge=0.0, le=1.0, description="Rise of tension an attack "
                            "causes, as a share of the room left: + strength * (1 - T).")


class Spoilers(Dynamics):
    """Spoilers attack while a dyad's talks are in session (Stedman, S. J. 1997, "Spoiler
    problems in peace processes", International Security 22(2)). Each step of talks, an attack
    happens with probability ``attack_hazard`` (u < p, u uniform from the replication's own
    stream) and raises tension::

        dT = strength * (1 - T) * talks * [u < attack_hazard]

    Counts the attacks per replication and dyad in ``attacks``."""

    Parameters: ClassVar[type[Parameters]] = SpoilersParameters

    def __init__(self, values, replications: int, dyads: int) -> None:
        super().__init__(values, replications, dyads)
        self.attacks = np.zeros((replications, dyads), dtype=np.int64)

    def tension(self, now: DyadState, draws: Draws) -> np.ndarray:
        u = draws.random()  # every step, talks or not: each replication's numbers stay in step
        attack = now.talks & (u < self.values.attack_hazard)
        self.attacks += attack
        return np.where(attack, self.values.strength * (1.0 - now.tension), 0.0)
