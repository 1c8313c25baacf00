"""Track 1 talks inside the model: ripeness, power, misperception, durability, transfer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from diplosim.engine.model import DiplomacyModel
from diplosim.engine.talks import window_reading
from diplosim.io.errors import InputError
from diplosim.results.tables import simulate
from diplosim.scenario import Scenario, load_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[1]
TRANSFER = ROOT / "scenarios" / "track2_transfer.yaml"
NO_TRACK2 = {"channels.workshop.generate": []}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(TRANSFER)


def first_agreements(sc: Scenario, reps: int) -> np.ndarray:
    seeds = np.random.SeedSequence(7).spawn(reps)
    return np.array([simulate(sc, rng=s).summary.iloc[0].first_agreement for s in seeds])


def test_track2_transfer_shortens_time_to_agreement(scenario: Scenario) -> None:
    with_t2 = first_agreements(scenario, 8)
    without = first_agreements(scenario.with_overrides(NO_TRACK2), 8)
    assert not np.isnan(with_t2).any()
    assert not np.isnan(without).any()
    diff = without.mean() - with_t2.mean()
    se = np.sqrt(with_t2.var(ddof=1) / with_t2.size + without.var(ddof=1) / without.size)
    print(f"first agreement with Track 2: {with_t2.mean():.1f} ± {with_t2.std(ddof=1):.1f}; "
          f"without: {without.mean():.1f} ± {without.std(ddof=1):.1f} (months; 8 reps each)")
    assert diff > 10
    assert diff > 4 * se


def test_ripeness_needs_a_full_hurting_stalemate_and_a_way_out(scenario: Scenario) -> None:
    talks = DiplomacyModel(scenario, rng=1).talks
    assert talks is not None
    r = scenario.spec.negotiation.ripeness  # type: ignore[union-attr]
    window = talks.dynamics.window  # in steps
    talks.history.clear()
    talks.history.extend([0.7] * (window - 1))
    assert not talks.ripe(0.1)  # window not full yet
    talks.history.append(0.7)
    assert talks.ripe(r.way_out)
    assert not talks.ripe(r.way_out + 0.01)  # no way out perceived
    talks.history.append(r.hurting - 0.01)
    assert not talks.ripe(0.1)  # not hurting enough
    talks.history.extend([0.6 + 0.2 * (i % 2) for i in range(window)])
    assert not talks.ripe(0.1)  # swinging more than the band: not a stalemate


@pytest.mark.parametrize("newest", [0, 1, 2])
def test_a_window_reads_its_level_and_change_by_hand(newest: int) -> None:
    """The window 0.6, 0.9, 0.75 (oldest first) laid in a ring with its newest value at
    ``newest``: per step its lowest value 0.6 and range 0.3; in calendar time its trapezoid
    average (0.6/2 + 0.9 + 0.75/2) / 2 = 0.7875 and net change |0.75 - 0.6| = 0.15."""
    ordered = np.array([0.6, 0.9, 0.75])
    ring = np.roll(ordered, newest + 1)
    assert ring[newest] == 0.75
    assert window_reading(ring, newest, calendar=False) == pytest.approx((0.6, 0.3))
    assert window_reading(ring, newest, calendar=True) == pytest.approx((0.7875, 0.15))


def test_in_calendar_time_ripeness_reads_the_average_and_the_net_change() -> None:
    """rates per year: the window holds window + 1 values (its ends a window apart); a dip
    below ``hurting`` inside it, or a swing wider than ``band`` that comes back, does not
    undo a hurting stalemate (per step both would)."""
    case = load_scenario(ROOT / "tests" / "data" / "calendar_rates.yaml")
    talks = DiplomacyModel(case, rng=1).talks
    assert talks is not None
    r = case.spec.negotiation.ripeness  # type: ignore[union-attr]  # hurting .55, band .2
    n = talks.dynamics.window + 1
    assert talks.history.maxlen == n == 7
    talks.history.extend([0.7] * (n - 1))
    assert not talks.ripe(0.1)  # not full yet
    talks.history.append(0.7)
    assert talks.ripe(r.way_out)
    assert not talks.ripe(r.way_out + 0.01)
    talks.history.extend([0.7, 0.5, 0.95, 0.7, 0.7, 0.7, 0.7])  # a dip and a swing inside
    assert talks.ripe(0.1)
    talks.history.extend([0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.95])  # net change 0.25 > band
    assert not talks.ripe(0.1)
    talks.history.extend([0.5] * 7)  # average below hurting
    assert not talks.ripe(0.1)


def test_in_calendar_time_talks_play_the_rounds_of_the_step_they_open() -> None:
    """In quarters (six rounds a step) most sessions end in the step they open; per step a
    session plays from the step after its opening."""
    case = load_scenario(ROOT / "tests" / "data" / "calendar_rates.yaml",
                         {"time_unit": "quarter", "steps": 40})
    talks = pd.concat([simulate(case, rng=s).talks for s in range(10)])
    assert len(talks)
    assert (talks["ended"] == talks["opened"]).mean() > 0.5
    per_step = pd.concat([simulate(load_scenario(TRANSFER), rng=s).talks for s in range(3)])
    ended = per_step.dropna(subset=["ended"])
    assert len(ended)
    assert (ended["ended"] > ended["opened"]).all()


def test_staged_talks_pass_one_stage_a_step_when_every_stage_ends_at_once() -> None:
    """Hand-derived: with a rate at which a stage surely ends in its first step (1 - e^-1e6),
    staged talks open when today's open, pass one stage a step, and (per step) play their
    rounds from the step after the last: the first agreement comes exactly ``count`` steps
    later. The stages draw from the talks' own stream, so tension is unchanged until then."""
    base = load_scenario(TRANSFER)
    count = 3
    staged = base.with_overrides({"negotiation.stages": {"count": count, "rate": 1e6}})
    for seed in range(4):
        today, later = simulate(base, rng=seed), simulate(staged, rng=seed)
        first, second = today.talks.iloc[0], later.talks.iloc[0]
        assert second["opened"] == first["opened"]
        assert first["agreed"]
        assert second["agreed"]
        assert second["ended"] == first["ended"] + count
        stages = later.events[later.events["type"] == "talks_stage"]
        opened = int(first["opened"])
        assert stages["step"].tolist()[:count] == list(range(opened + 1, opened + count + 1))
        assert stages["detail"].tolist()[:count] == [f"stage {k} of {count} passed"
                                                     for k in range(1, count + 1)]
        before = today.dyads["step"] <= opened + count
        pd.testing.assert_frame_equal(today.dyads[before], later.dyads[before])


