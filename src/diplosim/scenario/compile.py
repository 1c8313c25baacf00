"""Check cross-references in a validated scenario and expand it into arrays.

:func:`compile_spec` turns a :class:`ScenarioSpec` into a :class:`Compiled` scenario: index maps,
per-actor and per-channel NumPy arrays, per-kind rule tables, and events with their target
channels resolved. Generation rules are expanded deterministically (round-robin over matching
actors), so a scenario's structure does not depend on the replication seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from diplosim.io.errors import InputError, Problem
from diplosim.io.yamlio import Document, Limit
from diplosim.negotiation.session import SessionPlan, plan_from_document
from diplosim.plugins import PluginInfo
from diplosim.scenario.dates import CALENDAR_UNITS, check_start, date_of, step_of
from diplosim.scenario.plugins import (
    CompiledPluginEvent,
    CompiledTerm,
    compile_event,
    compile_terms,
)
from diplosim.scenario.rates import YEARS_PER_STEP, StepDynamics, step_dynamics
from diplosim.scenario.schema import (
    TAXONOMIES,
    ChannelKindSpec,
    EventSpec,
    EventType,
    NegotiationSpec,
    ScenarioSpec,
    Selector,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def dyad_label(a: str, b: str) -> str:
    return f"{a}-{b}"


@dataclass(frozen=True)
class KindTable:
    """Per-kind rule parameters, as arrays indexed [kind] or [kind, level] (levels 0..max)."""

    names: tuple[str, ...]
    track: tuple[str, ...]
    ladders: tuple[tuple[str, ...], ...]
    top: IntArray  # top level per kind
    formal: IntArray  # formal relations level per kind
    mission: NDArray[np.bool_]
    close: FloatArray  # [kind, level]: tension above which the level falls (inf at level 0)
    reopen: FloatArray  # [kind, level]: tension below which the level is regained (-inf at 0)
    capacity: FloatArray  # [kind, level]: communication capacity (0 at level 0)
    noise: FloatArray
    secrecy: FloatArray
    tension_effect: FloatArray
    perception_effect: FloatArray
    # a batch's table holds each replication's kinds in turn (diplosim.engine.batch.stack)
    replications: int = 1

    @property
    def per_replication(self) -> int:
        """Kinds of one replication (all of them, outside a batch)."""
        return len(self.names) // self.replications


@dataclass(frozen=True)
class CompiledEvent:
    spec: EventSpec
    step: int  # the step it happens in (``spec.at``, or its date resolved on the calendar)
    channels: IntArray  # target channel indices (empty for non-channel events)
    dyad: int  # dyad index for shocks, else -1
    state: int  # state index for change_government, else -1
    plugin: CompiledPluginEvent | None = None  # an event plug-in's instance and values


@dataclass(frozen=True)
class CompiledNegotiation:
    """The negotiation section resolved: the dyad, the session plan, party i's state index."""

    spec: NegotiationSpec
    dyad: int
    plan: SessionPlan
    party_state: IntArray
    needs: FloatArray
    #: partial agreements' plans by their issues (:func:`partial_plan`), filled as talks ask
    partials: dict[tuple[str, ...], SessionPlan | None] = field(
        default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Compiled:
    state_ids: tuple[str, ...]
    capability: FloatArray
    hawkishness: FloatArray
    audience_cost: FloatArray
    dyad_a: IntArray
    dyad_b: IntArray
    dyad_labels: tuple[str, ...]
    tension0: FloatArray
    baseline: FloatArray
    misperception0: FloatArray
    actor_ids: tuple[str, ...]
    actor_state: IntArray  # -1 for third parties
    actor_kind: tuple[str, ...]
    actor_tracks: tuple[tuple[str, ...], ...]
    actor_access: FloatArray
    actor_credibility: FloatArray
    actor_openness: FloatArray
    actor_rigidity: FloatArray
    kinds: KindTable
    channel_ids: tuple[str, ...]
    channel_kind: IntArray
    channel_a: IntArray
    channel_b: IntArray
    channel_via: IntArray  # -1 when direct
    channel_dyad: IntArray
    level0: IntArray
    ceiling0: IntArray
    events: tuple[CompiledEvent, ...]
    tracked_dyads: IntArray
    dyad_index: dict[tuple[int, int], int] = field(repr=False)
    negotiation: CompiledNegotiation | None = None
    dynamics: StepDynamics | None = field(default=None, repr=False)
    terms: tuple[CompiledTerm, ...] = ()  # dynamics plug-ins, in the file's order
    # per channel: whether it carries the talks on the settlement (its kind's mandate; official
    # channels only: every other channel does), before any widen_mandate event
    settlement0: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # the same for each other matter the talks read (win_sets: a ceasefire, a humanitarian pause)
    matters0: dict[str, NDArray[np.bool_]] = field(default_factory=dict)

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """The plug-ins the scenario uses (dynamics, event types, the talks' strategies and
        protocol), each once, in that order."""
        found = [t.info for t in self.terms]
        found += [e.plugin.info for e in self.events if e.plugin is not None]
        if self.negotiation is not None:
            found += list(self.negotiation.plan.plugins)
        return tuple(dict.fromkeys(found))

    @property
    def step(self) -> StepDynamics:
        """The dynamics per step (:mod:`diplosim.scenario.rates`)."""
        assert self.dynamics is not None
        return self.dynamics

    @property
    def n_channels(self) -> int:
        return len(self.channel_ids)

    def dyad_of(self, a: str, b: str) -> int:
        i, j = self.state_ids.index(a), self.state_ids.index(b)
        return self.dyad_index[(min(i, j), max(i, j))]


class _Errors:
    def __init__(self, lines: dict[str, int]) -> None:
        self.problems: list[Problem] = []
        self.lines = lines

    def add(self, path: str, message: str, value: Any = None, allowed: str = "") -> None:
        line = None
        probe = path
        while line is None:
            line = self.lines.get(probe)
            if not probe:
                break
            probe = probe.rpartition(".")[0]
        self.problems.append(
            Problem(message, path=path, value=value, allowed=allowed, line=line, has_value=True)
        )


def _kind_table(spec: ScenarioSpec) -> KindTable:
    kinds = list(spec.channels.items())
    n = len(kinds)
    width = max((len(k.ladder) for _, k in kinds), default=2)
    close = np.full((n, width), np.inf)
    reopen = np.full((n, width), -np.inf)
    capacity = np.zeros((n, width))
    top = np.zeros(n, dtype=np.int64)
    formal = np.zeros(n, dtype=np.int64)
    for i, (_, k) in enumerate(kinds):
        n_open = len(k.ladder) - 1
        top[i] = n_open
        formal[i] = k.formal_level or n_open
        close[i, 1 : n_open + 1] = k.per_level(k.close_threshold)
        reopen[i, 1 : n_open + 1] = k.per_level(k.reopen_threshold)
        if isinstance(k.capacity, list):
            capacity[i, 1 : n_open + 1] = k.capacity
        else:  # linear in level up to the given top capacity
            capacity[i, 1 : n_open + 1] = k.capacity * np.arange(1, n_open + 1) / n_open
    return KindTable(
        names=tuple(name for name, _ in kinds),
        track=tuple(k.track for _, k in kinds),
        ladders=tuple(tuple(k.ladder) for _, k in kinds),
        top=top,
        formal=formal,
        mission=np.array([k.mission for _, k in kinds], dtype=bool),
        close=close,
        reopen=reopen,
        capacity=capacity,
        noise=np.array([k.noise for _, k in kinds], dtype=float),
        secrecy=np.array([k.secrecy for _, k in kinds], dtype=float),
        tension_effect=np.array([k.tension_effect for _, k in kinds], dtype=float),
        perception_effect=np.array([k.perception_effect for _, k in kinds], dtype=float),
    )


STATES = Limit("states", 1_000, "DIPLOSIM_MAX_STATES")
ACTORS = Limit("actors", 100_000, "DIPLOSIM_MAX_ACTORS")
CHANNELS = Limit("channels", 500_000, "DIPLOSIM_MAX_CHANNELS")


def _check_size(spec: ScenarioSpec, lines: dict[str, int], source: str | None) -> None:
    """Refuse, before generating anything, a scenario whose rules would make more states,
    actors or channels than the limits (a few lines of rules can ask for billions)."""
    n_states = len(spec.states)
    n_dyads = n_states * (n_states - 1) // 2
    actors = len(spec.actors.listed) + sum(
        r.count * (n_states if r.states == "all" else len(r.states)) for r in spec.actors.generate)
    channels = sum(len(k.links) + sum(
        r.count * (n_dyads if r.dyads == "all" else len(r.dyads)) for r in k.generate)
        for k in spec.channels.values())
    for limit, n, path in ((STATES, n_states, "states"), (ACTORS, actors, "actors"),
                           (CHANNELS, channels, "channels")):
        bound = limit.value()
        if n > bound:
            raise InputError.single(
                f"the scenario would make {n:,} {limit.name}", source=source, path=path,
                line=lines.get(path), allowed=f"at most {bound:,} {limit.name} "
                f"({limit.how_to_raise()})")


def compile_spec(spec: ScenarioSpec, lines: dict[str, int], source: str | None,
                 event_horizon: int | None = None) -> Compiled:
    """Resolve references and expand rules; raise :class:`InputError` listing every problem.

    Events must fall in 1 .. ``event_horizon`` (default ``spec.steps``). The loader passes the
    file's own ``steps`` when an override shortens the run: events after the shortened horizon
    are then simply not reached, while an event after the file's last step is still an error.
    """
    _check_size(spec, lines, source)
    err = _Errors(lines)
    horizon = spec.steps if event_horizon is None else max(spec.steps, event_horizon)
    if spec.start is not None and not check_start(spec.start, spec.time_unit):
        try:
            date_of(horizon, spec.start, spec.time_unit)
        except (ValueError, OverflowError):
            err.add("steps", f"{horizon:,} {spec.time_unit}s from {spec.start.isoformat()} "
                    "end after the year 9999", horizon, "fewer steps, or an earlier start")
    if spec.start is not None and (why := check_start(spec.start, spec.time_unit)):
        err.add("start" if spec.start.day > 28 else "time_unit", why,
                spec.start.isoformat() if spec.start.day > 28 else spec.time_unit,
                ", ".join(CALENDAR_UNITS) if spec.start.day <= 28 else "a date on day 1 to 28")
    tracks = TAXONOMIES[spec.taxonomy]
    track_help = f"tracks of the {spec.taxonomy.value} taxonomy: {', '.join(tracks)}"

    # States and dyads.
    state_ids = [s.id for s in spec.states]
    state_index: dict[str, int] = {}
    for i, s in enumerate(spec.states):
        if s.id in state_index:
            err.add(f"states.{i}.id", "duplicate state id", s.id, "each state id once")
        state_index.setdefault(s.id, i)
    more = " ..." if len(state_ids) > 12 else ""
    state_help = "a state id: " + ", ".join(state_ids[:12]) + more

    def state_ref(path: str, sid: str) -> int:
        if sid not in state_index:
            err.add(path, f"unknown state {sid!r}", sid, state_help)
            return -1
        return state_index[sid]

    pairs = list(combinations(range(len(state_ids)), 2))
    dyad_index = {p: d for d, p in enumerate(pairs)}
    n_dyads = len(pairs)
    tension0 = np.full(n_dyads, spec.tension.initial)
    baseline = np.full(n_dyads, spec.tension.baseline)
    mis0 = np.full(n_dyads, spec.tension.misperception.initial)

    def dyad_ref(path: str, pair: tuple[str, str]) -> int:
        i, j = state_ref(f"{path}.0", pair[0]), state_ref(f"{path}.1", pair[1])
        if i < 0 or j < 0:
            return -1
        if i == j:
            err.add(path, "a dyad needs two different states", list(pair))
            return -1
        return dyad_index[(min(i, j), max(i, j))]

    for n, dyad_spec in enumerate(spec.dyads):
        k = dyad_ref(f"dyads.{n}.states", dyad_spec.states)
        if k >= 0:
            if dyad_spec.initial is not None:
                tension0[k] = dyad_spec.initial
            if dyad_spec.baseline is not None:
                baseline[k] = dyad_spec.baseline
            if dyad_spec.misperception is not None:
                mis0[k] = dyad_spec.misperception

    # Actors.
    a_ids: list[str] = []
    a_state: list[int] = []
    a_kind: list[str] = []
    a_tracks: list[tuple[str, ...]] = []
    a_num: list[tuple[float, float, float, float]] = []
    actor_index: dict[str, int] = {}

    def add_actor(path: str, aid: str, st: int, kind: str, trk: list[str], nums: Any) -> None:
        if aid in actor_index:
            err.add(path, f"duplicate actor id {aid!r}", aid, "each actor id once")
            return
        for t_i, t in enumerate(trk):
            if t not in tracks:
                err.add(f"{path}.tracks.{t_i}", f"unknown track {t!r}", t, track_help)
        actor_index[aid] = len(a_ids)
        a_ids.append(aid)
        a_state.append(st)
        a_kind.append(kind)
        a_tracks.append(tuple(trk))
        a_num.append((nums.access, nums.credibility, nums.openness, nums.rigidity))

    for i, listed in enumerate(spec.actors.listed):
        st = -1 if listed.state is None else state_ref(f"actors.list.{i}.state", listed.state)
        add_actor(f"actors.list.{i}", listed.id, st, listed.kind, listed.tracks, listed)
    for r_i, actor_rule in enumerate(spec.actors.generate):
        path = f"actors.generate.{r_i}"
        targets = (
            state_ids
            if actor_rule.states == "all"
            else [s for k, s in enumerate(actor_rule.states)
                  if state_ref(f"{path}.states.{k}", s) >= 0]
        )
        for sid in targets:
            for n_i in range(actor_rule.count):
                add_actor(path, f"{sid}_{actor_rule.kind}_{n_i + 1}", state_index[sid],
                          actor_rule.kind, actor_rule.tracks, actor_rule)

    # Channel kinds and channels.
    kinds = _kind_table(spec)
    kind_names = list(spec.channels)
    for name, kind_spec in spec.channels.items():
        if kind_spec.track not in tracks:
            err.add(f"channels.{name}.track", f"unknown track {kind_spec.track!r}",
                    kind_spec.track, track_help)

    by_state_matching: dict[tuple[int, str | None, str | None, str | None], list[int]] = {}

    def matching(state: int, sel: Selector) -> list[int]:
        key = (state, sel.id, sel.kind, sel.track)
        if key not in by_state_matching:
            by_state_matching[key] = [
                i for i in range(len(a_ids))
                if a_state[i] == state
                and (sel.id is None or a_ids[i] == sel.id)
                and (sel.kind is None or a_kind[i] == sel.kind)
                and (sel.track is None or sel.track in a_tracks[i])
            ]
        return by_state_matching[key]

    c_ids: list[str] = []
    c_kind: list[int] = []
    c_a: list[int] = []
    c_b: list[int] = []
    c_via: list[int] = []
    c_dyad: list[int] = []
    c_level: list[int] = []
    c_ceiling: list[int] = []
    channel_index: dict[str, int] = {}

    def via_ref(path: str, via: str | None) -> int:
        if via is None:
            return -1
        if via not in actor_index:
            err.add(path, f"unknown actor {via!r}", via, "the id of a third-party actor")
            return -2
        v = actor_index[via]
        if a_state[v] != -1:
            err.add(path, f"actor {via!r} belongs to a state", via,
                    "a third party (an actor with state: null)")
            return -2
        return v

    def levels(path: str, k: int, level: int | None, max_level: int | None) -> tuple[int, int]:
        top = int(kinds.top[k])
        lv = top if level is None else level
        if lv > top:
            err.add(f"{path}.level", f"level {lv} is above the top of the {kind_names[k]} ladder",
                    lv, f"0 to {top} ({', '.join(kinds.ladders[k])})")
        ceil = lv if max_level is None else max_level
        if max_level is None and lv == 0:
            ceil = top
        if ceil > top:
            err.add(f"{path}.max_level", f"max_level {ceil} is above the top of the ladder", ceil,
                    f"0 to {top}")
        return lv, ceil

    def add_channel(cid: str, path: str, k: int, a: int, b: int, via: int, lv: int,
                    ceil: int) -> None:
        if cid in channel_index:
            err.add(path, f"duplicate channel id {cid!r}", cid, "each channel id once")
            return
        sa, sb = a_state[a], a_state[b]
        channel_index[cid] = len(c_ids)
        c_ids.append(cid)
        c_kind.append(k)
        c_a.append(a)
        c_b.append(b)
        c_via.append(via)
        c_dyad.append(dyad_index[(min(sa, sb), max(sa, sb))])
        c_level.append(lv)
        c_ceiling.append(ceil)

    for k, (name, kind) in enumerate(spec.channels.items()):
        _links(kind, name, k, err, actor_index, a_state, via_ref, levels, add_channel)
        for r_i, rule in enumerate(kind.generate):
            path = f"channels.{name}.generate.{r_i}"
            pairs_for_rule: list[tuple[int, int]] = []
            if rule.dyads == "all":
                pairs_for_rule = pairs
            else:
                for d_i, pair in enumerate(rule.dyads):
                    if dyad_ref(f"{path}.dyads.{d_i}", pair) >= 0:
                        pairs_for_rule.append((state_index[pair[0]], state_index[pair[1]]))
            via = via_ref(f"{path}.via", rule.via)
            lv, ceil = levels(path, k, rule.level, rule.max_level)
            for si, sj in pairs_for_rule:
                left, right = matching(si, rule.from_), matching(sj, rule.to)
                if not left or not right:
                    who = state_ids[si] if not left else state_ids[sj]
                    side = "from" if not left else "to"
                    sel = rule.from_ if not left else rule.to
                    err.add(f"{path}.{side}", f"no actor of state {who!r} matches this selector",
                            sel.model_dump(exclude_none=True),
                            "a kind and/or track that some actor of each state has")
                    continue
                for c in range(rule.count):
                    a, b = left[c % len(left)], right[c % len(right)]
                    cid = f"{name}_{state_ids[si]}_{state_ids[sj]}_{r_i + 1}_{c + 1}"
                    add_channel(cid, path, k, a, b, max(via, -1), lv, ceil)

    # Events.
    events: list[CompiledEvent] = []
    c_kind_arr = np.array(c_kind, dtype=np.int64)
    c_dyad_arr = np.array(c_dyad, dtype=np.int64)
    c_via_arr = np.array(c_via, dtype=np.int64)
    kind_tracks = np.array((*kinds.track, ""), dtype=object)
    for e_i, ev in enumerate(spec.events):
        path = f"events.{e_i}"
        step = _event_step(spec, ev, horizon, f"{path}.at", err)
        if ev.type is EventType.RED_LINE:  # logged; read by the talks only with win_sets
            if spec.negotiation is None:
                err.add(f"{path}.type", "a red line bounds the talks: the scenario has none",
                        ev.type.value, "a negotiation section")
                continue
            check_red_line(ev, spec.negotiation, path, err)
            events.append(CompiledEvent(spec=ev, step=step, channels=np.zeros(0, dtype=np.int64),
                                        dyad=-1, state=state_index.get(str(ev.party), -1)))
            continue
        dyad = dyad_ref(f"{path}.dyad", ev.dyad) if ev.dyad is not None else -1
        state = state_ref(f"{path}.state", ev.state) if ev.state is not None else -1
        target_idx = np.zeros(0, dtype=np.int64)
        if ev.channels is not None:
            mask = np.ones(len(c_ids), dtype=bool)
            t = ev.channels
            if t.kind is not None:
                if t.kind not in kind_names:
                    err.add(f"{path}.channels.kind", f"unknown channel kind {t.kind!r}", t.kind,
                            "a kind defined under channels: " + ", ".join(kind_names))
                else:
                    mask &= c_kind_arr == kind_names.index(t.kind)
                    top = int(kinds.top[kind_names.index(t.kind)])
                    if ev.level is not None and ev.level > top:
                        err.add(f"{path}.level", f"level {ev.level} is above the top of the "
                                f"{t.kind} ladder", ev.level, f"0 to {top}")
            if t.track is not None:
                if t.track not in tracks:
                    err.add(f"{path}.channels.track", f"unknown track {t.track!r}", t.track,
                            track_help)
                mask &= kind_tracks[c_kind_arr] == t.track
            if t.dyad is not None:
                mask &= c_dyad_arr == dyad_ref(f"{path}.channels.dyad", t.dyad)
            if t.via is not None:
                v = via_ref(f"{path}.channels.via", t.via)
                mask &= c_via_arr == v
            if t.ids is not None:
                idmask = np.zeros(len(c_ids), dtype=bool)
                for k_i, cid in enumerate(t.ids):
                    if cid not in channel_index:
                        err.add(f"{path}.channels.ids.{k_i}", f"unknown channel {cid!r}", cid,
                                "the id of a channel (links: id, or a generated id)")
                    else:
                        idmask[channel_index[cid]] = True
                mask &= idmask
            target_idx = np.flatnonzero(mask).astype(np.int64)
        elif ev.type not in (EventType.SHOCK, EventType.CHANGE_GOVERNMENT,
                             EventType.POLITICAL_CHANGE) and isinstance(ev.type, EventType):
            err.add(path, "needs channels", None)
        plugin = compile_event(spec, e_i, lines, source, err.add, err.problems)
        events.append(CompiledEvent(spec=ev, step=step, channels=target_idx, dyad=dyad,
                                    state=state, plugin=plugin))
    terms = compile_terms(spec, lines, source, err.add, err.problems)

    # Dyads whose connectivity is tracked.
    if spec.metrics.dyads == "all":
        tracked = np.arange(n_dyads, dtype=np.int64)
    else:
        tracked = np.array(
            [dd for i, p in enumerate(spec.metrics.dyads)
             if (dd := dyad_ref(f"metrics.dyads.{i}", p)) >= 0],
            dtype=np.int64,
        )

    _check_rates(spec, err)
    dynamics = None
    if not err.problems:
        dynamics = step_dynamics(spec.rates, spec.time_unit, spec.tension, spec.negotiation)
    negotiation = None
    if spec.negotiation is not None and dynamics is not None and not err.problems:
        negotiation = _negotiation(spec.negotiation, dyad_ref, state_index, err, lines, source)
    if spec.explore is not None:
        _check_explore(spec, err)

    if err.problems:
        raise InputError(err.problems, source=source)

    num = np.array(a_num, dtype=float).reshape(-1, 4)
    return Compiled(
        state_ids=tuple(state_ids),
        capability=np.array([s.capability for s in spec.states], dtype=float),
        hawkishness=np.array([s.hawkishness for s in spec.states], dtype=float),
        audience_cost=np.array([s.audience_cost for s in spec.states], dtype=float),
        dyad_a=np.array([p[0] for p in pairs], dtype=np.int64),
        dyad_b=np.array([p[1] for p in pairs], dtype=np.int64),
        dyad_labels=tuple(dyad_label(state_ids[i], state_ids[j]) for i, j in pairs),
        tension0=tension0,
        baseline=baseline,
        misperception0=mis0,
        actor_ids=tuple(a_ids),
        actor_state=np.array(a_state, dtype=np.int64),
        actor_kind=tuple(a_kind),
        actor_tracks=tuple(a_tracks),
        actor_access=num[:, 0].copy(),
        actor_credibility=num[:, 1].copy(),
        actor_openness=num[:, 2].copy(),
        actor_rigidity=num[:, 3].copy(),
        kinds=kinds,
        channel_ids=tuple(c_ids),
        channel_kind=c_kind_arr,
        channel_a=np.array(c_a, dtype=np.int64),
        channel_b=np.array(c_b, dtype=np.int64),
        channel_via=c_via_arr,
        channel_dyad=c_dyad_arr,
        level0=np.array(c_level, dtype=np.int64),
        ceiling0=np.array(c_ceiling, dtype=np.int64),
        events=tuple(events),
        tracked_dyads=tracked,
        dyad_index=dyad_index,
        negotiation=negotiation,
        dynamics=dynamics,
        terms=terms,
        settlement0=_carries(spec, kinds.track, c_kind_arr, "settlement"),
        matters0={m: _carries(spec, kinds.track, c_kind_arr, m) for m in _other_matters(spec)},
    )


def _other_matters(spec: ScenarioSpec) -> list[str]:
    """The matters other than settlement the talks read (with win_sets), in the issues' order."""
    neg = spec.negotiation
    if neg is None or neg.win_sets is None:
        return []
    return list(dict.fromkeys(i.matter for i in neg.session.issues if i.matter != "settlement"))


def _carries(spec: ScenarioSpec, tracks: tuple[str, ...], channel_kind: IntArray,
             matter: str) -> NDArray[np.bool_]:
    """Per channel: whether it carries talks on ``matter`` at the start — an official channel
    whose kind has a mandate only if the mandate includes the matter, any other channel
    always."""
    carries = np.array([k.mandate is None or matter in k.mandate or track != "1"
                        for k, track in zip(spec.channels.values(), tracks, strict=True)],
                       dtype=bool)
    return carries[channel_kind] if carries.size else np.zeros(0, dtype=bool)


def _check_rates(spec: ScenarioSpec, err: _Errors) -> None:
    """What the rate values can mean: per year needs a calendar step; per step needs a drift of
    at most 1 and durations in whole steps (a value that only makes sense per year says so)."""
    if spec.rates == "per_year":
        if spec.time_unit not in YEARS_PER_STEP:
            err.add("rates", f"rates per year need a calendar time_unit, not {spec.time_unit!r}",
                    spec.rates, f"time_unit one of {', '.join(YEARS_PER_STEP)}, or "
                    "rates: per_step")
        return
    hint = " (a rate per year? then say rates: per_year)"
    if spec.tension.drift > 1:
        err.add("tension.drift", f"a drift per step is a share of the gap, at most 1{hint}",
                spec.tension.drift, "0 to 1 per step")
    neg = spec.negotiation
    if neg is None:
        return
    if neg.rounds_per_year is not None:
        err.add("negotiation.rounds_per_year", "rounds per year need rates: per_year",
                neg.rounds_per_year, "rounds_per_step, or rates: per_year")
    if neg.ripeness.window < 1 or neg.ripeness.window != int(neg.ripeness.window):
        err.add("negotiation.ripeness.window", f"a window of whole steps{hint}",
                neg.ripeness.window, "a whole number of steps, at least 1")
    if neg.cooldown != int(neg.cooldown):
        err.add("negotiation.cooldown", f"a cooldown of whole steps{hint}", neg.cooldown,
                "a whole number of steps")


def _check_explore(spec: ScenarioSpec, err: _Errors) -> None:
    """Each slider of the browser app names a number in the scenario."""
    assert spec.explore is not None
    document = spec.model_dump(by_alias=True)
    for i, p in enumerate(spec.explore.parameters):
        cur: Any = document
        for part in p.path.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
                cur = cur[int(part)]
            else:
                cur = None
                break
        if isinstance(cur, bool) or not isinstance(cur, int | float):
            err.add(f"explore.parameters.{i}.path", "not a numeric field of the scenario",
                    p.path, "a dotted path to a number, e.g. tension.drift or "
                    "channels.KIND.close_threshold")


def _event_step(spec: ScenarioSpec, ev: EventSpec, horizon: int, path: str,
                err: _Errors) -> int:
    """The step an event happens in; a date is placed on the scenario's calendar."""
    if isinstance(ev.at, int):
        if ev.at > horizon:
            err.add(path, f"event at step {ev.at} is after the last step", ev.at,
                    f"1 to steps ({horizon})")
        return ev.at
    when = ev.at.isoformat()
    if spec.start is None:
        err.add(path, f"an event dated {when} needs the scenario's start date", when,
                "a step number, or give the scenario a start: YYYY-MM-DD")
        return 0
    if check_start(spec.start, spec.time_unit) or err.problems:
        return 0  # reported once, at start/time_unit or steps
    step = step_of(ev.at, spec.start, spec.time_unit)
    first = spec.start.isoformat()
    end = date_of(horizon, spec.start, spec.time_unit) - dt.timedelta(days=1)
    if not 1 <= step <= horizon:
        where = "before the start" if step < 1 else "after the end of the run"
        err.add(path, f"event dated {when} is {where}", when,
                f"a date from {first} to {end.isoformat()} (steps 1 to {horizon})")
    return step


def _negotiation(
    neg: NegotiationSpec, dyad_ref: Any, state_index: dict[str, int], err: _Errors,
    lines: dict[str, int], source: str | None,
) -> CompiledNegotiation | None:
    """Check the negotiation section and build its session plan (party names = state ids)."""
    d = dyad_ref("negotiation.dyad", neg.dyad)
    if d < 0:
        return None
    names = [p.name for p in neg.session.parties]
    if sorted(names) != sorted(neg.dyad):
        err.add("negotiation.session.parties", "the parties must be the two states of the dyad",
                names, f"parties named {neg.dyad[0]} and {neg.dyad[1]}")
        return None
    for state in neg.needs:
        if state not in neg.dyad:
            err.add(f"negotiation.needs.{state}", f"{state!r} is not a state of the dyad", state,
                    " or ".join(neg.dyad))
    _check_red_lines(neg, err)
    prefix = "negotiation.session"
    sub_lines = {k[len(prefix) + 1:]: v for k, v in lines.items() if k.startswith(prefix + ".")}
    sub_lines[""] = lines.get(prefix, 1)
    session = neg.session.model_dump(mode="python", exclude_none=True)
    doc = Document(data=session if neg.win_sets is not None else settlement_session(session),
                   source=source or "<scenario>", lines=sub_lines)
    try:
        plan = plan_from_document(doc)
    except InputError as exc:
        for p in exc.problems:
            err.problems.append(replace(p, path=f"{prefix}.{p.path}" if p.path else prefix))
        return None
    return CompiledNegotiation(
        spec=neg,
        dyad=d,
        plan=plan,
        party_state=np.array([state_index[n] for n in names], dtype=np.int64),
        needs=np.array([neg.needs.get(n, 0.5) for n in names], dtype=float),
    )


def settlement_session(session: dict[str, Any]) -> dict[str, Any]:
    """A session document without the issues added for the red-lines structure
    (``red_lines_only``) and the parties' values on them: what every other structure reads
    (docs/validity.md). A session with none is returned as it is."""
    other = {i["name"] for i in session["issues"] if i.get("red_lines_only")}
    if not other:
        return session
    parties = [{k: ({n: v for n, v in val.items() if n not in other}
                    if k in ("weights", "ideal", "scores") else val) for k, val in p.items()}
               for p in session["parties"]]
    return {**session, "issues": [i for i in session["issues"] if i["name"] not in other],
            "parties": parties}


def partial_plan(neg: CompiledNegotiation, issues: tuple[str, ...]) -> SessionPlan | None:
    """The session plan of a partial agreement on ``issues`` (of the talks' own plan): the
    same parties on those issues alone (their weights renormalised), cached; None where a
    party weighs none of them (no deal it could want)."""
    if issues not in neg.partials:
        session = neg.spec.session.model_dump(mode="python", exclude_none=True)
        drop = {i["name"] for i in session["issues"]} - set(issues)
        parties = [{k: ({n: v for n, v in val.items() if n not in drop}
                        if k in ("weights", "ideal", "scores") else val) for k, val in p.items()}
                   for p in session["parties"]]
        doc = Document(data={**session, "parties": parties,
                             "issues": [i for i in session["issues"] if i["name"] in issues]},
                       source=neg.plan.source)
        try:
            neg.partials[issues] = plan_from_document(doc)
        except InputError:
            neg.partials[issues] = None
    return neg.partials[issues]


def check_red_line(line: Any, neg: NegotiationSpec, path: str, err: _Errors) -> None:
    """A red line (an entry of negotiation.red_lines or a red_line event) names a party of the
    talks and one of their issues, and its bound fits the issue (docs/validity.md)."""
    if line.party not in neg.dyad:
        err.add(f"{path}.party", f"{line.party!r} is not a party of the talks", line.party,
                " or ".join(neg.dyad))
    issues = {i.name: i for i in neg.session.issues}
    issue = issues.get(line.issue)
    if issue is None:
        err.add(f"{path}.issue", f"unknown issue {line.issue!r}", line.issue,
                ", ".join(issues) or "(the talks have no issues)")
        return
    discrete = issue.kind.value == "discrete"
    for name in ("at_least", "at_most"):
        bound = getattr(line, name)
        if bound is None:
            continue
        if discrete:
            err.add(f"{path}.{name}", f"{issue.name} is discrete: its red lines exclude values",
                    bound, f"exclude: some of {issue.values}")
            continue
        low = 0.0 if issue.low is None else issue.low
        high = 1.0 if issue.high is None else issue.high
        if not low <= bound <= high:
            err.add(f"{path}.{name}", "outside the issue's range", bound, f"{low:g} to {high:g}")
    if line.exclude is not None:
        if not discrete:
            err.add(f"{path}.exclude", f"{issue.name} is continuous: its red lines are bounds",
                    line.exclude, "at_least or at_most")
        else:
            for k, value in enumerate(line.exclude):
                if value not in (issue.values or []):
                    err.add(f"{path}.exclude.{k}", f"not a value of {issue.name}", value,
                            ", ".join(map(str, issue.values or [])))
            if set(issue.values or []) <= set(line.exclude):
                err.add(f"{path}.exclude", f"excludes every value of {issue.name}: the party "
                        "would accept no settlement at all", line.exclude,
                        "some of the values, not all")


def _check_red_lines(neg: NegotiationSpec, err: _Errors) -> None:
    for i, line in enumerate(neg.red_lines):
        check_red_line(line, neg, f"negotiation.red_lines.{i}", err)
    for i, r in enumerate(neg.ratification):
        if r.party not in neg.dyad:
            err.add(f"negotiation.ratification.{i}.party", f"{r.party!r} is not a party of the "
                    "talks", r.party, " or ".join(neg.dyad))


def _links(kind: ChannelKindSpec, name: str, k: int, err: _Errors, actor_index: dict[str, int],
           a_state: list[int], via_ref: Any, levels: Any, add_channel: Any) -> None:
    """Add the channels a kind lists one by one."""
    for l_i, link in enumerate(kind.links):
        path = f"channels.{name}.links.{l_i}"
        ends: list[int] = []
        for e_i, aid in enumerate(link.between):
            if aid not in actor_index:
                err.add(f"{path}.between.{e_i}", f"unknown actor {aid!r}", aid,
                        "the id of an actor (actors.list or a generated id STATE_KIND_N)")
            else:
                ends.append(actor_index[aid])
        if len(ends) != 2:
            continue
        sa, sb = a_state[ends[0]], a_state[ends[1]]
        if sa < 0 or sb < 0:
            err.add(f"{path}.between", "a channel joins actors of two states; a third party "
                    "carries it with via:", list(link.between),
                    "two actors that belong to different states")
            continue
        if sa == sb:
            err.add(f"{path}.between", "both ends belong to the same state", list(link.between),
                    "two actors that belong to different states")
            continue
        via = via_ref(f"{path}.via", link.via)
        lv, ceil = levels(path, k, link.level, link.max_level)
        cid = link.id or f"{name}_{link.between[0]}_{link.between[1]}_{l_i + 1}"
        add_channel(cid, path, k, ends[0], ends[1], max(via, -1), lv, ceil)
