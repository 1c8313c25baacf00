"""An event plug-in: a change of leader that moves a state's hawkishness."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from diplosim.plugins import Event, Parameters, Target, World


class NewLeaderParameters(Parameters):
    shift: float = Field(description="Change of the state's hawkishness (+ more hawkish, "
                         "- less), clipped to [0, 1].", ge=-1.0, le=1.0)
    audience_shift: float = Field(0.0, ge=-1.0, le=1.0, description="Change of the state's "
                                  "audience cost.")


class NewLeader(Event):
    """A new leader takes office in ``state``: hawkishness H and audience cost A move by
    ``shift`` and ``audience_shift`` (H' = clip(H + shift, 0, 1))."""

    Parameters: ClassVar[type[Parameters]] = NewLeaderParameters
    needs: ClassVar[tuple[Literal["state", "dyad", "channels"], ...]] = ("state",)

    def apply(self, world: World, target: Target, values: Any) -> str:
        before = float(world.hawkishness[target.state])
        world.hawkishness[target.state] = min(1.0, max(0.0, before + values.shift))
        world.audience_cost[target.state] += values.audience_shift
        return f"hawkishness {before:.2f} -> {world.hawkishness[target.state]:.2f}"
