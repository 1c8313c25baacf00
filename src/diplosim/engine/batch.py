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
:func:`~diplosim.results.collect` equal (``tests/test_batch.py``). Given ``variants`` (one
scenario per replication, of one :func:`structure`), the batch lays their values side by side
(:func:`stack`) and replication ``r`` is the single run of ``variants[r]``. Connectivity is
computed per replication, and only for those whose open set changed in the step.
``diplosim run --reps``, runs under a posterior, sweeps and the joint fit run this way.

:func:`mission_levels` (the calibration's fast path) is older and simpler: one random stream for
all replications, so equal to single runs in distribution only, and no talks or connectivity.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.channels import Channels
from diplosim.engine.events import LEADER_STEP, LogEntry, Timeline, touches_states
from diplosim.engine.network import Connectivity
from diplosim.engine.recorder import Recorder
from diplosim.engine.streams import Streams
from diplosim.engine.talks import Now, Talks, ripe_window, window_reading
from diplosim.engine.tension import Tension, TensionRates
from diplosim.engine.terms import PER_TERM, Terms, dyad_state
from diplosim.io.errors import InputError
from diplosim.scenario import Scenario
from diplosim.scenario.compile import Compiled, CompiledEvent
from diplosim.scenario.rates import hazards

FloatArray = NDArray[np.float64]
STREAM_AHEAD = 64  # steps of random numbers drawn at once per generator (Streams)


def _tile_index(index: NDArray[np.int64], size: int, reps: int) -> NDArray[np.int64]:
    """``index`` (into arrays of length ``size``) for each of ``reps`` copies; -1 stays -1."""
    offsets = (np.arange(reps, dtype=np.int64) * size)[:, None]
    tiled = np.where(index[None, :] >= 0, index[None, :] + offsets, -1)
    return tiled.ravel()


def tile(c: Compiled, reps: int) -> Compiled:
    """The compiled scenario ``c`` repeated ``reps`` times, as independent copies."""
    return stack([c] * reps)


def stack(cs: Sequence[Compiled]) -> Compiled:
    """The compiled scenarios ``cs``, of one structure (:func:`structure`), laid side by side:
    replication ``r`` owns the r-th block of every array, with ``cs[r]``'s values — its
    channel kinds too (the kind table holds each replication's kinds in turn)."""
    c, reps = cs[0], len(cs)
    n_states, n_dyads, n_actors = len(c.state_ids), len(c.dyad_labels), len(c.actor_ids)
    n_channels, n_kinds = c.n_channels, len(c.kinds.names)
    same = all(x is c for x in cs)

    def cat(name: str, of: Sequence[Any] = cs) -> NDArray[Any]:
        """Field ``name`` of each of ``of`` (the scenarios, or their kind tables), in turn."""
        first = getattr(of[0], name)
        out: NDArray[Any] = (np.tile(first, (reps,) + (1,) * (first.ndim - 1)) if same
                             else np.concatenate([getattr(x, name) for x in of]))
        return out

    k = c.kinds
    tables = [x.kinds for x in cs]
    kinds = k if same else replace(
        k, names=k.names * reps, track=k.track * reps, ladders=k.ladders * reps,
        **{name: cat(name, tables) for name in (
            "top", "formal", "mission", "close", "reopen", "capacity", "noise", "secrecy",
            "tension_effect", "perception_effect")}, replications=reps)
    events = tuple(
        CompiledEvent(spec=ev.spec, step=ev.step,
                      channels=ev.channels + r * n_channels,
                      dyad=ev.dyad + r * n_dyads if ev.dyad >= 0 else -1,
                      state=ev.state + r * n_states if ev.state >= 0 else -1,
                      plugin=ev.plugin)
        for r, x in enumerate(cs) for ev in x.events)
    return replace(
        c,
        state_ids=tuple(f"{s}#{r}" for r in range(reps) for s in c.state_ids),
        capability=cat("capability"), hawkishness=cat("hawkishness"),
        audience_cost=cat("audience_cost"),
        dyad_a=_tile_index(c.dyad_a, n_states, reps), dyad_b=_tile_index(c.dyad_b, n_states, reps),
        dyad_labels=tuple(f"{d}#{r}" for r in range(reps) for d in c.dyad_labels),
        tension0=cat("tension0"), baseline=cat("baseline"), misperception0=cat("misperception0"),
        actor_ids=tuple(f"{a}#{r}" for r in range(reps) for a in c.actor_ids),
        actor_state=_tile_index(c.actor_state, n_states, reps),
        actor_kind=c.actor_kind * reps, actor_tracks=c.actor_tracks * reps,
        actor_access=cat("actor_access"), actor_credibility=cat("actor_credibility"),
        actor_openness=cat("actor_openness"), actor_rigidity=cat("actor_rigidity"),
        kinds=kinds,
        channel_ids=tuple(f"{ch}#{r}" for r in range(reps) for ch in c.channel_ids),
        channel_kind=(np.tile(c.channel_kind, reps) if same
                      else _tile_index(c.channel_kind, n_kinds, reps)),
        channel_a=_tile_index(c.channel_a, n_actors, reps),
        channel_b=_tile_index(c.channel_b, n_actors, reps),
        channel_via=_tile_index(c.channel_via, n_actors, reps),
        channel_dyad=_tile_index(c.channel_dyad, n_dyads, reps),
        level0=cat("level0"), ceiling0=cat("ceiling0"), settlement0=cat("settlement0"),
        matters0={m: np.concatenate([x.matters0[m] for x in cs]) for m in c.matters0},
        events=events,
        tracked_dyads=np.zeros(0, dtype=np.int64), dyad_index={}, negotiation=None,
    )


def structure(scenario: Scenario) -> tuple[Any, ...]:
    """What replications of one batch must share; the rest — every number of the dynamics, the
    states, actors, channel kinds, events and talks — may differ from replication to
    replication. Shared: the states, actors and channels and their ends; the kinds' ladders and
    tracks; the events' steps, types and targets; the calendar and the ripeness window in steps;
    which actors reach their governments (access at least ``metrics.min_access``, the graph of
    connectivity); whether the talks exist and on which dyad; and whether tension noise, regime
    changes and drawn baselines are on at all (they decide which random numbers a replication
    draws)."""
    c, spec = scenario.compiled, scenario.spec
    d, t = c.step, c.step.tension
    usable = (c.actor_state >= 0) & (c.actor_access >= spec.metrics.min_access)
    return (
        c.state_ids, c.actor_ids, c.actor_kind, c.actor_tracks, c.actor_state.tobytes(),
        c.kinds.names, c.kinds.track, c.kinds.ladders, c.kinds.formal.tobytes(),
        c.kinds.mission.tobytes(), c.channel_ids, c.channel_kind.tobytes(),
        c.channel_a.tobytes(), c.channel_b.tobytes(), c.channel_via.tobytes(),
        c.tracked_dyads.tobytes(), usable.tobytes(), c.settlement0.tobytes(), spec.steps,
        tuple((e.step, e.spec.type, e.channels.tobytes(), e.dyad, e.state,
               e.spec.hawkishness is None, e.spec.audience_cost is None) for e in c.events),
        d.years, d.window_values,
        None if c.negotiation is None else c.negotiation.dyad,
        None if c.negotiation is None else c.negotiation.spec.win_sets is None,
        tuple((m, a.tobytes()) for m, a in c.matters0.items()),
        t.noise > 0, t.regime_change > 0, bool(t.baseline_concentration),
        tuple((term.name, term.cls, tuple(v for v in term.values.model_dump().values()
                                          if not isinstance(v, int | float)))
              for term in c.terms),
    )


@dataclass(frozen=True)
class _Misperception:
    growth: FloatArray
    learning: FloatArray
    transfer: FloatArray


@dataclass(frozen=True)
class _PerDyad:
    """A batch's per-step tension values, one per dyad (:class:`~.tension.TensionRates`)."""

    drift: FloatArray
    escalation: FloatArray
    deescalation: FloatArray
    half_saturation: FloatArray
    noise: FloatArray
    regime_change: FloatArray
    baseline_concentration: FloatArray | None
    misperception: _Misperception


def tension_rates(scenarios: Sequence[Scenario], copies: int = 1) -> TensionRates:
    """The per-step tension values of a batch holding ``copies`` replications of each of
    ``scenarios`` in turn: the scenario's own when all have the same, else one value per dyad,
    replication by replication."""
    specs = [x.compiled.step.tension for x in scenarios]
    first = specs[0]
    if all(s == first for s in specs):
        return first
    n_dyads = len(scenarios[0].compiled.dyad_labels) * copies

    def per_dyad(values: list[Any]) -> FloatArray:
        return np.repeat(np.asarray(values, dtype=float), n_dyads)

    def field_(name: str) -> FloatArray:
        return per_dyad([getattr(s, name) for s in specs])

    concentration = (None if first.baseline_concentration is None
                     else per_dyad([s.baseline_concentration for s in specs]))
    return _PerDyad(
        drift=field_("drift"), escalation=field_("escalation"),
        deescalation=field_("deescalation"), half_saturation=field_("half_saturation"),
        noise=field_("noise"), regime_change=field_("regime_change"),
        baseline_concentration=concentration,
        misperception=_Misperception(*(per_dyad([getattr(s.misperception, n) for s in specs])
                                       for n in ("growth", "learning", "transfer"))))


def audience_cost_weight(scenarios: Sequence[Scenario], channels: int) -> float | FloatArray:
    """The audience-cost weight of a batch: one number when every scenario has the same, else
    one per channel (``channels`` of each scenario's, in turn)."""
    weights = [x.spec.tension.audience_cost_weight for x in scenarios]
    if len(set(weights)) == 1:
        return weights[0]
    return np.repeat(np.asarray(weights, dtype=float), channels)


def check_structure(scenario: Scenario, variants: Sequence[Scenario]) -> None:
    """Refuse, naming the first, a replication whose scenario differs from ``scenario`` in
    structure (:func:`structure`): it needs a batch of its own (:func:`group_by_structure`)."""
    key = structure(scenario)
    for r, v in enumerate(variants):
        if v is not scenario and structure(v) != key:
            raise InputError.single(
                f"replication {r} differs from the batch's scenario in its structure (states, "
                "actors, channels, ladders, events, calendar, reach of actors, or which random "
                "draws it makes)", source=v.source,
                allowed="per-replication values that change numbers only; run others in a "
                "batch of their own (diplosim.engine.batch.group_by_structure)")


def group_by_structure(variants: Sequence[Scenario]) -> list[list[int]]:
    """Indices of ``variants`` grouped by structure (:func:`structure`), each group in order,
    groups in the order of their first member."""
    groups: dict[Any, list[int]] = {}
    seen: dict[int, Any] = {}
    for i, v in enumerate(variants):
        key = seen.get(id(v))
        if key is None:
            key = seen[id(v)] = structure(v)
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def mission_levels(scenario: Scenario, reps: int, rng: Any = None,
                   steps: int | None = None) -> NDArray[np.int8]:
    """Run ``reps`` replications of ``scenario`` together for ``steps`` steps (default: the
    scenario's) and return the level of every ``mission: true`` channel at every step, shape
    ``(steps + 1, reps, missions)`` (step 0 is the initial state)."""
    return mission_levels_many([scenario], reps, [rng], steps)


def mission_levels_many(scenarios: Sequence[Scenario], reps: int, seeds: Sequence[Any],
                        steps: int | None = None) -> NDArray[np.int8]:
    """:func:`mission_levels` of each of ``scenarios`` (of one structure, :func:`structure`)
    with its own seed, all on one batch axis: block k of the result (replications
    ``k·reps … (k+1)·reps − 1``) equals ``mission_levels(scenarios[k], reps, seeds[k])``
    exactly, since each block draws from its own generators."""
    scenario = scenarios[0]
    c = scenario.compiled
    if c.negotiation is not None:
        raise InputError.single("a batch of replications cannot hold Track 1 talks",
                                source=scenario.source, path="negotiation",
                                allowed="a scenario without a negotiation section")
    if reps < 1:
        raise InputError.single("must be at least 1", source="reps", value=reps)
    check_structure(scenario, scenarios)
    horizon = scenario.steps if steps is None else steps
    n = len(scenarios) * reps
    big = stack([x.compiled for x in scenarios for _ in range(reps)])
    parents = [np.random.default_rng(s) for s in seeds]
    gens = [g.spawn(2) for g in parents]
    terms = Terms([x.compiled for x in scenarios for _ in range(reps)],
                  [g.spawn(PER_TERM * len(c.terms)) for g in parents] if c.terms else [],
                  len(c.dyad_labels), reps * len(c.dyad_labels), STREAM_AHEAD)
    tension_rng = Streams([g[0] for g in gens], reps * len(c.dyad_labels))
    channel_rng = Streams([g[1] for g in gens], reps * c.n_channels, STREAM_AHEAD)
    hawkishness = big.hawkishness.copy()
    audience_cost = big.audience_cost.copy()
    tension = Tension(tension_rates(scenarios, reps), big.tension0, big.baseline,
                      big.misperception0,
                      0.5 * (hawkishness[big.dyad_a] + hawkishness[big.dyad_b]), tension_rng)
    channels = Channels(big, audience_cost_weight(scenarios, reps * c.n_channels), channel_rng)
    timeline = Timeline(big.events, big.dyad_labels, big.state_ids, compiled=c, replications=n)
    missions = np.flatnonzero(c.kinds.mission[c.channel_kind])
    watched = _tile_index(missions, c.n_channels, n)
    out = np.empty((horizon + 1, n, missions.size), dtype=np.int8)
    out[0] = channels.level[watched].reshape(n, missions.size)
    flows = channels.flows(len(big.dyad_labels))
    for t in range(1, horizon + 1):  # the order of DiplomacyModel.step
        entries = timeline.apply(t, tension, channels, hawkishness, audience_cost)
        if touches_states(entries):
            tension.hawkishness = 0.5 * (hawkishness[big.dyad_a] + hawkishness[big.dyad_b])
            channels.set_audience_costs(audience_cost)
        changes: tuple[FloatArray | float, FloatArray | float] = (0.0, 0.0)
        if terms:
            none = np.zeros(len(big.dyad_labels), dtype=bool)  # no talks in this fast path
            changes = terms.changes(dyad_state(t, c.step.years, n, tension,
                                               flows.communication, none, none))
        tension.step(flows, *changes)
        channels.step(tension.tension)
        flows = channels.flows(len(big.dyad_labels))
        out[t] = channels.level[watched].reshape(n, missions.size)
    return out


def component_generators(rng: Any, terms: int = 0) -> list[np.random.Generator]:
    """The tension, channel and talks generators a :class:`DiplomacyModel` built with ``rng``
    uses (``mesa.Model`` makes ``numpy.random.default_rng(rng)``; the model spawns three), then
    two per dynamics plug-in (``terms``; :data:`~diplosim.engine.terms.PER_TERM`), spawned
    after them as the model spawns them."""
    if isinstance(rng, np.random.SeedSequence):  # a fresh copy, as DiplomacyModel takes
        rng = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                     pool_size=rng.pool_size)
    parent = np.random.default_rng(rng)
    return parent.spawn(3) + (parent.spawn(PER_TERM * terms) if terms else [])


