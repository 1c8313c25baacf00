"""The core's components one at a time: compile, channels, tension, network, events, files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from diplosim.engine.channels import Channels
from diplosim.engine.model import DiplomacyModel
from diplosim.engine.network import Connectivity
from diplosim.io.errors import InputError
from diplosim.io.outputs import write_csv
from diplosim.io.overrides import apply_overrides, parse_assignment
from diplosim.io.yamlio import parse_yaml
from diplosim.results import runset
from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.runset import combine, read_runset, write_runset
from diplosim.results.tables import TABLES, simulate
from diplosim.scenario import load_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

def head(steps: int, states: str = "[{id: A}, {id: B}]") -> str:
    return f"name: unit\nsteps: {steps}\nstates: {states}\n"


def actors(*rows: str) -> str:
    return "actors:\n  list:\n" + "".join(f"    - {{{r}}}\n" for r in rows)


# --- scenario compile: rules expand deterministically ------------------------------------------

RULES = """\
name: rules
steps: 5
states: [{id: A}, {id: B}, {id: C}, {id: D}]
actors:
  list:
    - {id: fac, state: null, kind: facilitator, tracks: ["1"]}
  generate:
    - {kind: dip, tracks: ["1"], count: 3, access: 0.9}
    - {states: [A, B], kind: acad, tracks: ["2"], count: 2, access: 0.3}
channels:
  line:
    track: "1"
    generate:
      - {from: {kind: dip}, to: {kind: dip}, count: 4}
  workshop:
    track: "2"
    generate:
      - {dyads: [[A, B]], from: {kind: acad}, to: {kind: acad}, count: 5, via: fac}
"""


def test_rules_generate_actors_and_channels_in_a_fixed_order() -> None:
    c = scenario_from_text(RULES, "rules.yaml").compiled
    assert len(c.actor_ids) == 1 + 4 * 3 + 2 * 2
    assert c.actor_ids[1:4] == ("A_dip_1", "A_dip_2", "A_dip_3")
    assert c.actor_ids[-2:] == ("B_acad_1", "B_acad_2")
    assert c.n_channels == 6 * 4 + 5  # 6 dyads x 4 lines, one dyad x 5 workshops
    assert len(c.dyad_labels) == 6
    ends = [(c.actor_ids[a], c.actor_ids[b]) for a, b in zip(c.channel_a, c.channel_b,
                                                               strict=True)]
    # round-robin over the matching actors of each side
    assert c.channel_ids[:4] == tuple(f"line_A_B_1_{n}" for n in range(1, 5))
    assert ends[:4] == [("A_dip_1", "B_dip_1"), ("A_dip_2", "B_dip_2"),
                        ("A_dip_3", "B_dip_3"), ("A_dip_1", "B_dip_1")]
    workshops = [i for i, cid in enumerate(c.channel_ids) if cid.startswith("workshop")]
    assert [ends[i] for i in workshops][:3] == [("A_acad_1", "B_acad_1"),
                                                 ("A_acad_2", "B_acad_2"),
                                                 ("A_acad_1", "B_acad_1")]
    assert {c.actor_ids[v] for v in c.channel_via[workshops]} == {"fac"}
    assert set(c.channel_via[c.channel_kind == 0]) == {-1}
    assert np.bincount(c.channel_dyad).tolist() == [4 + 5, 4, 4, 4, 4, 4]


def test_a_selector_by_id_picks_that_actor_only() -> None:
    text = RULES.replace("- {from: {kind: dip}, to: {kind: dip}, count: 4}",
                         "- {dyads: [[A, B]], from: {id: A_dip_2}, to: {kind: dip}, count: 3}")
    c = scenario_from_text(text, "rules.yaml").compiled
    lines = np.flatnonzero(c.channel_kind == 0)
    assert [c.actor_ids[a] for a in c.channel_a[lines]] == ["A_dip_2"] * 3
    assert [c.actor_ids[b] for b in c.channel_b[lines]] == ["B_dip_1", "B_dip_2", "B_dip_3"]


def test_library_scenarios_compile_to_the_documented_sizes() -> None:
    flagship = load_scenario(SCENARIOS / "mission_closure.yaml").compiled
    assert len(flagship.actor_ids) == 10 + 2 * (2 + 3 + 2)
    assert flagship.n_channels == 2 + 1 + 1 + 2 + (3 + 2)
    multi = load_scenario(SCENARIOS / "expulsions_multistate.yaml").compiled
    assert len(multi.actor_ids) == 1 + 6 * (2 + 1 + 2)
    assert multi.n_channels == 5 * 2 + 2 + 1 + 15
    assert multi.tracked_dyads.size == 5


def _generate_large() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_large", ROOT / "benchmarks" / "generate_large.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_scenario_is_small_as_a_file_and_large_once_compiled(
        tmp_path: Path) -> None:
    import yaml

    doc = _generate_large().large_scenario(50, "all", 0.75)
    path = tmp_path / "large.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert len(path.read_text().splitlines()) < 400
    c = load_scenario(path).compiled
    assert (len(c.state_ids), len(c.actor_ids), len(c.dyad_labels)) == (50, 5000, 1225)
    assert c.n_channels == 1225 * (2 + 10 + 29) == 50_225


# --- channels: the ladder under deterministic thresholds -----------------------------------------

LADDER = head(10) + actors(
    "id: a, state: A, kind: d, tracks: ['1'], access: 1.0",
    "id: b, state: B, kind: d, tracks: ['1'], access: 1.0",
) + """\
channels:
  mission:
    track: "1"
    mission: true
    ladder: [closed, low, mid, top]
    close_threshold: [0.9, 0.8, 0.7]
    reopen_threshold: [0.5, 0.4, 0.3]
    links: [{id: m, between: [a, b]}]
