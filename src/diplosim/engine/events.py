"""The scenario's timeline: scheduled shocks, channel changes, changes of government and the
events of installed plug-ins (:class:`diplosim.plugins.Event`).

Events due at step t are applied at the start of step t, before tension and channels update, in
the order the scenario lists them. Each applied event adds a row to the event log.

An event plug-in sees one replication's arrays (:class:`~diplosim.plugins.World`: views of the
run's or batch's arrays, the replication's block of them) and its target's indices in the
scenario's own numbering, so it does the same in a batch as in a single run. Through the World it
may set channel levels and ceilings (as ``set_level`` and ``set_ceiling`` do) and block or
release a dyad's talks (:attr:`Timeline.talks_blocked`; the talks read it,
:class:`~diplosim.engine.talks.Talks`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.winsets import WinSets
from diplosim.io.errors import InputError
from diplosim.plugins import PluginInfo, Target, World
from diplosim.scenario.compile import Compiled, CompiledEvent
from diplosim.scenario.schema import ChannelTarget, EventType

if TYPE_CHECKING:
    from diplosim.engine.channels import Channels
    from diplosim.engine.tension import Tension


class TalksHandle(Protocol):
    """What events reach of a dyad's talks (:class:`~diplosim.engine.talks.Talks`): the block
    (event plug-ins), the win-sets (red_line events, new leaders) and the parties' states."""

    dyad: int
    blocked: bool
    win_sets: WinSets | None
    parties_state: NDArray[np.int64]


#: Political changes that move a party's red lines (win-sets): the kind and the direction.
LEADER_STEP = {"conciliatory_leader": 1, "hardline_leader": -1}


@dataclass(frozen=True)
class LogEntry:
    step: int
    type: str
    label: str
    target: str
    channels_affected: int
    detail: str
    when: dt.date | None = None  # a scheduled event's own date, when the scenario gives one


def _read_only[G: np.generic](a: NDArray[G]) -> NDArray[G]:
    out = a.view()
    out.flags.writeable = False
    return out


