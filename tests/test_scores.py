"""The scores of the held-out study (docs/validity.md): closed forms, the kernel form of the
CRPS, propriety, and the reference forecasts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplosim.analysis.scores import (
    FLOOR,
    PERIODS,
    Forecast,
    crps,
    inside,
    interval,
    lag_reference,
    log_score,
    skill,
    uniform_reference,
    width,
)

S = 10.0


def test_a_certain_forecast_scores_the_distance_to_the_outcome_in_units_of_the_span() -> None:
    assert crps(Forecast.ensemble([4.0] * 5, S), 4.0) == 0.0
    assert crps(Forecast.ensemble([4.0], S), 7.0) == pytest.approx(0.3)
    assert crps(Forecast.ensemble([7.0], S), 4.0) == pytest.approx(0.3)
    # none: an agreement after the end
    assert crps(Forecast.ensemble([4.0], S), None) == pytest.approx(0.6)
    assert crps(Forecast.ensemble([np.nan], S), 4.0) == pytest.approx(0.6)
    assert crps(Forecast.ensemble([np.nan, 12.0], S), None) == 0.0


def test_the_uniform_reference_in_closed_form() -> None:
    # no none: (y^3 + (S - y)^3) / (3 S^3); at the middle 1/12
    assert crps(uniform_reference(S, 0.0), 5.0) == pytest.approx(1 / 12)
    assert crps(uniform_reference(S, 0.0), 2.0) == pytest.approx((8 + 512) / 3000)
    # none observed: (1 - q)^2 / 3
    for q in (0.0, 0.25, 1.0):
        assert crps(uniform_reference(S, q), None) == pytest.approx((1 - q) ** 2 / 3)
    # all none, an agreement at y: S - y of squared error one
    assert crps(uniform_reference(S, 1.0), 3.0) == pytest.approx(0.7)


times = st.lists(st.floats(0.0, S), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(times, st.floats(0.0, S))
def test_the_crps_of_an_ensemble_within_the_span_is_its_kernel_form(xs: list[float],
                                                                    y: float) -> None:
    """E|X - y| - E|X - X'| / 2 (Gneiting & Raftery 2007), divided by the span."""
    x = np.asarray(xs)
    kernel = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert crps(Forecast.ensemble(x, S), y) == pytest.approx(kernel / S, abs=1e-12)