tension: {audience_cost_weight: 0.0}
"""


def ladder_channels(text: str = LADDER) -> Channels:
    c = scenario_from_text(text, "ladder.yaml").compiled
    return Channels(c, 0.0, np.random.default_rng(0))


@pytest.mark.parametrize(("path", "levels"), [
    # falls one level a step while tension is above the level's close threshold
    ([0.95, 0.95, 0.95, 0.95], [2, 1, 0, 0]),
    # 0.75 is above close[3] = 0.7 but below close[2] = 0.8: one level down, then it holds
    ([0.75, 0.75, 0.75], [2, 2, 2]),
    # at exactly a threshold nothing moves (strict inequalities)
    ([0.7, 0.7], [3, 3]),
    # hysteresis: down to 1 at 0.85; 0.45 is below close but above reopen[2] = 0.4: holds;
    # 0.35 regains level 2 only (reopen[3] = 0.3); 0.2 regains the top
    ([0.85, 0.85, 0.45, 0.45, 0.35, 0.35, 0.2, 0.2], [2, 1, 1, 1, 2, 2, 3, 3]),
])
def test_deterministic_ladder_moves(path: list[float], levels: list[float]) -> None:
    ch = ladder_channels()
    seen = []
    for t in path:
        ch.step(np.array([t]))
        seen.append(int(ch.level[0]))
    assert seen == levels


def test_a_closed_channel_reopens_only_below_the_reopen_threshold_and_up_to_its_ceiling() -> None:
    ch = ladder_channels(LADDER.replace("between: [a, b]}", "between: [a, b], level: 0, "
                                       "max_level: 2}"))
    assert (int(ch.level[0]), int(ch.ceiling[0])) == (0, 2)
    seen = []
    for t in (0.55, 0.5, 0.49, 0.1, 0.1, 0.1):
        ch.step(np.array([t]))
        seen.append(int(ch.level[0]))
    assert seen == [0, 0, 1, 2, 2, 2]


def test_audience_costs_shift_public_channels_but_not_secret_ones() -> None:
    text = (head(5, "[{id: A, audience_cost: 1.0}, {id: B, audience_cost: 0.6}]")
            + actors("id: a, state: A, kind: d, tracks: ['1']",
                     "id: b, state: B, kind: d, tracks: ['1']")
            + """\
channels:
  public: {track: "1", close_threshold: 0.8, links: [{id: p, between: [a, b]}]}
  secret: {track: "1", close_threshold: 0.8, secrecy: 1.0, links: [{id: s, between: [a, b]}]}
""")
    c = scenario_from_text(text, "ac.yaml").compiled
    ch = Channels(c, 0.25, np.random.default_rng(0))
    assert ch.shift.tolist() == pytest.approx([0.25 * 0.8, 0.0])
    ch.step(np.array([0.7]))  # public: 0.7 + 0.2 = 0.9 > 0.8 closes; secret: 0.7 holds
    assert ch.level.tolist() == [0, 1]


def test_noisy_channels_fall_with_the_probit_hazard() -> None:
    text = head(5) + """\
actors:
  generate: [{kind: d, tracks: ["1"], count: 1}]
channels:
  line:
    track: "1"
    close_threshold: 0.8
    noise: 0.1
    generate: [{from: {kind: d}, to: {kind: d}, count: 20000}]