class Timeline:
    """Events grouped by step. ``compiled``: one replication's scenario (its numbering);
    ``replications``: how many lie side by side in the arrays :meth:`apply` is given (a
    batch's, whose events are tiled replication by replication); ``talks``: the talks of the
    run or batch, which event plug-ins may block."""

    def __init__(self, events: tuple[CompiledEvent, ...], dyad_labels: tuple[str, ...],
                 state_ids: tuple[str, ...], *, compiled: Compiled, replications: int = 1,
                 talks: Sequence[TalksHandle] = ()) -> None:
        self.by_step: dict[int, list[CompiledEvent]] = defaultdict(list)
        for ev in events:
            self.by_step[ev.step].append(ev)
        self.dyad_labels = dyad_labels
        self.state_ids = state_ids
        self._targets: dict[int, str] = {}  # a channel target's text, by the target's id
        self.replications = replications
        self.n_states, self.n_dyads = len(compiled.state_ids), len(compiled.dyad_labels)
        self.n_channels = compiled.n_channels
        #: per dyad of every replication: an event plug-in blocks its talks (World.block_talks)
        self.talks_blocked = np.zeros(self.n_dyads * replications, dtype=bool)
        self.talks = {x.dyad: x for x in talks}  # by the dyad's index in the arrays
        #: replication r's talks (a scenario's talks exist in every replication or in none)
        self.talks_of = list(talks)
        self._channel_dyad = _read_only(compiled.channel_dyad.astype(np.int64))
        self._state_dyads = [_read_only(np.flatnonzero(
            (compiled.dyad_a == s) | (compiled.dyad_b == s)).astype(np.int64))
            for s in range(self.n_states)]

    def _channel_target(self, target: ChannelTarget) -> str:
        """The log's text for a channel event's target (the same for every replication and
        step; the targets live as long as the timeline's events)."""
        text = self._targets.get(id(target))
        if text is None:
            text = self._targets[id(target)] = ", ".join(
                f"{k}={v}" for k, v in target.model_dump(exclude_none=True).items())
        return text

    def apply(self, step: int, tension: Tension, channels: Channels,
              hawkishness: np.ndarray, audience_cost: np.ndarray) -> list[LogEntry]:
        log: list[LogEntry] = []
        due = self.by_step.get(step, ())
        per = max(len(due) // self.replications, 1)  # each replication's events, in turn
        for k, ev in enumerate(due):
            s = ev.spec
            before = channels.level[ev.channels].copy()
            target = ""
            detail = ""
            moved: int | None = None  # channels an event plug-in moved, of its replication's
            match s.type:
                case EventType.SHOCK:
                    assert s.magnitude is not None
                    tension.shock(ev.dyad, s.magnitude)
                    target = self.dyad_labels[ev.dyad]
                    detail = f"tension {s.magnitude:+g} -> {tension.tension[ev.dyad]:.3f}"
                case EventType.SET_LEVEL:
                    assert s.level is not None
                    channels.set_level(ev.channels, s.level)
                    detail = f"level -> {s.level}"
                case EventType.DOWNGRADE:
                    assert isinstance(s.by, int)
                    channels.downgrade(ev.channels, s.by)
                    detail = f"down {s.by} level(s)"
                case EventType.SET_CEILING:
                    assert s.level is not None
                    channels.set_ceiling(ev.channels, s.level)
                    detail = f"ceiling -> {s.level}"
                case EventType.WIDEN_MANDATE:
                    assert s.matters is not None
                    channels.widen_mandate(ev.channels, s.matters)
                    detail = f"mandate + {', '.join(s.matters)}"
                case EventType.POLITICAL_CHANGE:
                    assert s.change is not None
                    before_h = float(hawkishness[ev.state])
                    hawkishness[ev.state] = min(1.0, max(0.0, before_h + s.change))
                    target = self.state_ids[ev.state]
                    detail = (f"{s.kind or 'change'}: hawkishness {before_h:.3f} -> "
                              f"{hawkishness[ev.state]:.3f}")
                    if s.kind in LEADER_STEP:
                        detail += self._leader(ev, k // per, LEADER_STEP[s.kind])
                case EventType.RED_LINE:
                    target = self.state_ids[ev.state] if ev.state >= 0 else ""
                    detail = self._red_line(ev, k // per)
                case EventType.CHANGE_GOVERNMENT:
                    changes = []
                    if s.hawkishness is not None:
                        hawkishness[ev.state] = s.hawkishness
                        changes.append(f"hawkishness {s.hawkishness:g}")
                    if s.audience_cost is not None:
                        audience_cost[ev.state] = s.audience_cost
                        changes.append(f"audience_cost {s.audience_cost:g}")
                    target = self.state_ids[ev.state]
                    detail = ", ".join(changes) or "new government"
                case _:  # an event plug-in (diplosim.plugins.Event)
                    target, detail, moved = self._plugin(ev, k // per, tension, channels,
                                                         hawkishness, audience_cost)
            if s.channels is not None:
                target = self._channel_target(s.channels)
            affected = (int(np.count_nonzero(channels.level[ev.channels] != before))
                        if moved is None else moved)
            when = s.at if isinstance(s.at, dt.date) else None
            log.append(LogEntry(step, str(s.type), s.label, target, affected, detail, when))
        return log

    def _win_sets(self, r: int) -> tuple[TalksHandle, WinSets] | None:
        """Replication ``r``'s talks and their win-sets, if they read red lines."""
        if r >= len(self.talks_of) or self.talks_of[r].win_sets is None:
            return None
        talks = self.talks_of[r]
        assert talks.win_sets is not None
        return talks, talks.win_sets

    def _red_line(self, ev: CompiledEvent, r: int) -> str:
        """A red line stated, moved or lifted (read by the talks with win-sets only)."""
        s = ev.spec
        bound = ("lifted" if s.lifted else f"exclude {s.exclude}" if s.exclude is not None
                 else ", ".join(f"{name} {getattr(s, name):g}" for name in ("at_least", "at_most")
                                if getattr(s, name) is not None))
        found = self._win_sets(r)
        if found is None:
            return f"{s.issue}: {bound} (not read: no win-sets)"
        found[1].state(s, lifted=bool(s.lifted))
        return f"{s.issue}: {bound}"

    def _leader(self, ev: CompiledEvent, r: int, sign: int) -> str:
        """A new leader of a party's state: its red lines move one leader step (win-sets)."""
        found = self._win_sets(r)
        if found is None:
            return ""
        talks, win_sets = found
        party = np.flatnonzero(talks.parties_state == ev.state - r * self.n_states)
        if not party.size:
            return ""
        win_sets.leader(int(party[0]), sign)
        return f"; red lines {'relax' if sign > 0 else 'tighten'}"

    def _plugin(self, ev: CompiledEvent, r: int, tension: Tension, channels: Channels,
                hawkishness: np.ndarray, audience_cost: np.ndarray) -> tuple[str, str, int]:
        """Apply an event plug-in to replication ``r``: its World is the replication's block of
        every array, its Target in the scenario's own numbering; the engine's values stay in
        [0, 1]. The label, the detail, and how many of the replication's channels it moved."""
        assert ev.plugin is not None
        ns, nd, nch = self.n_states, self.n_dyads, self.n_channels
        states, dyads = slice(r * ns, (r + 1) * ns), slice(r * nd, (r + 1) * nd)
        own = slice(r * nch, (r + 1) * nch)
        before = channels.level[own].copy()
        world = World(tension.tension[dyads], tension.misperception[dyads], hawkishness[states],
                      audience_cost[states], _read_only(channels.level[own]),
                      _read_only(channels.ceiling[own]), self._channel_dyad,
                      _read_only(self.talks_blocked[dyads]), _Actions(self, channels, r))
        state = ev.state - r * ns if ev.state >= 0 else -1
        dyad = ev.dyad - r * nd if ev.dyad >= 0 else -1
        label = (self.state_ids[ev.state] if ev.state >= 0
                 else self.dyad_labels[ev.dyad] if ev.dyad >= 0 else "")
        reach = (np.array([dyad], dtype=np.int64) if dyad >= 0  # Target.dyads
                 else self._state_dyads[state] if state >= 0 else np.zeros(0, dtype=np.int64))
        target = Target(state, dyad, ev.channels - r * nch, label, reach)
        plugin = ev.plugin
        detail = run_plugin(plugin.info, lambda: plugin.event.apply(world, target, plugin.values))
        for values in (tension.tension, tension.misperception, hawkishness, audience_cost):
            np.clip(values, 0.0, 1.0, out=values)
        return label, str(detail), int(np.count_nonzero(channels.level[own] != before))


class _Actions:
    """The engine's side of an event plug-in's :class:`~diplosim.plugins.World` methods, for
    replication ``r`` (indices arrive in the scenario's numbering, checked)."""

    def __init__(self, timeline: Timeline, channels: Channels, r: int) -> None:
        self.timeline, self.channels = timeline, channels
        self.first_channel = r * timeline.n_channels
        self.first_dyad = r * timeline.n_dyads

    def set_level(self, channels: NDArray[np.int64], level: int) -> None:
        self.channels.set_level(channels + self.first_channel, level)

    def set_ceiling(self, channels: NDArray[np.int64], level: int) -> None:
        self.channels.set_ceiling(channels + self.first_channel, level)

    def block_talks(self, dyads: NDArray[np.int64], blocked: bool) -> None:
        for d in (dyads + self.first_dyad).tolist():
            self.timeline.talks_blocked[d] = blocked
            talks = self.timeline.talks.get(d)
            if talks is not None:
                talks.blocked = blocked


_CHANNELS_OR_SHOCK = frozenset(
    t.value for t in (EventType.SHOCK, EventType.SET_LEVEL, EventType.DOWNGRADE,
                      EventType.SET_CEILING, EventType.WIDEN_MANDATE))


def touches_states(entries: list[LogEntry]) -> bool:
    """Whether these applied events may have changed states' hawkishness or audience costs (a
    change of government, or an event plug-in): the model then recomputes what depends on
    them."""
    return any(e.type not in _CHANNELS_OR_SHOCK for e in entries)


def run_plugin[T](info: PluginInfo, call: Callable[[], T]) -> T:
    """``call()``, a plug-in's code: its failure is named (package, version), never a
    traceback."""
    try:
        return call()
    except InputError:
        raise
    except Exception as exc:
        raise InputError.single(f"the {info.label} failed: {type(exc).__name__}: {exc}",
                                source=info.package or info.value,
                                allowed="a fixed release of the package, or a scenario "
                                "without it") from None
