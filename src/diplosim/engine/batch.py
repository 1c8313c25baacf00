"""Many replications of a scenario at once, as one array axis.

The model's own components (:class:`~diplosim.engine.tension.Tension`,
:class:`~diplosim.engine.channels.Channels`, :class:`~diplosim.engine.events.Timeline`,
:class:`~diplosim.engine.talks.Talks`, :class:`~diplosim.engine.network.Connectivity`) run on the
scenario tiled ``reps`` times — replication ``r`` owns states, dyads, actors and channels
``r·n … (r+1)·n − 1`` of the tiled arrays, and every event is applied to each copy — in the
order of :meth:`DiplomacyModel.step <diplosim.engine.model.DiplomacyModel.step>`.

:class:`Batch` gives each replication its own random streams (:mod:`diplosim.engine.streams`),
derived from its seed exactly as :class:`~diplosim.engine.model.DiplomacyModel` derives them, so
replication ``r`` of a batch is bitwise the single run with seed ``seeds[r]`` — every table of
:func:`~diplosim.results.collect` equal (``tests/test_batch.py``). Connectivity is computed per
replication, and only for those whose open set changed in the step. ``diplosim run --reps`` and
sweeps run their replications this way.

:func:`mission_levels` (the calibration's fast path) is older and simpler: one random stream for
all replications, so equal to single runs in distribution only, and no talks or connectivity.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.channels import Channels
from diplosim.engine.events import LogEntry, Timeline
from diplosim.engine.network import Connectivity
from diplosim.engine.recorder import Recorder
from diplosim.engine.streams import Streams
from diplosim.engine.talks import Now, Talks, ripe_window, window_reading
from diplosim.engine.tension import Tension
from diplosim.io.errors import InputError
from diplosim.scenario import Scenario
from diplosim.scenario.compile import Compiled, CompiledEvent
from diplosim.scenario.schema import EventType

STREAM_AHEAD = 64  # steps of random numbers drawn at once per generator (Streams)


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
    tension = Tension(c.step.tension, big.tension0, big.baseline, big.misperception0,
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


def component_generators(rng: Any) -> tuple[np.random.Generator, np.random.Generator,
                                             np.random.Generator]:
    """The tension, channel and talks generators a :class:`DiplomacyModel` built with ``rng``
    uses (``mesa.Model`` makes ``numpy.random.default_rng(rng)``; the model spawns three)."""
    if isinstance(rng, np.random.SeedSequence):  # a fresh copy, as DiplomacyModel takes
        rng = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                     pool_size=rng.pool_size)
    tension_rng, channel_rng, talks_rng = np.random.default_rng(rng).spawn(3)
    return tension_rng, channel_rng, talks_rng


class Replication:
    """One replication of a :class:`Batch`, with what :func:`~diplosim.results.collect`,
    :func:`~diplosim.results.summarize` and the sweep outcomes read from a model."""

    def __init__(self, scenario: Scenario, recorder: Recorder, talks: Talks | None) -> None:
        self.diplomacy_scenario = scenario
        self.recorder = recorder
        self.talks = talks


class Batch:
    """``len(seeds)`` replications of ``scenario`` stepped together (see the module's doc)."""

    def __init__(self, scenario: Scenario, seeds: list[Any]) -> None:
        if not seeds:
            raise InputError.single("a batch needs at least one replication", source="seeds")
        c = scenario.compiled
        spec = scenario.spec
        reps = len(seeds)
        self.scenario = scenario
        self.reps = reps
        self.big = big = tile(c, reps)
        self.nd, self.nch, self.ntr = len(c.dyad_labels), c.n_channels, c.tracked_dyads.size
        gens = [component_generators(s) for s in seeds]
        self.t = 0
        self.horizon = spec.steps
        self.hawkishness = big.hawkishness.copy()
        self.audience_cost = big.audience_cost.copy()
        n_dyads = len(big.dyad_labels)
        self.n_dyads = n_dyads
        # Draw a stream's numbers STREAM_AHEAD steps at once where it serves one kind of call:
        # channels always (two uniforms per channel), tension unless regimes change (which
        # mixes uniforms and beta draws into its normal noise).
        tension_ahead = STREAM_AHEAD if c.step.tension.regime_change == 0 else 0
        self.tension = Tension(c.step.tension, big.tension0, big.baseline, big.misperception0,
                               self._dyad_hawkishness(),
                               Streams([g[0] for g in gens], self.nd, tension_ahead))
        self.channels = Channels(big, spec.tension.audience_cost_weight,
                                 Streams([g[1] for g in gens], self.nch, STREAM_AHEAD))
        # the tiled events with the scenario's own names; each event logs one entry per copy,
        # replication by replication (tile orders the events so)
        self.timeline = Timeline(big.events, c.dyad_labels * reps, c.state_ids * reps)
        self.talks: list[Talks | None] = []
        for r in range(reps):
            if c.negotiation is None:
                self.talks.append(None)
                continue
            talks = Talks(c.negotiation, c, spec.metrics.min_access, gens[r][2])
            talks.dyad += r * self.nd
            talks.direct = talks.direct + r * self.nch
            talks.unofficial = talks.unofficial + r * self.nch
            self.talks.append(talks)
        # what every replication's talks read at the start of a step, gathered at once
        active = [(r, x) for r, x in enumerate(self.talks) if x is not None]
        self._talks = active
        self._talks_dyad = np.array([x.dyad for _, x in active], dtype=np.int64)
        self._talks_direct = np.concatenate(
            [x.direct for _, x in active] or [np.zeros(0, dtype=np.int64)])
        self._talks_direct_owner = np.repeat(np.arange(len(active)),
                                             [x.direct.size for _, x in active])
        self._talks_unofficial = np.concatenate(
            [x.unofficial for _, x in active] or [np.zeros(0, dtype=np.int64)])
        self._talks_unofficial_owner = np.repeat(np.arange(len(active)),
                                                 [x.unofficial.size for _, x in active])
        self._talks_unofficial_size = np.array([x.unofficial.size for _, x in active])
        # the ripeness window of every replication's talks (Talks.history, as one array)
        self._talks_window = np.zeros((c.step.window_values, len(active)))
        self.network = Connectivity(c, spec.metrics.min_access, reps)
        self.recorder = Recorder(spec.steps, n_dyads, reps * self.ntr, len(c.kinds.names))
        self.logs: list[list[LogEntry]] = [[] for _ in range(reps)]
        self.changes: list[tuple[list[Any], list[Any], list[Any]]] = [
            ([], [], []) for _ in range(reps)]
        self._had_mission = np.zeros(n_dyads, dtype=bool)
        self.flows = self.channels.flows(n_dyads)
        for steps_, channels_, levels_ in self.changes:  # step 0, as Recorder.record_levels
            steps_.append(np.zeros(0, dtype=np.int64))
            channels_.append(np.zeros(0, dtype=np.int64))
            levels_.append(np.zeros(0, dtype=np.int64))
        self._record()

    def _dyad_hawkishness(self) -> NDArray[np.float64]:
        big = self.big
        return np.asarray(0.5 * (self.hawkishness[big.dyad_a] + self.hawkishness[big.dyad_b]),
                          dtype=float)

    def _record(self) -> None:
        at_formal = self.channels.missions_at_formal(self.n_dyads)
        self._had_mission |= at_formal
        mission_closed = self._had_mission & ~at_formal
        # recomputed only for the replications whose open set changed
        connected, redundancy = self.network.compute(self.channels.level)
        self.recorder.record(
            tension=self.tension.tension, misperception=self.tension.misperception,
            participant_misperception=self.tension.participant_misperception,
            flow=self.flows.communication, mission_closed=mission_closed,
            connected=connected, redundancy=redundancy,
            open_counts=self.channels.open_by_dyad_kind(self.n_dyads))

    def step(self) -> None:
        """One step of every replication, in the order of DiplomacyModel.step."""
        t = self.t + 1
        before = self.channels.level.copy()
        entries = self.timeline.apply(t, self.tension, self.channels, self.hawkishness,
                                      self.audience_cost)
        if entries:
            per = len(entries) // self.reps
            for r in range(self.reps):
                self.logs[r].extend(entries[r * per:(r + 1) * per])
        if any(e.type == EventType.CHANGE_GOVERNMENT.value for e in entries):
            self.tension.hawkishness = self._dyad_hawkishness()
            self.channels.set_audience_costs(self.audience_cost)
        self.tension.step(self.flows)
        self.channels.step(self.tension.tension)
        self.flows = self.channels.flows(self.n_dyads)
        if self._talks:
            self._step_talks(t)
        changed = np.flatnonzero(before != self.channels.level)
        if changed.size:
            owner = changed // self.nch
            new = self.channels.level[changed]
            for r in np.unique(owner):
                sel = owner == r
                steps_, channels_, levels_ = self.changes[int(r)]
                steps_.append(np.full(int(sel.sum()), t, dtype=np.int64))
                channels_.append(changed[sel] - int(r) * self.nch)
                levels_.append(new[sel].astype(np.int64))
        self.t = t
        self._record()

    def _step_talks(self, t: int) -> None:
        """Every replication's talks: what each reads (Talks.now) computed for all at once,
        then a Talks.step for those not idle (an idle step only extends the history, which the
        batch keeps here). Each replication's talks touch only its own dyad: exact."""
        level = self.channels.level
        n = len(self._talks)
        open_direct = np.bincount(self._talks_direct_owner, weights=level[self._talks_direct] > 0,
                                  minlength=n) > 0
        unofficial_open = np.bincount(self._talks_unofficial_owner,
                                      weights=level[self._talks_unofficial] > 0, minlength=n)
        share = np.divide(unofficial_open, self._talks_unofficial_size,
                          out=np.zeros(n), where=self._talks_unofficial_size > 0)
        tension_now = self.tension.tension[self._talks_dyad]
        m = self.tension.misperception[self._talks_dyad]
        window = self._talks_window
        newest = (t - 1) % len(window)
        window[newest] = tension_now
        ripeness = self._talks[0][1].spec.ripeness  # one scenario: the same for all
        calendar = self.scenario.compiled.step.calendar
        level, change = window_reading(window, newest, calendar)
        ripe = (t >= len(window)) & ripe_window(ripeness, level, change, m)
        for (rep, talks), tension_i, m_i, open_i, ripe_i, share_i in zip(
                self._talks, tension_now.tolist(), m.tolist(), open_direct.tolist(),
                ripe.tolist(), share.tolist(), strict=True):
            now = Now(tension_i, m_i, open_i, ripe_i, share_i)
            if not talks.idle(t, now):
                self.logs[rep].extend(talks.step(t, self.tension, level, now))

    def run(self) -> None:
        """Run every replication to the scenario's last step."""
        while self.t < self.horizon:
            self.step()

    def replication(self, r: int) -> Replication:
        """Replication ``r`` as a one-replication view (its slice of every record)."""
        big = self.recorder
        c = self.scenario.compiled
        rec = Recorder(0, self.nd, self.ntr, len(c.kinds.names))
        n = big.n
        dyads = slice(r * self.nd, (r + 1) * self.nd)
        tracked = slice(r * self.ntr, (r + 1) * self.ntr)
        rec.n = n
        rec.tension = big.tension[:n, dyads]
        rec.misperception = big.misperception[:n, dyads]
        rec.participant_misperception = big.participant_misperception[:n, dyads]
        rec.flow = big.flow[:n, dyads]
        rec.mission_closed = big.mission_closed[:n, dyads]
        rec.connected = big.connected[:n, tracked]
        rec.redundancy = big.redundancy[:n, tracked]
        rec.open = big.open[:n, dyads]
        rec.change_step, rec.change_channel, rec.change_level = self.changes[r]
        rec.log = self.logs[r]
        talks = copy.copy(self.talks[r])
        if talks is not None:  # the scenario's own indices, for the tables
            talks.dyad -= r * self.nd
            talks.direct = talks.direct - r * self.nch
            talks.unofficial = talks.unofficial - r * self.nch
        return Replication(self.scenario, rec, talks)