"""
    c = scenario_from_text(text, "noisy.yaml").compiled
    ch = Channels(c, 0.0, np.random.default_rng(7))
    ch.step(np.array([0.75]))
    expected = ndtr((0.75 - 0.8) / 0.1)  # about 0.31
    fell = float(np.mean(ch.level == 0))
    assert fell == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / 20000))


def calendar(text: str, unit: str = "quarter") -> str:
    """The scenario ``text`` with rates per year in steps of ``unit``."""
    return text.replace("name: unit\n", f"name: unit\ntime_unit: {unit}\nstart: 2000-01-01\n"
                        "rates: per_year\n", 1)


def test_in_calendar_time_a_deterministic_channel_falls_as_far_as_its_thresholds_allow() -> None:
    """noise 0 is an infinite hazard above a threshold: the fall takes no time, so a quarter
    goes as far as thresholds allow (per step: one level a step, as above)."""
    ch = ladder_channels(calendar(LADDER))
    seen = []
    for t in (0.85, 0.85, 0.95, 0.2):
        ch.step(np.array([t]))
        seen.append(int(ch.level[0]))
    # 0.85 is above close[3] = 0.7 and close[2] = 0.8, below close[1] = 0.9; 0.95 closes; at 0.2
    # every reopen threshold is passed: back to the top in one step
    assert seen == [1, 1, 0, 3]


@pytest.mark.parametrize("unit", ["month", "quarter"])
def test_in_calendar_time_moves_within_a_step_follow_the_poisson_law(unit: str) -> None:
    """Equal close thresholds (excess e at every level): a constant per-year hazard
    lambda = -log(1 - Phi(e / noise)), so the levels lost in a step of dt years are Poisson(lambda
    dt), cut at the ladder's three levels. Closed form against 20,000 channels."""
    text = calendar(head(5), unit) + """\
actors:
  generate: [{kind: d, tracks: ["1"], count: 1}]
channels:
  line:
    track: "1"
    ladder: [closed, low, mid, top]
    close_threshold: [0.6, 0.6, 0.6]
    reopen_threshold: [0.1, 0.1, 0.1]
    noise: 0.1
    generate: [{from: {kind: d}, to: {kind: d}, count: 20000}]
"""
    c = scenario_from_text(text, "poisson.yaml").compiled
    ch = Channels(c, 0.0, np.random.default_rng(11))
    ch.step(np.array([0.65]))
    rate = -np.log1p(-ndtr((0.65 - 0.6) / 0.1)) * c.step.years
    poisson = np.exp(-rate) * np.array([1, rate, rate**2 / 2])
    expected = [*poisson, 1 - poisson.sum()]  # 0, 1, 2 and 3 levels lost
    lost = 3 - ch.level
    for k, p in enumerate(expected):
        share = float(np.mean(lost == k))
        assert share == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / 20000) + 1e-9), k


# --- events on channels and governments -------------------------------------------------------

EVENTS = head(14) + actors(
    "id: a, state: A, kind: d, tracks: ['1'], access: 1.0",
    "id: b, state: B, kind: d, tracks: ['1'], access: 1.0",
) + """\
channels:
  mission:
    track: "1"
    mission: true
    ladder: [closed, interests, charge, embassy]
    close_threshold: 0.95
    reopen_threshold: 0.5
    links: [{id: m, between: [a, b]}]
  talks:
    track: "1"
    close_threshold: 0.95
    reopen_threshold: 0.5
    links: [{id: t, between: [a, b], level: 0, max_level: 1}]
tension: {initial: 0.7, baseline: 0.7, drift: 0.0, escalation: 0.0, deescalation: 0.0,
          audience_cost_weight: 0.0, misperception: {growth: 0.0, learning: 0.0}}
events:
  - {at: 2, type: downgrade, channels: {kind: mission}, by: 2, label: expulsions}
  - {at: 4, type: set_level, channels: {ids: [m]}, level: 0, label: rupture}
  - {at: 5, type: set_level, channels: {track: "1"}, level: 3, label: reopen all}
  - {at: 7, type: set_ceiling, channels: {kind: mission}, level: 0, label: ban}
  - {at: 9, type: shock, dyad: [A, B], magnitude: -0.5, label: thaw}
  - {at: 11, type: set_ceiling, channels: {kind: mission}, level: 2, label: ban lifted}
"""


def test_events_close_downgrade_open_and_cap_channels() -> None:
    res = simulate(scenario_from_text(EVENTS, "ev.yaml"), rng=0)
    lc = res.level_changes
    history = {ch: lc[lc.channel == ch][["step", "level"]].to_numpy().tolist()
               for ch in ("m", "t")}
    # tension 0.7 sits in the hysteresis band: only events move levels until the thaw (0.2)
    assert history["m"] == [[0, 3], [2, 1], [4, 0], [5, 3], [7, 0], [11, 1], [12, 2]]
    # set_level 3 is capped by the talks' ceiling (1); the thaw cannot lift it higher
    assert history["t"] == [[0, 0], [5, 1]]
    log = res.events
    assert log["step"].tolist() == [2, 4, 5, 7, 9, 11]
    assert log["channels_affected"].tolist() == [1, 1, 2, 1, 0, 0]
    assert log.loc[log.label == "thaw", "detail"].item() == "tension -0.5 -> 0.200"
    assert log.loc[log.label == "expulsions", "target"].item() == "kind=mission"
    closed = res.dyads["mission_closed"].tolist()
    assert closed == [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]  # formal level = top (3)