@pytest.mark.parametrize(("rate", "time_unit"), [(0.5, "month"), (2.0, "quarter")])
def test_a_stage_ends_in_a_step_with_the_closed_form_chance(rate: float,
                                                            time_unit: str) -> None:
    """Per year, a stage ends in a step of length dt with probability 1 - exp(-rate dt)."""
    case = load_scenario(ROOT / "tests" / "data" / "calendar_rates.yaml",
                         {"time_unit": time_unit, "negotiation.stages": {"count": 2,
                                                                         "rate": rate}})
    model = DiplomacyModel(case, rng=0)
    talks = model.talks
    assert talks is not None
    dt = {"month": 1 / 12, "quarter": 1 / 4}[time_unit]
    assert talks.stage_end == pytest.approx(1 - np.exp(-rate * dt), rel=1e-3)


def test_staged_talks_interrupted_in_a_stage_end_as_interrupted() -> None:
    """Talks in a stage end, interrupted, when every direct channel closes, as in the rounds:
    talks that open in step 17 and cannot pass their first stage end when the back-channel's
    ceiling falls to 0 in step 30, with no round played."""
    staged = load_scenario(TRANSFER).with_overrides({
        "negotiation.stages": {"count": 3, "rate": 1e-6},
        "events": [{"at": 30, "type": "set_ceiling", "channels": {"track": "1"}, "level": 0}]})
    for seed in range(3):
        talks = simulate(staged, rng=seed).talks
        assert talks[["opened", "ended", "outcome", "rounds"]].values.tolist() == [
            [17, 30, "interrupted", 0]]


@pytest.mark.parametrize(("stages", "expect"), [
    ({"count": 3}, "stages: the staged talks' count and rate"),
    ({"count": 3, "rate": "fast"}, "stages: the staged talks' count and rate"),
    (None, "switches staged talks on but gives no stages"),
])
def test_a_set_with_staged_talks_and_bad_stages_is_refused_located(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stages: object, expect: str) -> None:
    from tests.parameter_sets import pooled_with

    structure = {"mandates": False, "political_changes": False, "staged": True}
    text = (ROOT / "scenarios" / "oslo_1993.yaml").read_text(encoding="utf-8")
    text = text.replace("\nparameters: calibrated\n", "\nparameters: badstages\n")
    with pooled_with("badstages", {"stages": stages, "structure": structure},
                     tmp_path / "sets", monkeypatch), pytest.raises(InputError, match=expect):
        scenario_from_text(text, "oslo_1993.yaml")


def test_reservations_shift_with_power_and_harden_with_misperception(
        scenario: Scenario) -> None:
    talks = DiplomacyModel(scenario, rng=1).talks
    assert talks is not None
    neg = scenario.spec.negotiation
    assert neg is not None
    share = np.array([1.2, 1.0]) / 2.2
    shifted = 0.3 + neg.power_weight * (share - 0.5)
    m = 0.4
    expected = shifted + neg.misperception_weight * m * (1 - shifted)
    assert talks.reservations(m) == pytest.approx(expected, abs=1e-12)
    assert talks.reservations(0.0) == pytest.approx(shifted, abs=1e-12)


