"""DiplomacyModel: a ``mesa.Model`` that coordinates the components of a run.

Each step: events -> tension -> channels -> communication -> (negotiation, transfer) -> record.
The model holds time, agents and components; rules live in the components (tension, channels,
network, events). It does no file I/O and no plotting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from diplosim.engine.agents import Actor, Government
from diplosim.engine.channels import Channels
from diplosim.engine.events import Timeline, touches_states
from diplosim.engine.network import Connectivity
from diplosim.engine.recorder import Recorder
from diplosim.engine.talks import Talks
from diplosim.engine.tension import Tension
from diplosim.engine.terms import PER_TERM, Terms, dyad_state
from diplosim.scenario import Scenario, load_scenario


class DiplomacyModel(mesa.Model):  # type: ignore[misc]
    """A multi-track diplomacy model built from a validated scenario.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        rng: seed or generator (NumPy ``SeedSequence``-compatible), passed to ``mesa.Model``.
            Same seed, same run.
        **overrides: dotted-path overrides of scenario fields, validated like the file
            (``DiplomacyModel(sc, rng=1, **{"channels.backchannel.close_threshold": 0.9})``);
            this is how ``mesa.batch_run`` parameters reach the scenario.
        collect: feed the Mesa ``DataCollector`` every step (on by default). Sweeps switch it
            off: their outcomes come from the model's own recorder arrays.
    """

    def __init__(self, scenario: Scenario | str | Path, *, rng: Any = None,
                 collect: bool = True, **overrides: Any) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if overrides:
            scenario = scenario.with_overrides(overrides)
        if isinstance(rng, np.random.SeedSequence):
            # A SeedSequence counts the children it has spawned; use a fresh copy so the same
            # seed object gives the same run however often it is reused.
            rng = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                         pool_size=rng.pool_size)
        super().__init__(rng=rng)
        self.diplomacy_scenario = scenario
        c = scenario.compiled
        spec = scenario.spec
        self.t = 0  # completed steps
        self.horizon = spec.steps
        self.hawkishness = c.hawkishness.copy()
        self.audience_cost = c.audience_cost.copy()
        self.n_dyads = len(c.dyad_labels)
        tension_rng, channel_rng, talks_rng = self.rng.spawn(3)
        # dynamics plug-ins draw from streams of their own, spawned after the engine's
        self.terms = Terms([c], [self.rng.spawn(PER_TERM * len(c.terms)) if c.terms else []],
                           self.n_dyads)
        self.tension = Tension(c.step.tension, c.tension0, c.baseline, c.misperception0,
                               self._dyad_hawkishness(), tension_rng)
        self.channels = Channels(c, spec.tension.audience_cost_weight, channel_rng)
        self.network = Connectivity(c, spec.metrics.min_access)
        self.talks = (Talks(c.negotiation, c, spec.metrics.min_access, talks_rng)
                      if c.negotiation is not None else None)
        if self.talks is not None:
            self.talks.carries = self.channels.carries  # the matters each channel carries
        if self.talks is not None and spec.start is not None:
            self.talks.calendar = (spec.start, spec.time_unit)  # the strategies' View.date
        self.timeline = Timeline(c.events, c.dyad_labels, c.state_ids, compiled=c,
                                 talks=[self.talks] if self.talks is not None else [])
        self.recorder = Recorder(spec.steps, self.n_dyads, c.tracked_dyads.size,
                                 len(c.kinds.names))
        self.governments = [Government(self, c, i) for i in range(len(c.state_ids))]
        self.actors = [Actor(self, c, i) for i in range(len(c.actor_ids))]
        self._had_mission = np.zeros(self.n_dyads, dtype=bool)
        self.flows = self.channels.flows(self.n_dyads)
        self.collect = collect
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "mean_tension": lambda m: float(m.tension.tension.mean()),
                "open_channels": lambda m: int(np.count_nonzero(m.channels.level)),
                "connected_dyads": lambda m: int(m.last_connected.sum()),
                "missions_closed": lambda m: int(m.last_mission_closed.sum()),
            }
        )
        self.recorder.record_levels(0, self.channels.level, self.channels.level)
        self._record()

    def _dyad_hawkishness(self) -> np.ndarray:
        c = self.diplomacy_scenario.compiled
        return 0.5 * (self.hawkishness[c.dyad_a] + self.hawkishness[c.dyad_b])

    def _record(self) -> None:
        at_formal = self.channels.missions_at_formal(self.n_dyads)
        self._had_mission |= at_formal
        self.last_mission_closed = self._had_mission & ~at_formal
        self.last_connected, redundancy = self.network.compute(self.channels.level)
        self.recorder.record(
            tension=self.tension.tension,
            misperception=self.tension.misperception,
            participant_misperception=self.tension.participant_misperception,
            flow=self.flows.communication,
            mission_closed=self.last_mission_closed,
            connected=self.last_connected,
            redundancy=redundancy,
            open_counts=self.channels.open_by_dyad_kind(self.n_dyads),
        )
        if self.collect:
            self.datacollector.collect(self)

    def step(self) -> None:
        """Advance one step: events, tension, channels, communication, negotiation, record."""
        t = self.t + 1
        before = self.channels.level.copy()
        entries = self.timeline.apply(t, self.tension, self.channels, self.hawkishness,
                                      self.audience_cost)
        if touches_states(entries):
            self.tension.hawkishness = self._dyad_hawkishness()
            self.channels.set_audience_costs(self.audience_cost)
        self.recorder.log.extend(entries)
        self.tension.step(self.flows, *self._term_changes(t))
        self.channels.step(self.tension.tension)
        self.flows = self.channels.flows(self.n_dyads)
        if self.talks is not None:
            self.recorder.log.extend(self.talks.step(t, self.tension,
                                                     self.channels.talk_levels()))
        self.recorder.record_levels(t, before, self.channels.level)
        self.t = t
        self._record()
        self.running = self.t < self.horizon

    def _term_changes(self, t: int) -> tuple[np.ndarray | float, np.ndarray | float]:
        """The dynamics plug-ins' changes of tension and misperception this step."""
        if not self.terms:
            return 0.0, 0.0
        talks = np.zeros(self.n_dyads, dtype=bool)
        agreement = np.zeros(self.n_dyads, dtype=bool)
        if self.talks is not None:
            talks[self.talks.dyad] = self.talks.session is not None
            agreement[self.talks.dyad] = self.talks.in_force is not None
        return self.terms.changes(dyad_state(t, self.diplomacy_scenario.compiled.step.years, 1,
                                             self.tension, self.flows.communication, talks,
                                             agreement))

    def run(self, steps: int | None = None) -> None:
        """Run to the scenario's horizon (or ``steps`` more steps)."""
        n = self.horizon - self.t if steps is None else steps
        for _ in range(max(n, 0)):
            self.step()