def test_change_of_government_moves_hawkishness_and_audience_costs() -> None:
    text = EVENTS.replace("  - {at: 2,", "  - {at: 3, type: change_government, state: A, "
                          "hawkishness: 0.9, audience_cost: 0.1, label: new}\n  - {at: 2,")
    model = DiplomacyModel(scenario_from_text(text, "ev.yaml"), rng=0)
    model.run(2)
    assert model.tension.hawkishness.tolist() == [0.5]
    model.step()
    assert model.hawkishness.tolist() == [0.9, 0.5]
    assert model.tension.hawkishness.tolist() == pytest.approx([0.7])
    assert model.audience_cost.tolist() == [0.1, 0.5]
    assert model.governments[0].hawkishness == 0.9
    assert model.recorder.log[-1].detail == "hawkishness 0.9, audience_cost 0.1"


def test_events_of_one_step_apply_in_file_order_and_the_log_is_in_step_order() -> None:
    text = EVENTS.replace("  - {at: 2,", "  - {at: 9, type: shock, dyad: [A, B], magnitude: 0.6,"
                          " label: first}\n  - {at: 2,")
    res = simulate(scenario_from_text(text, "ev.yaml"), rng=0)
    at9 = res.events[res.events.step == 9]
    assert at9["label"].tolist() == ["first", "thaw"]
    assert at9["detail"].tolist() == ["tension +0.6 -> 1.000", "tension -0.5 -> 0.500"]
    assert res.events["step"].is_monotonic_increasing


def test_shortening_a_run_drops_the_events_after_its_end_but_not_bad_events() -> None:
    flagship = SCENARIOS / "mission_closure.yaml"
    short = load_scenario(flagship, {"steps": 40})
    res = simulate(short, rng=1)
    assert res.events["step"].max() <= 40
    assert len(res.dyads) == 41
    with pytest.raises(InputError, match=r"events\.7\.at: event at step 200 is after the last "
                       r"step \(set by --set\)"):
        load_scenario(flagship, {"steps": 40, "events.7.at": 200})


# --- tension: the equation of docs/model.md, step by step ---------------------------------------

TENSION = head(5, "[{id: A, hawkishness: 0.4}, {id: B, hawkishness: 0.8}]") + actors(
    "id: a, state: A, kind: d, tracks: ['1'], access: 1.0, openness: 0.3",
    "id: b, state: B, kind: d, tracks: ['1'], access: 0.6, openness: 0.7",
    "id: x, state: A, kind: ac, tracks: ['2'], access: 0.2, openness: 0.9",
    "id: y, state: B, kind: ac, tracks: ['2'], access: 0.4, openness: 0.9",
) + """\
channels:
  embassy:
    track: "1"
    close_threshold: 0.9
    reopen_threshold: 0.1
    capacity: 1.0
    tension_effect: 1.5
    perception_effect: 0.5
    links: [{id: e, between: [a, b]}]
  workshop:
    track: "2"
    close_threshold: 0.95
    reopen_threshold: 0.1
    capacity: 0.5
    tension_effect: 0.2
    perception_effect: 2.0
    links: [{id: w, between: [x, y]}]
tension:
  initial: 0.6
  baseline: 0.2
  drift: 0.1
  escalation: 0.3
  deescalation: 0.4
  half_saturation: 2.0
  audience_cost_weight: 0.0
  misperception: {initial: 0.5, growth: 0.1, learning: 0.2, transfer: 0.3}
"""


def test_tension_and_misperception_follow_the_closed_form() -> None:
    model = DiplomacyModel(scenario_from_text(TENSION, "t.yaml"), rng=0)
    h, hawk = 2.0, 0.6
    access_e, access_w = 0.8, 0.3  # mean access of each channel's two ends
    open_e, open_w = 0.5, 0.9
    k = 1.0 * 1.5 * access_e + 0.5 * 0.2 * access_w        # communication reaching governments
    o = 1.0 * 0.5 * access_e                               # official (Track 1) contact
    p_contact = 1.0 * 0.5 * open_e + 0.5 * 2.0 * open_w     # participants' contact
    x = 0.5 * access_w                                     # transfer flow (Track 2)
    flows = model.flows
    assert (flows.communication[0], flows.official_contact[0], flows.participant_contact[0],
            flows.transfer[0]) == pytest.approx((k, o, p_contact, x), abs=1e-15)
    t, m, p = 0.6, 0.5, 0.5
    for _ in range(4):
        t_next = t + 0.1 * (0.2 - t) + 0.3 * hawk * m * (1 - t) - 0.4 * k / (k + h) * t
        p_next = p + 0.1 * t * (1 - p) - 0.2 * p_contact / (p_contact + h) * p
        m_next = (m + 0.1 * t * (1 - m) - 0.2 * o / (o + h) * m
                  - 0.3 * x / (x + h) * max(m - p, 0.0))
        t, m, p = t_next, m_next, p_next
        model.step()
        assert model.tension.tension[0] == pytest.approx(t, abs=1e-14)
        assert model.tension.misperception[0] == pytest.approx(m, abs=1e-14)
        assert model.tension.participant_misperception[0] == pytest.approx(p, abs=1e-14)
    assert m > p  # the transfer term was active in the later steps


