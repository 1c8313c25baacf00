"""The calendar: steps to dates, dates to steps, dated events and their errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplosim.io.errors import InputError
from diplosim.results.tables import simulate
from diplosim.scenario import scenario_from_text
from diplosim.scenario.dates import CALENDAR_UNITS, date_of, dates_of, step_of

BASE = """
name: cal
time_unit: month
start: 1961-01-01
steps: 24
states: [{id: a}, {id: b}]
actors:
  list:
    - {id: a_mfa, state: a, kind: mfa, tracks: ["1"], access: 1}
    - {id: b_mfa, state: b, kind: mfa, tracks: ["1"], access: 1}
channels:
  embassy:
    track: "1"
    mission: true
    links: [{id: emb, between: [a_mfa, b_mfa]}]
events:
  - {at: 1961-01-03, type: set_ceiling, channels: {kind: embassy}, level: 0, label: broken}
  - {at: 1962-06-15, type: set_ceiling, channels: {kind: embassy}, level: 1, label: restored}
"""


def test_hand_derived_steps() -> None:
    start = dt.date(1961, 1, 1)
    # step k spans [start + (k-1) months, start + k months)
    assert step_of(dt.date(1961, 1, 1), start, "month") == 1
    assert step_of(dt.date(1961, 1, 31), start, "month") == 1
    assert step_of(dt.date(1961, 2, 1), start, "month") == 2
    assert step_of(dt.date(1977, 9, 1), start, "month") == 201
    assert step_of(dt.date(1960, 12, 31), start, "month") == 0
    assert step_of(dt.date(1993, 9, 13), dt.date(1993, 1, 4), "week") == 37
    assert step_of(dt.date(2004, 7, 1), dt.date(2004, 1, 1), "quarter") == 3
    assert step_of(dt.date(2015, 7, 20), dt.date(1961, 1, 15), "year") == 55
    assert step_of(dt.date(2015, 1, 14), dt.date(1961, 1, 15), "year") == 54
    assert date_of(200, start, "month") == dt.date(1977, 9, 1)
    assert date_of(2, dt.date(2004, 1, 1), "quarter") == dt.date(2004, 7, 1)
    assert date_of(36, dt.date(1993, 1, 4), "week") == dt.date(1993, 9, 13)


@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 1, 1)).filter(
    lambda d: d.day <= 28), st.sampled_from(sorted(CALENDAR_UNITS)),
    st.integers(min_value=0, max_value=2000))
def test_row_dates_open_their_steps(start: dt.date, unit: str, k: int) -> None:
    """Row k is dated where step k + 1 begins; the day before still lies in step k."""
    when = date_of(k, start, unit)
    assert step_of(when, start, unit) == k + 1
    assert step_of(when - dt.timedelta(days=1), start, unit) == k
    assert dates_of([k], start, unit)[0] == np.datetime64(when)


def test_dated_events_and_date_columns() -> None:
    scenario = scenario_from_text(BASE)
    assert [e.step for e in scenario.compiled.events] == [1, 18]
    r = simulate(scenario, rng=1)
    for table in (r.dyads, r.open_channels, r.level_changes, r.events):
        assert "date" in table.columns
    assert r.dyads["date"].iloc[0] == np.datetime64("1961-01-01")
    assert list(r.events["date"]) == [np.datetime64("1961-02-01"), np.datetime64("1962-07-01")]
    closed = r.dyads.set_index("step")["mission_closed"]
    assert closed.loc[1:17].all()
    assert not closed.loc[18:].any()


def test_step_and_date_events_mix() -> None:
    scenario = scenario_from_text(BASE.replace("at: 1962-06-15", "at: 18"))
    assert [e.step for e in scenario.compiled.events] == [1, 18]


@pytest.mark.parametrize(("change", "path", "words"), [
    (("at: 1961-01-03", "at: 1960-12-31"), "events.0.at", "before the start"),
    (("at: 1962-06-15", "at: 1963-01-01"), "events.1.at", "after the end of the run"),
    (("start: 1961-01-01\n", ""), "events.0.at", "needs the scenario's start date"),
    (("time_unit: month", "time_unit: fortnight"), "time_unit", "calendar time_unit"),
    (("start: 1961-01-01", "start: 1961-01-31"), "start", "ambiguous"),
    (("start: 1961-01-01", "start: 1961-02-30"), "start", ""),
])
def test_bad_dates_are_located(change: tuple[str, str], path: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        scenario_from_text(BASE.replace(*change), source="cal.yaml")
    problem = info.value.problems[0]
    assert problem.path == path
    assert words in problem.message
    assert problem.line is not None


def test_a_run_past_year_9999_is_refused() -> None:
    with pytest.raises(InputError) as info:
        scenario_from_text(BASE.replace("steps: 24", "steps: 120000"), source="cal.yaml")
    assert info.value.problems[0].path == "steps"
    assert "year 9999" in info.value.problems[0].message
