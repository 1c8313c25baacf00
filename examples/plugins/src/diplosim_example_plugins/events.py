"""Event plug-ins: a change of leader that moves a state's hawkishness, and a government's red
line that blocks its talks until it is lifted."""

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


class RefuseTalksParameters(Parameters):
    lift: bool = Field(False, description="Lift the red line (release the talks) instead of "
                       "drawing it.")
    tension: float = Field(0.0, ge=-1.0, le=1.0, description="Change of the tension of "
                           "every dyad of the state (+ a public commitment that hardens the "
                           "dispute), clipped to [0, 1].")


class RefuseTalks(Event):
    """A government draws a red line — no talks until the other side meets a precondition —
    or lifts it. Drawn, it blocks the Track 1 talks of every dyad of ``state``: talks under way
    end (outcome ``blocked``) and none open until a later ``refuse_talks`` with ``lift: true``.
    Each of those dyads' tension moves by ``tension`` (T' = clip(T + tension, 0, 1))."""

    Parameters: ClassVar[type[Parameters]] = RefuseTalksParameters
    needs: ClassVar[tuple[Literal["state", "dyad", "channels"], ...]] = ("state",)

    def apply(self, world: World, target: Target, values: Any) -> str:
        if values.lift:
            world.release_talks(target.dyads)
        else:
            world.block_talks(target.dyads)
        world.tension[target.dyads] += values.tension
        what = "lifted: talks released" if values.lift else "drawn: talks blocked"
        return f"red line {what} ({target.dyads.size} dyad(s)), tension {values.tension:+g}"