def test_communication_lowers_tension_and_shocks_are_clipped() -> None:
    quiet_closed = TENSION.replace("{id: e, between: [a, b]}",
                                   "{id: e, between: [a, b], level: 0, max_level: 0}")
    text = quiet_closed.replace("links: [{id: w, between: [x, y]}]",
                                "links: [{id: w, between: [x, y], level: 0, max_level: 0}]")
    silent = DiplomacyModel(scenario_from_text(text, "t.yaml"), rng=0)
    talking = DiplomacyModel(scenario_from_text(TENSION, "t.yaml"), rng=0)
    silent.step()
    talking.step()
    assert silent.flows.communication[0] == 0.0
    assert talking.tension.tension[0] < silent.tension.tension[0]
    tension = silent.tension
    tension.shock(0, 5.0)
    assert tension.tension[0] == 1.0
    tension.shock(0, -5.0)
    assert tension.tension[0] == 0.0


# --- network: connected and redundancy on small graphs -----------------------------------------

def network(rows: list[str], links: list[str], states: str = "[{id: A}, {id: B}]") -> list[int]:
    text = (f"name: net\nsteps: 3\nstates: {states}\n"
            + actors(*rows)
            + "channels:\n  line:\n    track: '1'\n    links:\n"
            + "".join(f"      - {{{link}}}\n" for link in links)
            + "metrics: {min_access: 0.5}\n")
    c = scenario_from_text(text, "net.yaml").compiled
    connected, redundancy = Connectivity(c, 0.5).compute(c.level0)
    return [int(v) for pair in zip(connected, redundancy, strict=True) for v in pair]


def actor(name: str, state: str | None, access: float = 1.0) -> str:
    return f"id: {name}, state: {state or 'null'}, kind: k, tracks: ['1'], access: {access}"


def test_access_links_cannot_be_cut() -> None:
    # one diplomat of A with three channels: 3 channels must close to disconnect the
    # governments; its own access link is not a cut
    rows = [actor("a1", "A"), actor("b1", "B"), actor("b2", "B"), actor("b3", "B")]
    links = ["between: [a1, b1]", "between: [a1, b2]", "between: [a1, b3]"]
    assert network(rows, links) == [1, 3]


def test_parallel_and_via_channels_each_count_once() -> None:
    rows = [actor("a1", "A"), actor("b1", "B"), actor("fac", None, 0.0)]
    links = ["between: [a1, b1]", "between: [a1, b1]", "between: [a1, b1], via: fac",
             "between: [a1, b1], via: fac"]
    assert network(rows, links) == [1, 4]


def test_actors_without_access_do_not_connect_their_government() -> None:
    rows = [actor("a1", "A"), actor("b1", "B", access=0.4), actor("b2", "B", access=0.5)]
    assert network(rows, ["between: [a1, b1]"]) == [0, 0]
    assert network(rows, ["between: [a1, b1]", "between: [a1, b2]"]) == [1, 1]


def test_a_relay_through_an_actor_without_access() -> None:
    # b1 has no access: A reaches B only through b1 then a2's channel to b2 ... which is A's
    # own diplomat, so no path; adding b1 -> a chain to B's government connects once.
    rows = [actor("a1", "A"), actor("a2", "A", 0.1), actor("b1", "B", 0.1), actor("b2", "B")]
    assert network(rows, ["between: [a1, b1]", "between: [a2, b1]"]) == [0, 0]
    assert network(rows, ["between: [a1, b1]", "between: [a2, b1]", "between: [a2, b2]"]) == [1, 1]


def test_a_third_state_carries_a_path_between_two_governments() -> None:
    rows = [actor("a1", "A"), actor("b1", "B"), actor("c1", "C"), actor("c2", "C")]
    links = ["between: [a1, c1]", "between: [c2, b1]", "between: [a1, c2]"]
    states = "[{id: A}, {id: B}, {id: C}]"
    # dyads A-B, A-C, B-C: A-B goes through C's government (cut: the single c2-b1 channel)
    assert network(rows, links, states) == [1, 1, 1, 2, 1, 1]


def test_connectivity_reuses_its_answer_only_while_the_open_set_is_unchanged() -> None:
    rows = [actor("a1", "A"), actor("b1", "B"), actor("b2", "B")]
    text = ("name: net\nsteps: 3\nstates: [{id: A}, {id: B}]\n" + actors(*rows)
            + "channels:\n  line:\n    track: '1'\n    links:\n"
            "      - {between: [a1, b1]}\n      - {between: [a1, b2]}\n")
    c = scenario_from_text(text, "net.yaml").compiled
    conn = Connectivity(c, 0.5)
    assert conn.compute(np.array([1, 1]))[1].tolist() == [2]
    assert conn.compute(np.array([1, 1]))[1].tolist() == [2]
    assert conn.compute(np.array([0, 1]))[1].tolist() == [1]
    assert conn.compute(np.array([0, 0]))[0].tolist() == [0]


# --- YAML, overrides, replication seeds --------------------------------------------------------