@dataclass(frozen=True)
class _Ripeness:
    """Every replication's ripeness thresholds (RipenessSpec's, one value per replication)."""

    hurting: FloatArray
    band: FloatArray
    way_out: FloatArray


class Replication:
    """One replication of a :class:`Batch`, with what :func:`~diplosim.results.collect`,
    :func:`~diplosim.results.summarize` and the sweep outcomes read from a model."""

    def __init__(self, scenario: Scenario, recorder: Recorder, talks: Talks | None) -> None:
        self.diplomacy_scenario = scenario
        self.recorder = recorder
        self.talks = talks


class Batch:
    """``len(seeds)`` replications of ``scenario`` stepped together (see the module's doc);
    ``variants``: one scenario per replication, of the scenario's structure. ``lean``: record
    only what a fit reads — ``connected`` per step and the talks' records (each replication's
    talks) — skipping the rest's work: the maximum flows behind redundancy, the other metrics'
    rows and the channels' level changes (left 0 and empty); the run itself is the same."""

    def __init__(self, scenario: Scenario, seeds: Sequence[Any],
                 variants: Sequence[Scenario] | None = None, lean: bool = False) -> None:
        if not seeds:
            raise InputError.single("a batch needs at least one replication", source="seeds")
        reps = len(seeds)
        if variants is None:
            variants = [scenario] * reps
        elif len(variants) != reps:
            raise InputError.single(f"{len(variants)} scenarios for {reps} replications",
                                    source="variants", allowed="one scenario per replication")
        else:
            check_structure(scenario, variants)
        c = scenario.compiled
        spec = scenario.spec
        self.scenario = scenario
        self.variants = list(variants)
        self.reps = reps
        self.big = big = stack([v.compiled for v in variants])
        self.nd, self.nch, self.ntr = len(c.dyad_labels), c.n_channels, c.tracked_dyads.size
        n_terms = len(c.terms)
        gens = [component_generators(s, n_terms) for s in seeds]
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
        self.tension = Tension(tension_rates(self.variants), big.tension0, big.baseline,
                               big.misperception0, self._dyad_hawkishness(),
                               Streams([g[0] for g in gens], self.nd, tension_ahead))
        self.channels = Channels(big, audience_cost_weight(self.variants, self.nch),
                                 Streams([g[1] for g in gens], self.nch, STREAM_AHEAD))
        self.terms = Terms([v.compiled for v in self.variants], [g[3:] for g in gens], self.nd,
                           ahead=STREAM_AHEAD)
        self.talks: list[Talks | None] = []
        for r, v in enumerate(self.variants):
            neg = v.compiled.negotiation
            if neg is None:
                self.talks.append(None)
                continue
            talks = Talks(neg, v.compiled, v.spec.metrics.min_access, gens[r][2])
            talks.dyad += r * self.nd
            talks.direct = talks.direct + r * self.nch
            talks.unofficial = talks.unofficial + r * self.nch
            if v.spec.start is not None:
                talks.calendar = (v.spec.start, v.spec.time_unit)  # the strategies' View.date
            self.talks.append(talks)
        for x in self.talks:  # the matters each channel carries (win-sets), as they widen
            if x is not None:
                x.carries = self.channels.carries
        # the tiled events with the scenario's own names; each event logs one entry per copy,
        # replication by replication (tile orders the events so); event plug-ins may block talks
        self.timeline = Timeline(big.events, c.dyad_labels * reps, c.state_ids * reps,
                                 compiled=c, replications=reps,
                                 talks=[x for x in self.talks if x is not None])
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
        # each talks' state as the step reads it (Talks.idle), kept up to date by _refresh
        self._in_session = np.zeros(len(active), dtype=bool)
        # Talks in a session computed whole (negotiation.planned), whose steps only count
        # rounds until it ends: the rounds it has yet to play (-1: no such session), and the rounds
        # played in steps the batch skipped, given to the session before its talks step again
        self._rounds_left = np.full(len(active), -1, dtype=np.int64)
        self._owed = np.zeros(len(active), dtype=np.int64)
        groups: dict[tuple[Any, ...], list[int]] = {}  # talks with the same rounds per step
        for i, (_, x) in enumerate(active):
            groups.setdefault((x.spec.rounds_per_year, x.spec.rounds_per_step), []).append(i)
        self._round_groups = [(active[ix[0]][1], np.array(ix)) for ix in groups.values()]
        self._in_force = np.zeros(len(active), dtype=bool)
        self._cooldown = np.array([x.cooldown_until for _, x in active], dtype=np.int64)
        self._shortfall = np.zeros(len(active))
        durability = [x.spec.durability for _, x in active]
        self._base_hazard = np.array([d.base_hazard for d in durability])
        self._suppression = np.array([d.suppression for d in durability])
        self._civil_society = np.array([d.civil_society for d in durability])
        # win-sets: every talks' hurting time (WinSets.hurting_time, as one array), and the
        # steps whose events read it (red lines stated, new leaders)
        self._win_sets = bool(active) and active[0][1].win_sets is not None
        self._hurting = np.zeros(len(active))
        self._hurting_step = np.array([x.hurting_step for _, x in active])
        self._reads_hurting = {ev.step for ev in c.events if ev.spec.type == "red_line" or (
            ev.spec.type == "political_change" and ev.spec.kind in LEADER_STEP)}
        self._ripeness = _Ripeness(*(np.array([getattr(x.spec.ripeness, name) for _, x in active])
                                     for name in ("hurting", "band", "way_out")))
        self.lean = lean  # connected only, without redundancy (a fit reads no more)
        self.network = Connectivity(c, spec.metrics.min_access, reps, not lean)
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
        if self.lean:
            self.recorder.record_connected(self.network.compute(self.channels.level)[0])
            return
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
        if self._win_sets and t in self._reads_hurting:
            self._sync_hurting(range(len(self._talks)))
        entries = self.timeline.apply(t, self.tension, self.channels, self.hawkishness,
                                      self.audience_cost)
        if entries:
            per = len(entries) // self.reps
            for r in range(self.reps):
                self.logs[r].extend(entries[r * per:(r + 1) * per])
        if touches_states(entries):
            self.tension.hawkishness = self._dyad_hawkishness()
            self.channels.set_audience_costs(self.audience_cost)
        self.tension.step(self.flows, *self._term_changes(t))
        self.channels.step(self.tension.tension)
        self.flows = self.channels.flows(self.n_dyads)
        if self._talks:
            self._step_talks(t)
        changed = np.flatnonzero(before != self.channels.level)
        if changed.size and not self.lean:
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

    def _term_changes(self, t: int) -> tuple[FloatArray | float, FloatArray | float]:
        """The dynamics plug-ins' changes of tension and misperception this step."""
        if not self.terms:
            return 0.0, 0.0
        talks = np.zeros(self.n_dyads, dtype=bool)
        agreement = np.zeros(self.n_dyads, dtype=bool)
        talks[self._talks_dyad] = self._in_session
        agreement[self._talks_dyad] = self._in_force
        return self.terms.changes(dyad_state(t, self.scenario.compiled.step.years, self.reps,
                                             self.tension, self.flows.communication, talks,
                                             agreement))

    def _step_talks(self, t: int) -> None:
        """Every replication's talks: what each reads (Talks.now) computed for all at once,
        then a Talks.step for those not idle (an idle step only extends the history, which the
        batch keeps here). Each replication's talks touch only its own dyad: exact."""
        level = self.channels.talk_levels()
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
        calendar = self.scenario.compiled.step.calendar
        reading, change = window_reading(window, newest, calendar)
        ripe = (t >= len(window)) & ripe_window(self._ripeness, reading, change, m)
        if self._win_sets:  # Talks.now: hurting time grows while tension is at hurting or above
            self._hurting += np.where(tension_now >= self._ripeness.hurting,
                                      self._hurting_step, 0.0)
        # An agreement in force breaks down with its hazard, for all at once: one uniform from
        # each such replication's talks stream, as Talks.step draws it.
        in_force = np.flatnonzero(self._in_force)
        if in_force.size:
            hazard = self._breakdown_hazard(in_force, share[in_force])
            u = np.array([self._talks[i][1].rng.random() for i in in_force.tolist()])
            for i in in_force[u < hazard].tolist():
                rep, talks = self._talks[i]
                self.logs[rep].append(talks.break_down(t, self.tension))
                self._refresh(i)
        # Talks that hold a session, or that may open one (cooldown over, channel open, ripe,
        # not blocked by an event); a blocked session steps to its end (Talks.step).
        blocked = self.timeline.talks_blocked[self._talks_dyad]
        able = ~self._in_force & (self._in_session | ((t >= self._cooldown) & open_direct
                                                      & ripe & ~blocked))
        able[in_force] = False  # this step's breakdowns open nothing
        # A planned session that this step's rounds do not end (its channel open, not blocked)
        # is not stepped: its rounds are owed to it (Talks.step would only count them).
        counting = able & (self._rounds_left > 0) & open_direct & ~blocked
        if counting.any():
            owed = self._owed + self._rounds_at(t)
            skip = counting & (owed < self._rounds_left)
            self._owed[skip] = owed[skip]
            able &= ~skip
        self._settle(np.flatnonzero(able & (self._owed > 0)))
        if self._win_sets:
            self._sync_hurting(np.flatnonzero(able).tolist())
        for i in np.flatnonzero(able).tolist():
            rep, talks = self._talks[i]
            now = Now(float(tension_now[i]), float(m[i]), bool(open_direct[i]), bool(ripe[i]),
                      float(share[i]))
            self.logs[rep].extend(talks.step(t, self.tension, level, now))
            self._refresh(i)

    def _rounds_at(self, t: int) -> NDArray[np.int64]:
        """Every talks' protocol rounds in step ``t`` (:meth:`Talks.rounds`)."""
        rounds = np.zeros(len(self._talks), dtype=np.int64)
        for talks, idx in self._round_groups:
            rounds[idx] = talks.rounds(t)
        return rounds

    def _settle(self, indices: NDArray[np.int64]) -> None:
        """Give the planned sessions of the talks ``indices`` the rounds owed to them."""
        for i in indices.tolist():
            session = self._talks[i][1].session
            assert session is not None
            session.advance(int(self._owed[i]))
            self._owed[i] = 0
            self._refresh(i)

    def _sync_hurting(self, indices: Any) -> None:
        """Give the talks ``indices`` their hurting time, which the batch keeps."""
        for i in indices:
            win_sets = self._talks[i][1].win_sets
            assert win_sets is not None
            win_sets.hurting_time = float(self._hurting[i])

    def _breakdown_hazard(self, i: NDArray[np.int64], share: FloatArray) -> FloatArray:
        """Talks.hazard_at of the talks ``i`` with agreements in force, at once."""
        base = np.minimum(self._base_hazard[i] + self._suppression[i] * self._shortfall[i], 1.0)
        h = base * (1.0 - self._civil_society[i] * share)
        years = self.scenario.compiled.step.years
        return h if years is None else hazards(h, years)

    def _refresh(self, i: int) -> None:
        """What the batch keeps of the talks ``i`` after they stepped."""
        talks = self._talks[i][1]
        session = talks.session
        self._in_session[i] = session is not None
        left = None if session is None or session.reads_situation else session.rounds_left
        self._rounds_left[i] = -1 if left is None else left
        self._in_force[i] = talks.in_force is not None
        self._cooldown[i] = talks.cooldown_until
        if talks.in_force is not None:
            self._shortfall[i] = talks.in_force["shortfall"]

    def run(self) -> None:
        """Run every replication to the scenario's last step."""
        while self.t < self.horizon:
            self.step()
        self._settle(np.flatnonzero(self._owed))

    def replication(self, r: int) -> Replication:
        """Replication ``r`` as a one-replication view (its slice of every record)."""
        self._settle(np.flatnonzero(self._owed))  # its session, if any, as far as it has played
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
        return Replication(self.variants[r], rec, talks)
