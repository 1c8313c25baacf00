"""A negotiation strategy plug-in: stepwise concession."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import Field

from diplosim.negotiation import Strategy
from diplosim.negotiation.context import ProtocolKind, View
from diplosim.plugins import Parameters


class StepwiseParameters(Parameters):
    step: float = Field(0.1, gt=0.0, le=1.0, description="Utility conceded at each concession.")
    patience: int = Field(2, ge=1, le=1000, description="Rounds an offer is held before the "
                          "next concession.")


@dataclass(frozen=True)
class Stepwise(Strategy):
    """Hold the demand for ``patience`` rounds, then lower it by ``step`` of the party's own
    utility, never below its reservation value::

        target(t) = max(r, u_max - step * floor(t / patience))

    Accepts an offer worth at least its current target. A stylised firm-but-steady bargainer,
    for illustration."""

    step: float = 0.1
    patience: int = 2
    name: ClassVar[str] = "stepwise"
    supports: ClassVar[frozenset[ProtocolKind]] = frozenset({
        ProtocolKind.ALTERNATING_OFFERS, ProtocolKind.STACKED_ALTERNATING_OFFERS})
    Parameters: ClassVar[type[Parameters]] = StepwiseParameters

    def target(self, view: View) -> float:
        best = view.setting.best_utility(view.me)
        return max(view.reservation, best - self.step * (view.round // self.patience))

    def propose(self, view: View, rng: np.random.Generator) -> np.ndarray:
        return view.setting.pick(view.me, self.target(view))

    def respond(self, view: View, offer: np.ndarray) -> bool:
        return view.utility(offer) >= self.target(view) - 1e-9