def test_yaml_lines_in_flow_style_and_nested_lists() -> None:
    doc = parse_yaml("a: [{b: 1}, {c: [x, {d: 2}]}]\ne:\n  - - 1\n    - 2\n", "t.yaml")
    assert doc.line_of("a.1.c.1.d") == 1
    assert doc.line_of("e.0.1") == 4
    assert doc.line_of("") == 1
    assert doc.line_of("zzz") == 1  # the nearest ancestor: the document


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system",
                                 "!!python/object/apply:os.system", "!custom", "!!binary"])
def test_yaml_tags_beyond_plain_data_are_refused(tag: str) -> None:
    with pytest.raises(InputError, match="is not allowed") as info:
        parse_yaml(f"a:\n  b: {tag} x\n", "t.yaml")
    assert "t.yaml, line 2: a.b:" in str(info.value)


def test_plain_explicit_tags_are_data() -> None:
    assert parse_yaml("a: !!str 5\nb: !!float 1\n", "t.yaml").data == {"a": "5", "b": 1.0}


def test_parse_assignment_edge_cases() -> None:
    assert parse_assignment(" a.b = 0.5") == ("a.b", 0.5)
    assert parse_assignment("a=b=c") == ("a", "b=c")
    assert parse_assignment("a=[1,") == ("a", "[1,")  # not YAML: kept as text for the schema
    assert parse_assignment("a=null") == ("a", None)
    assert parse_assignment("a={x: 1}") == ("a", {"x": 1})
    with pytest.raises(InputError, match="--set"):
        parse_assignment("=3")


def test_apply_overrides_integer_keys_none_parents_and_bad_indices() -> None:
    doc: dict[str, Any] = {"m": {1: "a"}, "opt": None, "l": []}
    out = apply_overrides(doc, {"m.1": "b", "opt.x": 2})
    assert out["m"] == {1: "b"}
    assert out["opt"] == {"x": 2}
    with pytest.raises(InputError, match=r"no list item '-1'"):
        apply_overrides({"l": [1]}, {"l.-1": 0})
    with pytest.raises(InputError, match=r"\(empty list\)"):
        apply_overrides(doc, {"l.0": 0})


def test_overrides_given_to_the_model_reach_the_scenario() -> None:
    model = DiplomacyModel(SCENARIOS / "mission_closure.yaml", rng=1,
                           **{"tension.noise": 0.0, "channels.hotline.close_threshold": 0.7})
    spec = model.diplomacy_scenario.spec
    assert spec.tension.noise == 0.0
    assert spec.channels["hotline"].close_threshold == 0.7
    assert model.diplomacy_scenario.overrides == {"tension.noise": 0.0,
                                                  "channels.hotline.close_threshold": 0.7}


def test_a_model_can_run_past_its_horizon() -> None:
    model = DiplomacyModel(SCENARIOS / "mission_closure.yaml", rng=1, steps=3)
    model.run(8)
    assert model.recorder.n == 9
    assert not model.running


def test_replication_seeds_give_distinct_runs() -> None:
    sc = load_scenario(SCENARIOS / "mission_closure.yaml", {"steps": 30})
    seeds = replication_seeds(7, 3)
    tensions = [simulate(sc, rng=s).dyads["tension"].to_numpy() for s in seeds]
    assert not np.array_equal(tensions[0], tensions[1])
    assert not np.array_equal(tensions[1], tensions[2])
    assert [seed_label(s) for s in seeds] == ["7/0", "7/1", "7/2"]
    assert np.array_equal(tensions[2], simulate(sc, rng=seeds[2]).dyads["tension"].to_numpy())


# --- results folders ---------------------------------------------------------------------------

def test_a_results_folder_reads_back_equal(tmp_path: Path) -> None:
    sc = load_scenario(SCENARIOS / "mission_closure.yaml", {"steps": 60})
    seeds = replication_seeds(3, 2)
    labels = [seed_label(s) for s in seeds]
    tables = combine([simulate(sc, rng=s) for s in seeds], labels)
    assert set(TABLES) | {"channels", "actors"} == set(tables)
    back = read_runset(write_runset(tmp_path / "res", tables, {"scenario": {"name": sc.name}}))
    for name, df in tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_dtype=not df.empty)
    assert back.scenario_name == "mission_closure"
    assert back.provenance == {"format": "diplosim/1", "kind": "run",
                               "scenario": {"name": "mission_closure"}}


def test_a_failed_write_leaves_no_folder_and_no_temporary_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = runset.write_csv

    def fail_on_second(table: pd.DataFrame, path: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        original(table, path)

    monkeypatch.setattr(runset, "write_csv", fail_on_second)
    tables = {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [2]})}
    with pytest.raises(OSError, match="disk full"):
        write_runset(tmp_path / "res", tables, {})
    assert list(tmp_path.iterdir()) == []


