"""Rates in calendar time (``rates: per_year``): each conversion checked against its closed form,
then one scenario written in weeks, months and quarters (tests/data/calendar_rates.yaml, only
``time_unit`` and ``steps`` changed) compared over replications.

What holds is stated here as found (docs/model.md, "Rates in calendar time"): the converted
rules give the same tension and misperception at the same dates in weeks and months, and the same
closure and restoration dates, share of runs reaching agreement and time to agreement in weeks,
months and quarters, within their sampling spread (and what a step cannot resolve: a date is
known to a step). That needs the three calendar-time rules of the engine: ripeness reads the
window's average and net change (not its lowest value and range, which finer steps widen), a
channel may move several levels within a step, and talks play the rounds of the step they open.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplosim.io.errors import InputError
from diplosim.results import RunResult, replication_seeds, simulate, simulate_many
from diplosim.scenario import load_scenario, scenario_from_text
from diplosim.scenario.rates import (
    YEARS_PER_STEP,
    diffusion,
    event_time,
    hazard,
    hazards,
    relaxation,
    rounds_in_step,
)

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "tests" / "data" / "calendar_rates.yaml"
STEPS = {"week": 522, "month": 120, "quarter": 40}  # ten years
REPS = 300


@given(st.floats(0.0, 20.0), st.sampled_from(sorted(YEARS_PER_STEP)))
def test_a_relaxation_over_a_year_is_the_same_whatever_the_step(rate: float, unit: str) -> None:
    """(1 - k)^n with k = 1 - exp(-r dt) and n dt = 1 year: exactly exp(-r)."""
    dt = YEARS_PER_STEP[unit]
    k = relaxation(rate, dt)
    assert (1 - k) ** (1 / dt) == pytest.approx(math.exp(-rate), rel=1e-9, abs=1e-12)


@given(st.floats(0.0, 1.0), st.sampled_from(sorted(YEARS_PER_STEP)))
def test_a_hazard_survives_a_year_alike_whatever_the_step(p: float, unit: str) -> None:
    dt = YEARS_PER_STEP[unit]
    q = hazard(p, dt)
    assert 0.0 <= q <= 1.0
    assert (1 - q) ** (1 / dt) == pytest.approx(1 - p, abs=1e-9)


@given(st.floats(0.0, 1.0, exclude_max=True), st.floats(1e-6, 1.0, exclude_max=True),
       st.sampled_from(sorted(YEARS_PER_STEP)))
def test_an_event_time_inverts_the_hazard(u: float, p: float, unit: str) -> None:
    """A move decided by ``u < hazards(p, dt)`` happened at ``event_time(u, p)`` within the step,
    and the hazard over that time is ``u`` again (what a channel's further moves start from)."""
    dt = YEARS_PER_STEP[unit]
    moved = u < float(hazards(np.array([p]), dt)[0])
    when = float(event_time(np.array([u]), np.array([p]))[0])
    assert (when <= dt) == moved or math.isclose(when, dt)
    assert float(hazards(np.array([p]), when)[0]) == pytest.approx(u, abs=1e-9)
    assert float(event_time(np.array([u]), np.array([1.0]))[0]) == 0.0  # certain: at once


def test_noise_variance_adds_up_to_a_year() -> None:
    for unit, dt in YEARS_PER_STEP.items():
        assert diffusion(0.2, dt) ** 2 / dt == pytest.approx(0.04), unit


def test_rounds_spread_evenly_over_the_steps() -> None:
    assert [rounds_in_step(t, 24, 1 / 12) for t in range(1, 13)] == [2] * 12
    weekly = [rounds_in_step(t, 24, 7 / 365.25) for t in range(1, 523)]  # 522 weeks: 9.996 y
    assert set(weekly) == {0, 1}
    assert sum(weekly) == math.floor(24 * 522 * 7 / 365.25)
    assert [rounds_in_step(t, 24, 0.25) for t in range(1, 5)] == [6, 6, 6, 6]


def test_per_step_files_keep_their_values() -> None:
    """Without ``rates`` a file means what it always meant: its values are the step's."""
    scenario = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    assert scenario.spec.rates == "per_step"
    assert scenario.compiled.step.tension is scenario.spec.tension
    assert scenario.compiled.step.hazard_exponent == 1.0


def test_per_year_values_are_converted_to_the_step() -> None:
    scenario = load_scenario(CASE)
    step, spec = scenario.compiled.step, scenario.spec
    assert step.years == pytest.approx(1 / 12)
    assert step.tension.drift == pytest.approx(1 - math.exp(-spec.tension.drift / 12))
    assert step.tension.noise == pytest.approx(spec.tension.noise / math.sqrt(12))
    assert step.window == 6  # half a year of months
    assert step.cooldown == 3


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"time_unit": "round"}, "rates", "calendar time_unit"),
    ({"rates": "per_step"}, "negotiation.rounds_per_year", "need rates: per_year"),
    ({"rates": "per_step", "negotiation.rounds_per_year": None,
      "tension.drift": 2.0}, "tension.drift", "rates: per_year"),
    ({"rates": "per_step", "negotiation.rounds_per_year": None,
      "negotiation.ripeness.window": 0.5}, "negotiation.ripeness.window", "whole steps"),
    ({"rates": "per_step", "negotiation.rounds_per_year": None,
      "negotiation.cooldown": 0.25}, "negotiation.cooldown", "whole steps"),
])
def test_ambiguous_values_are_located(change: dict[str, object], path: str, words: str) -> None:
    if "time_unit" in change:  # no calendar: the start date must go too
        text = CASE.read_text().replace("time_unit: month", "time_unit: round").replace(
            "start: 2000-01-01\n", "").replace("at: 2002-03-10", "at: 27").replace(
            "at: 2004-06-15", "at: 54")
        with pytest.raises(InputError) as caught:
            scenario_from_text(text, source="case.yaml")
    else:
        with pytest.raises(InputError) as caught:
            load_scenario(CASE, change)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert words in problem.message
    assert problem.line is not None