def test_durability_hazard_closed_form(scenario: Scenario) -> None:
    sc = scenario.with_overrides({
        "negotiation.durability.base_hazard": 0.01,
        "negotiation.durability.suppression": 0.5,
        "negotiation.durability.civil_society": 0.4,
    })
    model = DiplomacyModel(sc, rng=1)
    talks = model.talks
    assert talks is not None
    talks.in_force = {"record": {}, "shortfall": 0.1}
    levels = model.channels.level.copy()
    assert talks.hazard(levels) == pytest.approx((0.01 + 0.05) * (1 - 0.4), abs=1e-12)
    levels[talks.unofficial[:2]] = 0  # half the workshops closed
    assert talks.unofficial_open_share(levels) == 0.5
    assert talks.hazard(levels) == pytest.approx(0.06 * (1 - 0.4 * 0.5), abs=1e-12)
    assert talks.hazard_at(0.5) == talks.hazard(levels)


def test_no_talks_without_a_track1_channel(scenario: Scenario) -> None:
    sc = scenario.with_overrides({"events": [
        {"at": 1, "type": "set_ceiling", "channels": {"kind": "backchannel"}, "level": 0}]})
    result = simulate(sc, rng=3)
    assert result.talks.empty
    assert result.summary.iloc[0].talks == 0


def test_agreement_relieves_tension_and_is_logged(scenario: Scenario) -> None:
    sc = scenario.with_overrides({"tension.noise": 0.0})
    result = simulate(sc, rng=3)
    first = result.talks.iloc[0]
    assert first.agreed
    ev = result.events
    assert {"talks_opened", "agreement"} <= set(ev.type)
    agreed_at = int(first.ended)
    tension = result.dyads.set_index("step").tension
    # The relief is applied at the agreement, after that step's tension update.
    assert tension[agreed_at] < tension[agreed_at - 1] - 0.2
    assert first.utility_a + first.utility_b == pytest.approx(1.0, abs=1e-9)  # unit pie


def test_negotiation_parties_must_be_the_dyad(scenario: Scenario) -> None:
    with pytest.raises(InputError) as err:
        scenario.with_overrides({"negotiation.session.parties.1.name": "north"})
    assert "negotiation.session.parties" in str(err.value)
    assert "east and west" in str(err.value)


def test_negotiation_strategy_errors_carry_the_scenario_path(scenario: Scenario) -> None:
    with pytest.raises(InputError) as err:
        scenario.with_overrides({"negotiation.session.parties.0.strategy.kind": "zeuthen"})
    text = str(err.value)
    assert "negotiation.session.parties.0.strategy.kind" in text
    assert "track2_transfer.yaml" in text


@pytest.mark.parametrize("structure", ["today", "red_lines"])
def test_talks_computed_whole_run_as_the_per_round_sessions(
        structure: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario's talks open alternating-offers and single-text sessions computed whole
    (negotiation.planned), which the batch steps only when they end; every table of the run is
    the same as with per-round sessions stepped every step."""
    from diplosim.analysis.cases import CASES
    from diplosim.analysis.joint_fit import JOINT_PRIORS, STRUCTURE_PRIORS, STRUCTURES, JointModel
    from diplosim.engine import talks as talks_module
    from diplosim.results.tables import TABLES, simulate_tables

    model = JointModel("pooled", tuple(c.name for c in CASES), 4, fixed=STRUCTURES[structure])
    priors = (*JOINT_PRIORS, *STRUCTURE_PRIORS.get(structure, ()))
    rng = np.random.default_rng(3)
    seeds = [11, 12, 13, 14]
    planned_seen: Counter[str] = Counter()
    real_open = talks_module.open_session

    def per_round(plan: Any, parties: Any, rng: Any, planned: bool = False) -> Any:
        return real_open(plan, parties, rng, planned=False)

    def counting(plan: Any, parties: Any, rng: Any, planned: bool = False) -> Any:
        session = real_open(plan, parties, rng, planned=planned)
        planned_seen[type(session).__name__] += 1
        return session

    for case in CASES:
        params = {p.path: float(rng.uniform(p.low, p.high)) for p in priors}
        sc = model.scenario(case.name, params)
        labels = [str(s) for s in seeds]
        monkeypatch.setattr(talks_module, "open_session", counting)
        fast = simulate_tables(sc, seeds, labels)
        monkeypatch.setattr(talks_module, "open_session", per_round)
        slow = simulate_tables(sc, seeds, labels)
        for name in TABLES:
            pd.testing.assert_frame_equal(fast[name], slow[name], obj=f"{case.name}: {name}")
    # the planned sessions were the ones played
    assert planned_seen["PlannedAlternatingOffers"] > 20
    assert planned_seen["PlannedSingleText"] > 2