def test_csv_copies_read_back_as_the_tables_they_copy(tmp_path: Path) -> None:
    table = pd.DataFrame({
        "replication": [0, 1, 2], "seed": ["1961/0", "1961/1", 'a "quoted", text'],
        "date": pd.to_datetime(["1960-12-01", "1961-01-01", "1961-02-01"]),
        "tension": [0.525, 1.0, float("nan")], "agreed": [True, False, True]})
    write_csv(table, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text().splitlines()[1].startswith('0,"1961/0",1960-12-01,')
    back = pd.read_csv(tmp_path / "t.csv", parse_dates=["date"])
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    mixed = pd.DataFrame({"deal": [{"a": 1}, None]})  # Arrow cannot hold it: pandas writes it
    write_csv(mixed, tmp_path / "m.csv")
    assert pd.read_csv(tmp_path / "m.csv")["deal"].tolist()[0] == "{'a': 1}"


def test_a_results_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "res").write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        write_runset(tmp_path / "res", {"a": pd.DataFrame({"x": [1]})}, {})
    with pytest.raises(InputError, match="no such results folder"):
        read_runset(tmp_path / "nothing")


def random_multistate(seed: int) -> str:
    rng = np.random.default_rng(seed)
    states = ["A", "B", "C", "D"]
    rows, links = [], []
    for s in states:
        for i in range(3):
            rows.append(actor(f"{s}{i}", s, float(rng.choice([1.0, 0.2]))))
    rows.append(actor("third", None, 0.0))
    for k in range(int(rng.integers(6, 24))):
        sa, sb = rng.choice(4, size=2, replace=False)
        a, b = f"{states[sa]}{rng.integers(3)}", f"{states[sb]}{rng.integers(3)}"
        via = ", via: third" if rng.random() < 0.3 else ""
        links.append(f"      - {{id: c{k}, between: [{a}, {b}]{via}}}\n")
    return ("name: net\nsteps: 3\nstates: [{id: A}, {id: B}, {id: C}, {id: D}]\n"
            + actors(*rows) + "channels:\n  line:\n    track: '1'\n    links:\n"
            + "".join(links) + "metrics: {min_access: 0.5}\n")


@pytest.mark.parametrize("seed", range(15))
def test_redundancy_of_every_dyad_of_four_states_matches_networkx(seed: int) -> None:

    c = scenario_from_text(random_multistate(seed), "net.yaml").compiled
    level = np.random.default_rng(seed).integers(0, 2, c.n_channels)
    connected, redundancy = Connectivity(c, 0.5).compute(level)
    check_against_networkx(c, level, connected, redundancy)


def check_against_networkx(c: Any, level: np.ndarray, connected: np.ndarray,
                           redundancy: np.ndarray) -> int:
    """Assert connected/redundancy of every dyad equal networkx's; return the linked pairs."""
    import networkx as nx

    node = {a: (c.state_ids[c.actor_state[i]] if c.actor_access[i] >= 0.5 else a)
            for i, a in enumerate(c.actor_ids)}
    graph = nx.Graph()
    graph.add_nodes_from(c.state_ids)
    for ch in np.flatnonzero(level):
        u, v = node[c.actor_ids[c.channel_a[ch]]], node[c.actor_ids[c.channel_b[ch]]]
        cap = graph.get_edge_data(u, v, {"capacity": 0})["capacity"]
        graph.add_edge(u, v, capacity=cap + 1)
    linked_pairs = 0
    for d, label in enumerate(c.dyad_labels):
        a, b = label.split("-")
        linked = nx.has_path(graph, a, b)
        linked_pairs += linked
        assert bool(connected[d]) == linked, label
        assert int(redundancy[d]) == (nx.maximum_flow_value(graph, a, b) if linked else 0), label
    return linked_pairs


def random_many_states(seed: int, n_states: int) -> str:
    """Like random_multistate, with ``n_states`` states, two third parties and more channels."""
    rng = np.random.default_rng(seed)
    states = [f"S{i}" for i in range(n_states)]
    rows, links = [], []
    for s in states:
        for i in range(3):
            rows.append(actor(f"{s}a{i}", s, float(rng.choice([1.0, 0.2]))))
    rows += [actor("third", None, 0.0), actor("fourth", None, 0.0)]
    for k in range(int(rng.integers(2 * n_states, 6 * n_states))):
        sa, sb = rng.choice(n_states, size=2, replace=False)
        a, b = f"{states[sa]}a{rng.integers(3)}", f"{states[sb]}a{rng.integers(3)}"
        via = f", via: {rng.choice(['third', 'fourth'])}" if rng.random() < 0.3 else ""
        links.append(f"      - {{id: c{k}, between: [{a}, {b}]{via}}}\n")
    return ("name: net\nsteps: 3\nstates: [" + ", ".join(f"{{id: {s}}}" for s in states)
            + "]\n" + actors(*rows) + "channels:\n  line:\n    track: '1'\n    links:\n"
            + "".join(links) + "metrics: {min_access: 0.5}\n")


