"""The scenario's timeline: scheduled shocks, channel changes, changes of government and the
events of installed plug-ins (:class:`diplosim.plugins.Event`).

Events due at step t are applied at the start of step t, before tension and channels update, in
the order the scenario lists them. Each applied event adds a row to the event log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from diplosim.io.errors import InputError
from diplosim.plugins import PluginInfo, Target, World
from diplosim.scenario.compile import CompiledEvent
from diplosim.scenario.schema import ChannelTarget, EventType

if TYPE_CHECKING:
    from diplosim.engine.channels import Channels
    from diplosim.engine.tension import Tension


@dataclass(frozen=True)
class LogEntry:
    step: int
    type: str
    label: str
    target: str
    channels_affected: int
    detail: str
    when: dt.date | None = None  # a scheduled event's own date, when the scenario gives one


class Timeline:
    """Events grouped by step."""

    def __init__(self, events: tuple[CompiledEvent, ...], dyad_labels: tuple[str, ...],
                 state_ids: tuple[str, ...]) -> None:
        self.by_step: dict[int, list[CompiledEvent]] = defaultdict(list)
        for ev in events:
            self.by_step[ev.step].append(ev)
        self.dyad_labels = dyad_labels
        self.state_ids = state_ids
        self._targets: dict[int, str] = {}  # a channel target's text, by the target's id

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
        for ev in self.by_step.get(step, ()):
            s = ev.spec
            before = channels.level[ev.channels].copy()
            target = ""
            detail = ""
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
                    target, detail = self._plugin(ev, tension, channels, hawkishness,
                                                  audience_cost)
            if s.channels is not None:
                target = self._channel_target(s.channels)
            affected = int(np.count_nonzero(channels.level[ev.channels] != before))
            when = s.at if isinstance(s.at, dt.date) else None
            log.append(LogEntry(step, str(s.type), s.label, target, affected, detail, when))
        return log

    def _plugin(self, ev: CompiledEvent, tension: Tension, channels: Channels,
                hawkishness: np.ndarray, audience_cost: np.ndarray) -> tuple[str, str]:
        """Apply an event plug-in to its replication; the engine's values stay in [0, 1]."""
        assert ev.plugin is not None
        world = World(tension.tension, tension.misperception, hawkishness, audience_cost,
                      channels.level.copy())
        label = (self.state_ids[ev.state] if ev.state >= 0
                 else self.dyad_labels[ev.dyad] if ev.dyad >= 0 else "")
        target = Target(ev.state, ev.dyad, ev.channels, label)
        plugin = ev.plugin
        detail = run_plugin(plugin.info, lambda: plugin.event.apply(world, target, plugin.values))
        for values in (tension.tension, tension.misperception, hawkishness, audience_cost):
            np.clip(values, 0.0, 1.0, out=values)
        return label, str(detail)


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
