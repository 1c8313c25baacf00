"""Many replications of a scenario at once, as one array axis: the model's own components
(:class:`~diplosim.tension.Tension`, :class:`~diplosim.channels.Channels`,
:class:`~diplosim.events.Timeline`) run on the scenario tiled ``reps`` times — replication ``r``
owns states, dyads, actors and channels ``r·n .. (r+1)·n − 1`` of the tiled arrays, and every
event is applied to each copy.

Used where thousands of short runs are needed and only channel levels matter (calibration). The
replications share one random stream, so a batch is statistically, not bitwise, equal to the same
number of single :class:`~diplosim.model.DiplomacyModel` runs (``tests/test_batch.py`` compares
them). Not supported in a batch: Track 1 talks (a negotiation section is refused) and the
connectivity metrics.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from diplosim.channels import Channels
from diplosim.errors import InputError
from diplosim.events import Timeline
from diplosim.scenario import Scenario
from diplosim.scenario.compile import Compiled, CompiledEvent
from diplosim.scenario.schema import EventType
from diplosim.tension import Tension


def _tile_index(index: NDArray[np.int64], size: int, reps: int) -> NDArray[np.int64]:
    """``index`` (into arrays of length ``size``) for each of ``reps`` copies; -1 stays -1."""
    offsets = (np.arange(reps, dtype=np.int64) * size)[:, None]
    tiled = np.where(index[None, :] >= 0, index[None, :] + offsets, -1)
    return tiled.ravel()


def tile(c: Compiled, reps: int) -> Compiled:
    """The compiled scenario ``c`` repeated ``reps`` times, as independent copies."""
    n_states, n_dyads, n_actors = len(c.state_ids), len(c.dyad_labels), len(c.actor_ids)
    n_channels = c.n_channels

    def rep(a: NDArray[Any]) -> NDArray[Any]:
        return np.tile(a, reps)

    events = tuple(
        CompiledEvent(spec=ev.spec, step=ev.step,
                      channels=ev.channels + r * n_channels,
                      dyad=ev.dyad + r * n_dyads if ev.dyad >= 0 else -1,
                      state=ev.state + r * n_states if ev.state >= 0 else -1)
        for r in range(reps) for ev in c.events)
    return replace(
        c,
        state_ids=tuple(f"{s}#{r}" for r in range(reps) for s in c.state_ids),
        capability=rep(c.capability), hawkishness=rep(c.hawkishness),
        audience_cost=rep(c.audience_cost),
        dyad_a=_tile_index(c.dyad_a, n_states, reps), dyad_b=_tile_index(c.dyad_b, n_states, reps),
        dyad_labels=tuple(f"{d}#{r}" for r in range(reps) for d in c.dyad_labels),
        tension0=rep(c.tension0), baseline=rep(c.baseline), misperception0=rep(c.misperception0),
        actor_ids=tuple(f"{a}#{r}" for r in range(reps) for a in c.actor_ids),
        actor_state=_tile_index(c.actor_state, n_states, reps),
        actor_kind=c.actor_kind * reps, actor_tracks=c.actor_tracks * reps,
        actor_access=rep(c.actor_access), actor_credibility=rep(c.actor_credibility),
        actor_openness=rep(c.actor_openness), actor_rigidity=rep(c.actor_rigidity),
        channel_ids=tuple(f"{ch}#{r}" for r in range(reps) for ch in c.channel_ids),
        channel_kind=rep(c.channel_kind),
        channel_a=_tile_index(c.channel_a, n_actors, reps),
        channel_b=_tile_index(c.channel_b, n_actors, reps),
        channel_via=_tile_index(c.channel_via, n_actors, reps),
        channel_dyad=_tile_index(c.channel_dyad, n_dyads, reps),
        level0=rep(c.level0), ceiling0=rep(c.ceiling0), events=events,
        tracked_dyads=np.zeros(0, dtype=np.int64), dyad_index={}, negotiation=None,
    )


def mission_levels(scenario: Scenario, reps: int, rng: Any = None,
                   steps: int | None = None) -> NDArray[np.int8]:
    """Run ``reps`` replications of ``scenario`` together for ``steps`` steps (default: the
    scenario's) and return the level of every ``mission: true`` channel at every step, shape
    ``(steps + 1, reps, missions)`` (step 0 is the initial state)."""
    c = scenario.compiled
    if c.negotiation is not None:
        raise InputError.single("a batch of replications cannot hold Track 1 talks",
                                source=scenario.source, path="negotiation",
                                allowed="a scenario without a negotiation section")
    if reps < 1:
        raise InputError.single("must be at least 1", source="reps", value=reps)
    horizon = scenario.steps if steps is None else steps
    spec = scenario.spec
    big = tile(c, reps)
    tension_rng, channel_rng = np.random.default_rng(rng).spawn(2)
    hawkishness = big.hawkishness.copy()
    audience_cost = big.audience_cost.copy()
    tension = Tension(spec.tension, big.tension0, big.baseline, big.misperception0,
                      0.5 * (hawkishness[big.dyad_a] + hawkishness[big.dyad_b]), tension_rng)
    channels = Channels(big, spec.tension.audience_cost_weight, channel_rng)
    timeline = Timeline(big.events, big.dyad_labels, big.state_ids)
    missions = np.flatnonzero(c.kinds.mission[c.channel_kind])
    watched = _tile_index(missions, c.n_channels, reps)
    out = np.empty((horizon + 1, reps, missions.size), dtype=np.int8)
    out[0] = channels.level[watched].reshape(reps, missions.size)
    flows = channels.flows(len(big.dyad_labels))
    for t in range(1, horizon + 1):  # the order of DiplomacyModel.step
        entries = timeline.apply(t, tension, channels, hawkishness, audience_cost)
        if any(e.type == EventType.CHANGE_GOVERNMENT.value for e in entries):
            tension.hawkishness = 0.5 * (hawkishness[big.dyad_a] + hawkishness[big.dyad_b])
            channels.set_audience_costs(audience_cost)
        tension.step(flows)
        channels.step(tension.tension)
        flows = channels.flows(len(big.dyad_labels))
        out[t] = channels.level[watched].reshape(reps, missions.size)
    return out