outcomes = st.lists(st.one_of(st.floats(0.0, S), st.none()), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(outcomes, outcomes)
def test_the_crps_is_proper_the_truth_scores_best_on_average(truth: list[float | None],
                                                            other: list[float | None]) -> None:
    """Outcomes drawn from P: the expected score of P is at most that of any Q."""
    as_times = [np.nan if t is None else t for t in truth]
    p = Forecast.ensemble(as_times, S)
    q = Forecast.ensemble([np.nan if t is None else t for t in other], S)
    expected_p = np.mean([crps(p, y) for y in truth])
    expected_q = np.mean([crps(q, y) for y in truth])
    assert expected_p <= expected_q + 1e-12


def test_the_log_score_uses_periods_and_a_floor() -> None:
    sure = Forecast.ensemble([2.2] * 4, S)  # period 4 of 20 (2.0-2.5)
    assert log_score(sure, 2.4) == pytest.approx(-math.log(1 - FLOOR + FLOOR / (PERIODS + 1)))
    assert log_score(sure, 7.0) == pytest.approx(-math.log(FLOOR / (PERIODS + 1)))
    assert log_score(sure, None) == pytest.approx(-math.log(FLOOR / (PERIODS + 1)))
    half = Forecast.ensemble([2.2, np.nan], S)
    assert log_score(half, None) == pytest.approx(-math.log(0.99 * 0.5 + 0.01 / 21))
    flat = uniform_reference(S, 0.0)
    assert log_score(flat, 9.99) == pytest.approx(-math.log(0.99 / 20 + 0.01 / 21))
    assert log_score(flat, S) == pytest.approx(-math.log(0.99 / 20 + 0.01 / 21))


def test_intervals_coverage_and_width() -> None:
    f = Forecast.ensemble(np.arange(1.0, 21.0) / 2.0, S)  # 0.5, 1.0, ..., 10.0
    lo, hi = interval(f)  # the first times with F >= 5% and F >= 95%
    assert (lo, hi) == (0.5, 9.5)
    assert inside(f, 5.0)
    assert not inside(f, 0.2)
    assert not inside(f, None)
    assert width(f) == pytest.approx(0.9)
    mostly_none = Forecast.ensemble([1.0] + [np.nan] * 9, S)
    assert interval(mostly_none) == (1.0, math.inf)
    assert inside(mostly_none, None)
    assert width(mostly_none) == pytest.approx(0.9)
    all_none = Forecast.ensemble([np.nan] * 4, S)
    assert interval(all_none) == (math.inf, math.inf)
    assert width(all_none) == 0.0
    some_none = Forecast.ensemble([1.0, 2.0, 3.0, np.nan], S)
    assert interval(some_none)[1] == math.inf
    assert inside(some_none, None)
    assert width(some_none) == pytest.approx(0.9)
    assert interval(uniform_reference(S, 0.0)) == pytest.approx((0.5, 9.5))
    assert interval(uniform_reference(S, 0.5))[0] == pytest.approx(1.0)


def test_the_lag_reference_puts_the_other_cases_lags_after_the_opening() -> None:
    f = lag_reference(S, opening=2.0, lags=[1.0, 3.0, 20.0], none=0.25)
    assert f.none == pytest.approx(0.25 + 0.75 / 3)  # the 20-year lag falls past the end
    assert float(f.cdf(3.0)) == pytest.approx(0.25)
    assert float(f.cdf(5.0)) == pytest.approx(0.5)
    # F - H: 0 before 3, 0.25 - 1 on [3, 5), 0.5 - 1 on [5, 10)
    assert crps(f, 3.0) == pytest.approx((0.75 ** 2 * 2 + 0.5 ** 2 * 5) / S)
    assert lag_reference(S, 0.0, [], 0.0).none == 1.0


def test_skill_and_its_bootstrap_interval() -> None:
    same = skill([0.2, 0.3, 0.1], [0.2, 0.3, 0.1])
    assert same.value == 0.0
    assert same.low == pytest.approx(0.0)
    assert same.high == pytest.approx(0.0)
    better = skill([0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.4, 0.2])
    assert better.value == pytest.approx(1 - 0.1 / 0.25)
    assert 0.0 < better.low <= better.value <= better.high < 1.0
    assert skill([0.1], [0.2], seed=3) == skill([0.1], [0.2], seed=3)
    with pytest.raises(ValueError, match="one score and one reference"):
        skill([0.1], [0.2, 0.3])


def test_the_first_official_opening_is_read_from_the_case_files_facts() -> None:
    """Reference (b)'s opening: Camp David's first Track 1 channel is the secret meeting in
    Morocco, 16 September 1977 (a dated set_level in the file); US–Cuba's Swiss protecting
    power is open from the start."""
    from pathlib import Path

    from diplosim.analysis.cases import first_official_opening
    from diplosim.scenario import load_scenario

    root = Path(__file__).resolve().parents[1] / "scenarios"
    camp_david = load_scenario(root / "camp_david_1978.yaml")
    assert first_official_opening(camp_david) == pytest.approx(256 / 365.25)  # 1977-01-03 to 09-16
    assert first_official_opening(load_scenario(root / "us_cuba.yaml")) == 0.0


@settings(max_examples=60, deadline=None)
@given(times=st.lists(st.one_of(st.none(), st.floats(0.0, 12.0)), min_size=1, max_size=30),
       outcome=st.one_of(st.none(), st.floats(0.0, 10.0)))
def test_crps_equals_a_numerical_integral_on_ensembles_with_none(times, outcome) -> None:
    """The exact CRPS against an independent reading of its definition (docs/validity.md): the
    integral over the span of (F(x) - 1{y <= x})^2, F the ensemble's share of runs that agree
    by x (none, or past the span, never), on a fine grid (midpoint rule), in units of the span."""
    span = 10.0
    atoms = np.array([np.nan if t is None else t for t in times])
    grid = (np.arange(200_000) + 0.5) * span / 200_000
    agreed = np.where(np.isnan(atoms), np.inf, atoms)
    f = (agreed[None, :] <= grid[:, None]).mean(axis=1)
    h = np.zeros_like(grid) if outcome is None else (grid >= outcome).astype(float)
    numeric = float(np.mean((f - h) ** 2))
    assert crps(Forecast.ensemble(atoms, span), outcome) == pytest.approx(numeric, abs=2e-4)