@pytest.mark.parametrize("seed", range(12))
def test_all_pairs_redundancy_of_many_states_matches_networkx(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """10 to 16 states, every dyad tracked: the flow-equivalent tree (Gusfield) is used when
    more dyads are connected than governments, and every value equals networkx's."""

    import diplosim.engine.network as network

    calls = []
    original = network.all_pairs_min_cut
    monkeypatch.setattr(network, "all_pairs_min_cut",
                        lambda g, t: calls.append(t.size) or original(g, t))

    n_states = 10 + seed % 7
    c = scenario_from_text(random_many_states(seed, n_states), "net.yaml").compiled
    level = (np.random.default_rng(seed).random(c.n_channels) < 0.8).astype(np.int64)
    connected, redundancy = Connectivity(c, 0.5).compute(level)
    linked_pairs = check_against_networkx(c, level, connected, redundancy)
    if linked_pairs >= n_states:  # more connected pairs than governments, less one
        assert calls, "the flow-equivalent tree was not used"


@given(st.integers(3, 12), st.integers(0, 10_000), st.floats(0.1, 0.9))
@settings(max_examples=60)
def test_flow_equivalent_tree_gives_every_minimum_cut(n: int, seed: int, density: float) -> None:
    import networkx as nx
    from scipy.sparse import csr_matrix

    from diplosim.engine.network import all_pairs_min_cut

    rng = np.random.default_rng(seed)
    cap = np.triu(rng.integers(1, 4, (n, n)) * (rng.random((n, n)) < density), 1)
    cap = cap + cap.T
    terminals = np.sort(rng.choice(n, size=int(rng.integers(2, n + 1)), replace=False))
    cut = all_pairs_min_cut(csr_matrix(cap.astype(np.int32)), terminals)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for i, j in zip(*np.nonzero(np.triu(cap)), strict=True):
        graph.add_edge(int(i), int(j), capacity=int(cap[i, j]))
    for i, s in enumerate(terminals):
        for j, t in enumerate(terminals):
            if i != j:
                assert cut[i, j] == nx.maximum_flow_value(graph, int(s), int(t)), (s, t)


def test_trivial_cuts_are_certified_without_a_flow_and_others_are_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Dense graph: every cut is a government cut off alone, proved by paths of one or two
    edges, so no maximum flow runs. Two dense clusters joined by one edge: the bridge is the
    cut across them, short paths cannot prove it, and flows run — the values match networkx."""
    import networkx as nx
    from scipy.sparse import csr_matrix

    import diplosim.engine.network as network

    flows = []
    original = network.maximum_flow
    monkeypatch.setattr(network, "maximum_flow",
                        lambda g, s, t: flows.append((s, t)) or original(g, s, t))

    def check(cap: np.ndarray) -> None:
        n = len(cap)
        cut = network.all_pairs_min_cut(csr_matrix(cap.astype(np.int32)), np.arange(n))
        graph = nx.Graph()
        for i, j in zip(*np.nonzero(np.triu(cap)), strict=True):
            graph.add_edge(int(i), int(j), capacity=int(cap[i, j]))
        for i in range(n):
            for j in range(n):
                if i != j:
                    assert cut[i, j] == nx.maximum_flow_value(graph, i, j), (i, j)

    rng = np.random.default_rng(3)
    dense = np.triu(rng.integers(5, 9, (12, 12)), 1)
    check(dense + dense.T)
    assert flows == []
    block = np.triu(np.full((6, 6), 4), 1)
    two = np.zeros((12, 12), dtype=np.int64)
    two[:6, :6] = block + block.T
    two[6:, 6:] = block + block.T
    two[0, 6] = two[6, 0] = 1  # the bridge
    check(two)
    assert flows, "a non-trivial cut needs a flow"


@given(st.integers(3, 12), st.integers(0, 10_000), st.floats(0.1, 1.0), st.booleans())
@settings(max_examples=80)
def test_short_path_flow_never_exceeds_the_maximum_flow(n: int, seed: int, density: float,
                                                        small: bool) -> None:
    """The certificate's bound is a feasible flow: never above networkx's maximum flow, with or
    without its three-edge paths (``small``: none, one source at a time)."""
    import networkx as nx

    import diplosim.engine.network as network

    rng = np.random.default_rng(seed)
    cap = np.triu(rng.integers(1, 9, (n, n)) * (rng.random((n, n)) < density), 1)
    cap = (cap + cap.T).astype(np.int32)
    b = int(rng.integers(n))
    sources = np.array([a for a in range(n) if a != b])
    limits = network.THREE_HOP_NODES, network.THREE_HOP_CELLS
    try:
        if small:
            network.THREE_HOP_NODES, network.THREE_HOP_CELLS = n - 1, 1
        bound = network.short_path_flow(cap, sources, b)
    finally:
        network.THREE_HOP_NODES, network.THREE_HOP_CELLS = limits
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for i, j in zip(*np.nonzero(np.triu(cap)), strict=True):
        graph.add_edge(int(i), int(j), capacity=int(cap[i, j]))
    for a, value in zip(sources, bound, strict=True):
        assert value <= nx.maximum_flow_value(graph, int(a), b) + 1e-9, (a, b)
