"""A noise-free scenario whose metrics are derived by hand.

Tension is flat at 0.3 except for two events: a shock of +0.6 at step 5 (T = 0.9) and -0.6 at
step 15 (T = 0.3). Every other term of the tension equation is switched off. Channels:

- the embassy (mission, closes above 0.8, reopens below 0.5) falls at step 5, is regained at 15;
- the back-channel via a facilitator (closes above 0.95) survives the shock, but an event closes
  it at step 10; it reopens at 15 (T = 0.3 < 0.5);
- a Track 2 workshop between academics stays open throughout, but their access (0.3) is below
  metrics.min_access (0.5), so it never connects the governments.

Hence, over steps 0..20:
    mission_closed = 1 for steps 5..14 (10 steps)
    connected      = 1 for 0..9, 0 for 10..14, 1 for 15..20
    redundancy     = 2 for 0..4 (embassy + back-channel), 1 for 5..9, 0 for 10..14, 2 for 15..20
    continuity_during_closure = 5 / 10 = 0.5
    mean_redundancy = (5*2 + 5*1 + 5*0 + 6*2) / 21 = 27/21
    mean_redundancy_during_closure = (5*1 + 5*0) / 10 = 0.5
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from diplosim.results.tables import RunResult, simulate
from diplosim.scenario import scenario_from_text

SCENARIO = """
name: deterministic_closure
steps: 20
states:
  - {id: A}
  - {id: B}
actors:
  list:
    - {id: a_dip, state: A, kind: diplomat, tracks: ["1"], access: 1.0}
    - {id: b_dip, state: B, kind: diplomat, tracks: ["1"], access: 1.0}
    - {id: a_env, state: A, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: b_env, state: B, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: a_acad, state: A, kind: academic, tracks: ["2"], access: 0.3}
    - {id: b_acad, state: B, kind: academic, tracks: ["2"], access: 0.3}
    - {id: fac, state: null, kind: facilitator, tracks: ["1"]}
channels:
  embassy:
    track: "1"
    mission: true
    ladder: [closed, embassy]
    close_threshold: 0.8
    reopen_threshold: 0.5
    links: [{id: emb, between: [a_dip, b_dip]}]
  backchannel:
    track: "1"
    ladder: [closed, open]
    close_threshold: 0.95
    reopen_threshold: 0.5
    links: [{id: back, between: [a_env, b_env], via: fac}]
  workshop:
    track: "2"
    close_threshold: 0.99
    reopen_threshold: 0.5
    links: [{id: ws, between: [a_acad, b_acad]}]
tension:
  initial: 0.3
  baseline: 0.3
  drift: 0.0
  escalation: 0.0
  deescalation: 0.0
  noise: 0.0
  audience_cost_weight: 0.0
  misperception: {initial: 0.2, growth: 0.0, learning: 0.0}
events:
  - {at: 5, type: shock, dyad: [A, B], magnitude: 0.6}
  - {at: 10, type: set_level, channels: {ids: [back]}, level: 0, label: envoy recalled}
  - {at: 15, type: shock, dyad: [A, B], magnitude: -0.6}
metrics:
  min_access: 0.5
"""


def steps_where(values: pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(values.to_numpy())]


@pytest.fixture(scope="module")
def result() -> RunResult:
    return simulate(scenario_from_text(SCENARIO, "deterministic.yaml"), rng=1)


def test_tension_follows_the_shocks(result: RunResult) -> None:
    t = result.dyads.tension.to_numpy()
    assert t[:5] == pytest.approx(0.3, abs=1e-12)
    assert t[5:15] == pytest.approx(0.9, abs=1e-12)
    assert t[15:] == pytest.approx(0.3, abs=1e-12)


def test_mission_closed_steps(result: RunResult) -> None:
    assert steps_where(result.dyads.mission_closed) == list(range(5, 15))


def test_connected_and_redundancy(result: RunResult) -> None:
    d = result.dyads
    assert steps_where(d.connected) == [*range(10), *range(15, 21)]
    expected = [2] * 5 + [1] * 5 + [0] * 5 + [2] * 6
    assert d.redundancy.astype(int).tolist() == expected


def test_summary_values(result: RunResult) -> None:
    s = result.summary.iloc[0]
    assert s.dyad == "A-B"
    assert s.first_mission_closure == 5
    assert s.mission_reopened == 15
    assert s.closure_steps == 10
    assert s.continuity_during_closure == pytest.approx(0.5, abs=1e-12)
    assert s.mean_redundancy == pytest.approx(27 / 21, abs=1e-12)
    assert s.mean_redundancy_during_closure == pytest.approx(0.5, abs=1e-12)
    assert s.open_at_end_embassy == 1
    assert s.open_at_end_backchannel == 1
    assert s.open_at_end_workshop == 1


def test_spells(result: RunResult) -> None:
    sp = result.spells.set_index(["channel", "spell"])
    assert sp.loc[("emb", 1), "opened"] == 0
    assert sp.loc[("emb", 1), "closed"] == 5
    assert sp.loc[("emb", 2), "opened"] == 15
    assert bool(sp.loc[("emb", 2), "censored"])
    assert sp.loc[("back", 1), "closed"] == 10
    assert sp.loc[("back", 1), "closed_since_closure"] == 5
    assert bool(sp.loc[("back", 1), "open_at_closure"])
    assert not bool(sp.loc[("back", 2), "open_at_closure"])
    assert sp.loc[("back", 2), "opened_since_closure"] == 10
    assert math.isnan(sp.loc[("ws", 1), "closed"])
    assert sp.loc[("ws", 1), "duration"] == 20
    assert len(sp) == 5


def test_open_channels_by_track(result: RunResult) -> None:
    oc = result.open_channels
    track1 = oc[(oc.by == "track") & (oc.group == "1")].open_channels.tolist()
    assert track1 == [2] * 5 + [1] * 5 + [0] * 5 + [2] * 6
    track2 = oc[(oc.by == "track") & (oc.group == "2")].open_channels.tolist()
    assert track2 == [1] * 21


def test_event_log(result: RunResult) -> None:
    ev = result.events
    assert ev.step.tolist() == [5, 10, 15]
    assert ev.type.tolist() == ["shock", "set_level", "shock"]
    assert ev.channels_affected.tolist() == [0, 1, 0]


def test_seed_does_not_matter_without_noise() -> None:
    sc = scenario_from_text(SCENARIO, "deterministic.yaml")
    a, b = simulate(sc, rng=1), simulate(sc, rng=2)
    pd.testing.assert_frame_equal(a.dyads, b.dyads)
