"""Structure 5, red lines (docs/model.md 3.5c): win-sets cut by the parties' red lines, relaxed
by hurting-stalemate time and new leaders; partial agreements on other matters a channel
carries; ratification. Expectations derived by hand on a deterministic scenario: tension held
at 0.7 (no noise, drift or shocks), so the talks are ripe from step 3 and hurting every step."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.test_batch import replications_equal_single_runs

from diplosim.engine.winsets import WinSets
from diplosim.io.errors import InputError
from diplosim.negotiation.issues import Issue, OutcomeSpace
from diplosim.negotiation.utilities import OUTSIDE, LinearAdditiveUtility
from diplosim.results import replication_seeds
from diplosim.results.tables import simulate
from diplosim.scenario import scenario_from_text
from diplosim.scenario.schema import RedLineSpec, WinSetsSpec

BASE = """\
name: win_sets
time_unit: month
steps: 24
states: [{id: A}, {id: B}]
actors:
  list:
    - {id: a, state: A, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: b, state: B, kind: envoy, tracks: ["1"], access: 0.9}
channels:
  line:
    track: "1"
    close_threshold: 0.99
    reopen_threshold: 0.5
MANDATE    links: [{id: line, between: [a, b]}]
tension: {initial: 0.7, baseline: 0.7, drift: 0.0, escalation: 0.0, deescalation: 0.0}
events: EVENTS
negotiation:
  dyad: [A, B]
  session:
    protocol: alternating_offers
    deadline: 10
    issues: ISSUES
    parties:
      - {name: A, weights: WEIGHTS, ideal: IDEAL_A, reservation: 0.2, strategy: {kind: linear}}
      - {name: B, weights: WEIGHTS, ideal: IDEAL_B, reservation: 0.2, strategy: {kind: linear}}
  ripeness: {hurting: 0.6, window: 3, band: 0.1, way_out: 0.9}
  cooldown: 2
  failure_shock: 0.0
  agreement_relief: 0.0
  durability: {base_hazard: 0.0, suppression: 0.0}
  red_lines: RED_LINES
  ratification: RATIFICATION