@cache
def runs(unit: str, without_talks: bool = False) -> tuple[RunResult, ...]:
    sets: dict[str, object] = {"time_unit": unit, "steps": STEPS[unit]}
    if without_talks:
        sets["negotiation"] = None
    scenario = load_scenario(CASE, sets)
    return tuple(simulate_many(scenario, replication_seeds(7, REPS)))


def at_years(results: tuple[RunResult, ...], unit: str, column: str, years: float) -> np.ndarray:
    step = round(years / YEARS_PER_STEP[unit])
    return np.array([r.dyads.loc[r.dyads["step"] == step, column].iloc[0] for r in results])


def years_of(results: tuple[RunResult, ...], unit: str, column: str) -> np.ndarray:
    v = pd.concat([r.summary for r in results])[column].to_numpy(dtype=float)
    return v[~np.isnan(v)] * YEARS_PER_STEP[unit]


def same_mean(a: np.ndarray, b: np.ndarray, slack: float = 0.0) -> bool:
    """Means within four standard errors of their difference, plus ``slack``: what the step
    cannot resolve (a date is known to a step; a state in [0, 1] to a hundredth)."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) <= 4 * se + slack


def same_share(a: int, b: int, n: int) -> bool:
    pa, pb = a / n, b / n
    se = math.sqrt(max(pa * (1 - pa) + pb * (1 - pb), 1e-12) / n)
    return abs(pa - pb) <= 4 * se


@pytest.mark.slow
@pytest.mark.parametrize("years", [1.0, 2.0, 5.0, 8.0])
@pytest.mark.parametrize("column", ["tension", "misperception"])
def test_weeks_and_months_give_the_same_dynamics(column: str, years: float) -> None:
    weeks = at_years(runs("week", True), "week", column, years)
    months = at_years(runs("month", True), "month", column, years)
    assert same_mean(weeks, months, slack=0.01), (weeks.mean(), months.mean())


@pytest.mark.slow
def test_weeks_and_months_give_the_same_restorations() -> None:
    """Restoration (years from the start) among restored runs, and the share restored."""
    weeks, months = (years_of(runs(u), u, "mission_reopened") for u in ("week", "month"))
    assert same_share(weeks.size, months.size, REPS)
    assert same_mean(weeks, months, slack=YEARS_PER_STEP["month"]), (weeks.mean(), months.mean())


@pytest.mark.slow
def test_closures_fall_in_the_same_step_of_the_coarser_calendar() -> None:
    for unit in ("week", "month", "quarter"):
        closed = years_of(runs(unit), unit, "first_mission_closure")
        assert np.median(closed) == pytest.approx(2.25, abs=YEARS_PER_STEP["quarter"]), unit


@pytest.mark.slow
def test_the_share_reaching_agreement_is_the_same_whatever_the_step() -> None:
    shares = {u: years_of(runs(u), u, "first_agreement").size for u in STEPS}
    assert same_share(shares["week"], shares["month"], REPS), shares
    assert same_share(shares["week"], shares["quarter"], REPS), shares


@pytest.mark.slow
def test_the_time_to_agreement_is_the_same_whatever_the_step() -> None:
    """Years to the first agreement among runs that reach one, within the spread and a step."""
    weeks = years_of(runs("week"), "week", "first_agreement")
    for unit in ("month", "quarter"):
        other = years_of(runs(unit), unit, "first_agreement")
        assert same_mean(weeks, other, slack=YEARS_PER_STEP[unit]), (unit, weeks.mean(),
                                                                     other.mean())


@pytest.mark.slow
def test_quarters_give_the_same_restorations_as_weeks() -> None:
    weeks, quarters = (years_of(runs(u), u, "mission_reopened") for u in ("week", "quarter"))
    assert same_share(weeks.size, quarters.size, REPS)
    assert same_mean(weeks, quarters, slack=YEARS_PER_STEP["quarter"])


def test_one_run_of_the_case() -> None:
    r = simulate(load_scenario(CASE), rng=1)
    assert r.summary["first_mission_closure"].notna().all()
