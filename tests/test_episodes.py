"""Rupture episodes from hand-made tables and hand-made mission levels; the exact KM gap; the
batch of replications against DiplomacyModel; the two tension rules the calibration needs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.analysis import episodes as ep
from diplosim.analysis.calibration import (
    EpisodeRules,
    data_episodes,
    mission_breaks,
    select_episodes,
)
from diplosim.engine.batch import mission_levels, tile
from diplosim.engine.model import DiplomacyModel
from diplosim.scenario import load_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "us_ruptures.yaml"


def ranges(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["country_name_cow", "date_start", "date_end",
                                        "us_mission_status"])
    frame["country_code_cow"] = frame["country_name_cow"].map(
        {n: i for i, n in enumerate(dict.fromkeys(frame["country_name_cow"]))})
    frame["date_start"] = pd.to_datetime(frame["date_start"])
    frame["date_end"] = pd.to_datetime(frame["date_end"])
    return frame


HAND = ranges([
    # restored after ten years, an interests section in between
    ("Alpha", "1950-01-01", "1959-12-31", "Embassy"),
    ("Alpha", "1960-01-01", "1964-12-31", "None"),
    ("Alpha", "1965-01-01", "1969-12-31", "Interests"),
    ("Alpha", "1970-01-01", "2024-12-31", "Embassy"),
    # broken in 2000 and never restored: censored at the end of the data
    ("Beta", "1960-01-01", "1999-12-31", "Legation"),
    ("Beta", "2000-01-01", "2024-12-31", "None"),
    # broken in 1980; the state ends in 1990: censored there, not in 2024
    ("Gamma", "1960-01-01", "1979-12-31", "Embassy"),
    ("Gamma", "1980-01-01", "1990-05-21", "Interests"),
    # a break before 1945 is not kept; a liaison office does not end a break
    ("Delta", "1930-01-01", "1939-12-31", "Embassy"),
    ("Delta", "1940-01-01", "1944-12-31", "None"),
    ("Delta", "1945-01-01", "1970-12-31", "Embassy"),
    ("Delta", "1971-01-01", "1979-12-31", "None"),
    ("Delta", "1980-01-01", "1989-12-31", "Liaison"),
    ("Delta", "1990-01-01", "2024-12-31", "Embassy"),
])


def test_breaks_from_a_hand_made_table() -> None:
    b = mission_breaks(HAND).set_index("country")
    assert list(b.index) == ["Alpha", "Beta", "Gamma", "Delta"]
    assert b.loc["Alpha", "restored"]
    assert b.loc["Alpha", "interests"]
    assert b.loc["Alpha", "years"] == pytest.approx(3653 / 365.25)  # 1960-01-01 to 1970-01-01
    assert not b.loc["Beta", "restored"]
    assert b.loc["Beta", "years"] == pytest.approx(9131 / 365.25)  # to 2024-12-31
    assert not b.loc["Gamma", "restored"]
    assert b.loc["Gamma", "observed_until"] == pd.Timestamp("1990-05-21")
    assert b.loc["Gamma", "years"] == pytest.approx(3793 / 365.25)
    assert b.loc["Delta", "statuses"] == "None/Liaison"
    assert b.loc["Delta", "years"] == pytest.approx(6940 / 365.25)  # 1971 to 1990
    assert (b["cause"] == "").all()  # not in the coded table


def test_selection_rules_by_period_and_cause() -> None:
    b = mission_breaks(HAND)
    b["cause"] = ["rupture", "evacuation", "state_change", "rupture"]
    assert list(select_episodes(b, EpisodeRules())["country"]) == ["Alpha", "Beta", "Delta"]
    kept = select_episodes(b, EpisodeRules(until="1979-12-31", causes=("rupture",)))
    assert list(kept["country"]) == ["Alpha", "Delta"]
    assert list(select_episodes(b, EpisodeRules(since="1975-01-01"))["country"]) == ["Beta"]
    with pytest.raises(ValueError, match="unknown cause"):
        select_episodes(b, EpisodeRules(causes=("war",)))


def test_the_shipped_record_under_the_default_rules() -> None:
    all_breaks = mission_breaks(pd.read_csv(
        ROOT / "src" / "diplosim" / "data" / "us_diplomatic_missions" /
        "mission_status_range_cow_v0.1.csv", keep_default_na=False,
        parse_dates=["date_start", "date_end"]))
    assert (all_breaks["cause"] != "").all()  # every break of the data is coded
    table = data_episodes()
    assert len(table) == 39
    assert table["restored"].sum() == 35
    assert table["interests"].sum() == 13
    assert "state_change" not in set(table["cause"])
    south_yemen = all_breaks[all_breaks.country == "Yemen People's Republic"].iloc[0]
    assert south_yemen.observed_until == pd.Timestamp("1990-05-21")


def test_episodes_from_hand_made_levels() -> None:
    # formal level 2 (embassy), interests level 1; quarters; follow-up 2 years each
    rep0 = [2, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2]  # closed 1-6, interests 4 quarters: restored
    rep1 = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # never restored: censored at 2 years
    rep2 = [2, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # interests one quarter only: not counted
    rep3 = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2]  # restored after 9 quarters > 2 years: censored
    rep4 = [2] * 12  # never closed: no episode
    levels = np.array([rep0, rep1, rep2, rep3, rep4], dtype=np.int8).T[:, :, None]
    e = ep.from_levels(levels, np.array([2]), 1, 0.25, np.array([2.0]))
    np.testing.assert_allclose(e.years, [1.5, 2.0, 0.75, 2.0])
    assert e.restored.tolist() == [True, False, True, False]
    assert e.interests.tolist() == [True, False, False, False]
    e = ep.from_levels(levels, np.array([2]), 1, 0.25, np.array([2.0]), interests_min_years=0.25)
    assert e.interests.tolist() == [True, False, True, False]


def test_km_gap_is_exact_and_the_distance_adds_the_shares() -> None:
    a = ep.Episodes(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, True, True, False]),
                    np.array([True, False, False, False]))
    b = ep.Episodes(np.array([1.5, 5.0]), np.array([True, True]), np.array([False, False]))
    # a: S = 1, .75 (1), .5 (2), .25 (3); b: S = 1, .5 (1.5), 0 (5); largest gap .5 at t = 3
    # (a .25, b .5) and at t = 1 (a .75, b 1)? no: .25; at 5: a .25 (censored at 4), b 0.
    assert ep.km_gap(a, b) == pytest.approx(0.25)
    assert ep.km_gap(a, a) == 0.0
    sa, sb = a.summary(), b.summary()
    grid_gap = float(np.max(np.abs(np.asarray(sa["km"]) - np.asarray(sb["km"]))))
    assert ep.distance(sa, sb) == pytest.approx(grid_gap + 0.25 + 0.25)


def deterministic_template() -> str:
    text = TEMPLATE.read_text()
    return (text.replace("baseline_concentration: 4.0", "baseline_concentration: null")
            .replace("regime_change: 0.02", "regime_change: 0.0")
            .replace("noise: 0.05", "noise: 0.0").replace("steps: 960", "steps: 40"))


def test_a_deterministic_batch_equals_the_model_step_by_step() -> None:
    sc = scenario_from_text(deterministic_template(), "det.yaml")
    levels = mission_levels(sc, 3, rng=1)
    model = DiplomacyModel(sc, rng=1, collect=False)
    single = [int(model.channels.level[0])]
    for _ in range(40):
        model.step()
        single.append(int(model.channels.level[0]))
    for r in range(3):
        assert levels[:, r, 0].tolist() == single
    assert single[1] == 0  # the break
    assert single[-1] == 2  # restored


def test_a_batch_matches_single_runs_in_distribution() -> None:
    sc = load_scenario(TEMPLATE, {"steps": 120})
    levels = mission_levels(sc, 400, rng=3)
    batch_back = (levels[1:, :, 0] == 2).argmax(axis=0)
    singles = []
    for seed in range(150):
        model = DiplomacyModel(sc, rng=seed, collect=False)
        series = []
        for _ in range(120):
            model.step()
            series.append(int(model.channels.level[0]))
        singles.append(np.argmax(np.array(series) == 2))
    from scipy import stats

    assert stats.ks_2samp(batch_back, singles).pvalue > 0.01
    assert abs(np.mean(batch_back == 0) - np.mean(np.array(singles) == 0)) < 0.1


def test_tile_keeps_copies_apart() -> None:
    sc = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    c = sc.compiled
    big = tile(c, 3)
    assert big.n_channels == 3 * c.n_channels
    assert len(big.dyad_labels) == 3 * len(c.dyad_labels)
    assert big.channel_dyad[c.n_channels:2 * c.n_channels].tolist() == [1] * c.n_channels
    assert len(big.events) == 3 * len(c.events)
    via = big.channel_via[2 * c.n_channels:]
    assert ((via == -1) | (via >= 2 * len(c.actor_ids))).all()


def test_baselines_differ_across_dyads_and_regimes_redraw_them() -> None:
    sc = load_scenario(TEMPLATE, {"tension.baseline": 0.3, "tension.baseline_concentration": 4.0,
                                  "tension.regime_change": 0.0})
    from diplosim.engine.tension import Tension

    spec = sc.spec.tension
    n = 20_000
    rng = np.random.default_rng(0)
    t = Tension(spec, np.full(n, 0.3), np.full(n, 0.3), np.full(n, 0.3), np.zeros(n), rng)
    # Beta(B c, (1 - B) c): mean B, variance B (1 - B) / (1 + c)
    assert t.baseline.mean() == pytest.approx(0.3, abs=0.01)
    assert t.baseline.var() == pytest.approx(0.3 * 0.7 / 5, rel=0.05)
    from diplosim.engine.channels import Flows

    before = t.baseline.copy()
    t.step(Flows.zeros(n))
    assert (t.baseline == before).all()  # no regime change asked
    always = load_scenario(TEMPLATE, {"tension.regime_change": 1.0}).spec.tension
    t2 = Tension(always, np.full(n, 0.3), np.full(n, 0.3), np.full(n, 0.3), np.zeros(n), rng)
    b0 = t2.baseline.copy()
    t2.step(Flows.zeros(n))
    assert (t2.baseline != b0).mean() > 0.99
    fixed = load_scenario(TEMPLATE, {"tension.regime_change": 1.0,
                                     "tension.baseline_concentration": None}).spec.tension
    t3 = Tension(fixed, np.full(n, 0.3), np.full(n, 0.3), np.full(n, 0.3), np.zeros(n), rng)
    t3.step(Flows.zeros(n))
    assert (t3.baseline == 0.3).all()  # no spread: a new regime has the same baseline