WIN_SETS
"""

APART = ("[{party: A, issue: x, at_least: 0.7}, {party: B, issue: x, at_most: 0.3}]")
CEASEFIRE = "{name: ceasefire, kind: discrete, values: [none, ceasefire], matter: ceasefire}"


def scenario(red_lines: str = APART, *, win_sets: str | None = "{relaxation: 0.0}",
             events: str = "[]", ceasefire: bool = False, mandate: str | None = None,
             ratification: str = "[]") -> Any:
    issues = "[{name: x}" + (f", {CEASEFIRE}]" if ceasefire else "]")
    weights = "{x: 1, ceasefire: 1}" if ceasefire else "{x: 1}"
    cf = ", ceasefire: ceasefire" if ceasefire else ""
    text = (BASE.replace("MANDATE", f"    mandate: {mandate}\n" if mandate else "")
            .replace("EVENTS", events).replace("ISSUES", issues).replace("WEIGHTS", weights)
            .replace("IDEAL_A", "{x: 1.0" + cf + "}").replace("IDEAL_B", "{x: 0.0" + cf + "}")
            .replace("RED_LINES", red_lines).replace("RATIFICATION", ratification)
            .replace("WIN_SETS", f"  win_sets: {win_sets}" if win_sets else ""))
    return scenario_from_text(text, "win_sets.yaml")


def talks(sc: Any, seed: int = 1) -> pd.DataFrame:
    return simulate(sc, rng=seed).talks


# -- the win-sets themselves ---------------------------------------------------------------
SPACE = OutcomeSpace((Issue.continuous("x"), Issue.discrete("y", ["a", "b", "c"])))


def test_a_bound_relaxes_by_the_rate_times_hurting_time_and_an_exclusion_lapses_at_one() -> None:
    lines = [RedLineSpec(party="A", issue="x", at_least=0.7),
             RedLineSpec(party="B", issue="y", exclude=["a", "b"])]
    w = WinSets(SPACE, ("A", "B"), lines, WinSetsSpec(relaxation=0.1, leader_step=0.3))
    (a,) = w.limits(0)
    assert a.low == pytest.approx(0.7)
    assert a.high == np.inf
    w.hurting_time = 2.0
    (a,) = w.limits(0)
    assert a.low == pytest.approx(0.7 - 0.1 * 2.0)  # b - rho * range, range 1
    (b,) = w.limits(1)
    assert b.excluded == (0, 1)
    w.hurting_time = 9.99
    assert w.limits(1) != ()  # rho = 0.999 < 1: still excluded
    w.hurting_time = 10.0
    assert w.limits(1) == ()  # rho = 1: the exclusion lapses
    w.leader(0, -1)  # a hardline leader of A: its line tightens by one step
    (a,) = w.limits(0)
    assert a.low == pytest.approx(0.7 - 0.1 * 10.0 + 0.3)


def test_a_line_stated_later_relaxes_from_its_own_date_and_a_lifted_one_is_gone() -> None:
    w = WinSets(SPACE, ("A", "B"), [], WinSetsSpec(relaxation=0.1))
    w.hurting_time = 5.0
    w.state(RedLineSpec(party="B", issue="x", at_most=0.2))
    w.hurting_time = 6.0
    (b,) = w.limits(1)
    assert b.high == pytest.approx(0.2 + 0.1 * 1.0)
    w.state(RedLineSpec(party="B", issue="x", at_most=0.2), lifted=True)
    assert w.limits(1) == ()


def test_a_deal_outside_a_partys_red_lines_is_worth_less_than_any_reservation() -> None:
    w = WinSets(SPACE, ("A", "B"), [RedLineSpec(party="A", issue="y", exclude=["c"])],
                WinSetsSpec())
    u = dataclasses.replace(LinearAdditiveUtility.create(SPACE, {"x": 1, "y": 1},
                                                         {"x": 1.0, "y": "c"}),
                            limits=w.limits(0))
    deals = np.array([[1.0, 2.0], [1.0, 1.0], [0.5, 0.0]])
    values = u.evaluate(deals)
    assert values[0] == OUTSIDE
    assert values[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert u.acceptable(deals).tolist() == [False, True, True]


# -- talks ---------------------------------------------------------------------------------
def test_talks_whose_sets_do_not_meet_fail_at_once_every_time() -> None:
    """Ripe from step 3, cooldown 2: talks open at 3, 5, ..., 23 and each fails at once."""
    t = talks(scenario())
    assert t["opened"].tolist() == list(range(3, 25, 2))
    assert set(t["outcome"]) == {"no_overlap"}
    assert not t["agreed"].any()
    assert (t["ended"] == t["opened"]).all()


def test_without_win_sets_the_same_file_agrees_as_today() -> None:
    t = talks(scenario(win_sets=None))
    assert t["agreed"].iloc[0]
    assert t["opened"].iloc[0] == 3


def test_lines_meet_after_the_hurting_time_that_closes_their_gap() -> None:
    """A >= 0.7 - 0.02 H, B <= 0.3 + 0.02 H: they meet at H = 10 hurting steps; talks open at
    3, 5, 7, 9 (apart) and at 11 (H = 11) on the settlement, which agrees inside both sets."""
    t = talks(scenario(win_sets="{relaxation: 0.02}"))
    assert t["opened"].tolist()[:5] == [3, 5, 7, 9, 11]
    assert t["outcome"].tolist()[:4] == ["no_overlap"] * 4
    assert t["agenda"].iloc[4] == "settlement"
    assert t["agreed"].iloc[4]
    deal = float(pd.read_json(pd.io.common.StringIO(f"[{t['deal'].iloc[4]}]"))["x"].iloc[0])
    assert 0.7 - 0.02 * 11 - 1e-9 <= deal <= 0.3 + 0.02 * 11 + 1e-9


def test_a_new_leader_moves_the_lines_and_a_lifted_line_opens_the_talks() -> None:
    """A >= 0.7, B <= 0.5: a conciliatory leader of A (step 0.3) makes it A >= 0.4, which
    meets B in [0.4, 0.5], inside both reservations (0.33); a hardline one makes it 1.0."""
    leader = ("[{at: 2, type: political_change, state: A, kind: conciliatory_leader, "
              "change: 0.0, label: new leader}]")
    apart = APART.replace("at_most: 0.3", "at_most: 0.5")
    t = talks(scenario(apart, win_sets="{leader_step: 0.3}", events=leader))
    assert t["agreed"].iloc[0]
    assert t["opened"].iloc[0] == 3
    hard = leader.replace("conciliatory_leader", "hardline_leader")
    t = talks(scenario(apart, win_sets="{leader_step: 0.3}", events=hard))
    assert set(t["outcome"]) == {"no_overlap"}
    lifted = ("[{at: 6, type: red_line, party: A, issue: x, lifted: true, label: lifted}]")
    t = talks(scenario(apart, events=lifted))
    assert t["outcome"].tolist()[:2] == ["no_overlap", "no_overlap"]  # steps 3, 5
    assert t["opened"].iloc[2] == 7
    assert t["agreed"].iloc[2]


def test_a_partial_agreement_on_a_ceasefire_the_channel_carries() -> None:
    """The settlement's sets do not meet; both want a ceasefire. A channel with no mandate
    carries every matter, one with [settlement, ceasefire] the ceasefire: a partial agreement
    at step 3; one with [settlement] only carries none: talks fail at once."""
    for mandate in (None, "[settlement, ceasefire]"):
        t = talks(scenario(ceasefire=True, mandate=mandate))
        first = t.iloc[0]
        assert (first["opened"], first["agenda"], bool(first["agreed"])) == (3, "partial", True)
        assert first["deal"] == '{"ceasefire": "ceasefire"}'
    t = talks(scenario(ceasefire=True, mandate="[settlement]"))
    assert set(t["outcome"]) == {"no_overlap"}
    widen = ("[{at: 8, type: widen_mandate, channels: {ids: [line]}, matters: [ceasefire], "
             "label: ceasefire talks}]")
    t = talks(scenario(ceasefire=True, mandate="[settlement]", events=widen))
    assert t[t["agreed"]]["opened"].iloc[0] == 9  # the first talks after the widening


def test_a_ratifier_rejects_a_text_below_its_partys_reservation_plus_the_margin() -> None:
    ratify = "[{party: A, by: parliament}]"
    none = "[]"
    strict = talks(scenario(none, win_sets="{ratifier_margin: 1.0}", ratification=ratify))
    assert set(strict["outcome"]) == {"not_ratified"}
    assert not strict["agreed"].any()
    lax = talks(scenario(none, win_sets="{ratifier_margin: 0.0}", ratification=ratify))
    plain = talks(scenario(none, win_sets="{ratifier_margin: 0.0}"))
    pd.testing.assert_frame_equal(lax, plain)


def test_win_sets_with_no_red_lines_and_no_other_matter_run_exactly_as_without() -> None:
    with_sets = talks(scenario("[]", win_sets="{relaxation: 0.5, ratifier_margin: 0.2}"))
    without = talks(scenario("[]", win_sets=None))
    pd.testing.assert_frame_equal(with_sets, without)


def test_win_sets_in_a_batch_equal_single_runs() -> None:
    events = ("[{at: 4, type: political_change, state: B, kind: conciliatory_leader, "
              "change: 0.0, label: new leader}, "
              "{at: 9, type: red_line, party: A, issue: x, at_least: 0.9, label: restated}, "
              "{at: 12, type: widen_mandate, channels: {ids: [line]}, matters: [ceasefire], "
              "label: ceasefire talks}]")
    sc = scenario(win_sets="{relaxation: 0.03, leader_step: 0.1, ratifier_margin: 0.1}",
                  events=events, ceasefire=True, mandate="[settlement]",
                  ratification="[{party: B, by: referendum}]")
    sc = sc.with_overrides({"tension.noise": 0.05})
    replications_equal_single_runs(sc, replication_seeds(4, 3), "win_sets")


@pytest.mark.parametrize(("lines", "words"), [
    ("[{party: A, issue: x, exclude: [a]}]", "x is continuous"),
    ("[{party: C, issue: x, at_least: 0.5}]", "not a party of the talks"),
])
def test_bad_red_lines_are_located_errors(lines: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        scenario(lines)


def test_a_line_that_excludes_every_value_is_refused() -> None:
    text = scenario("[]").text.replace("issues: [{name: x}]", "issues: [{name: x}, {name: y, "
                                       "kind: discrete, values: [p, q]}]")
    text = text.replace("red_lines: []", "red_lines: [{party: A, issue: y, exclude: [p, q]}]")
    with pytest.raises(InputError, match="excludes every value"):
        scenario_from_text(text, "w.yaml")
