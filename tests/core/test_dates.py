"""The calendar: steps to dates, dates to steps, dated events and their errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplosim.cli import main
from diplosim.io.errors import InputError
from diplosim.results.tables import simulate
from diplosim.scenario import load_scenario, scenario_from_text
from diplosim.scenario.dates import CALENDAR_UNITS, date_of, period_of, periods_of, step_of
from diplosim.scenario.schema import EventType

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
    st.integers(min_value=1, max_value=2000))
def test_row_dates_open_their_steps(start: dt.date, unit: str, k: int) -> None:
    """Row k is dated where step k begins (the first day of its period); the day before lies
    in step k - 1; date_of(k) is where step k ends and step k + 1 begins."""
    first_days, labels = periods_of([k], start, unit)
    first = first_days[0].item()
    assert step_of(first, start, unit) == k
    assert step_of(first - dt.timedelta(days=1), start, unit) == k - 1
    assert step_of(date_of(k, start, unit), start, unit) == k + 1
    assert labels[0] == period_of(k, start, unit)
    if unit in ("day", "week"):
        assert labels[0] == first.isoformat()


def test_period_labels() -> None:
    assert period_of(1, dt.date(1961, 1, 1), "month") == "1961-01"
    assert period_of(655, dt.date(1961, 1, 1), "month") == "2015-07"
    assert period_of(63, dt.date(2004, 1, 1), "quarter") == "2019-Q3"
    assert period_of(3, dt.date(1976, 1, 1), "year") == "1978"
    assert period_of(92, dt.date(1976, 12, 27), "week") == "1978-09-25"
    assert period_of(1, dt.date(1993, 1, 4), "day") == "1993-01-04"
    # periods that do not start on a calendar boundary are named by their first day
    assert period_of(2, dt.date(1961, 1, 15), "month") == "1961-02-15"
    assert period_of(1, dt.date(2004, 2, 1), "quarter") == "2004-02-01"
    assert period_of(1, dt.date(1976, 7, 1), "year") == "1976-07-01"
    assert period_of(0, dt.date(1961, 1, 1), "month") == "1960-12"  # row 0: the period before


def test_dated_events_and_date_columns() -> None:
    scenario = scenario_from_text(BASE)
    assert [e.step for e in scenario.compiled.events] == [1, 18]
    r = simulate(scenario, rng=1)
    for table in (r.dyads, r.open_channels, r.level_changes, r.events):
        assert list(table.columns[:3]) == ["step", "date", "period"]
    rows = r.dyads.set_index("step")
    assert rows.loc[0, "date"] == np.datetime64("1960-12-01")  # the state before step 1
    assert rows.loc[1, "date"] == np.datetime64("1961-01-01")
    assert rows.loc[18, "period"] == "1962-06"
    # dated events keep their own dates, and name the period of their step
    assert list(r.events["date"]) == [np.datetime64("1961-01-03"), np.datetime64("1962-06-15")]
    assert list(r.events["period"]) == ["1961-01", "1962-06"]
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


LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_dated_event_of_the_library_keeps_its_date(path: Path) -> None:
    scenario = load_scenario(path)
    dated = [e for e in scenario.spec.events if isinstance(e.at, dt.date)]
    if not dated:
        pytest.skip("no dated events")
    r = simulate(scenario, rng=1)
    ev = r.events[r.events["type"].isin({t.value for t in EventType})]
    assert len(ev) == len(scenario.spec.events)  # every scheduled event: by step, then file order
    steps = [e.step for e in scenario.compiled.events]
    in_order = [scenario.spec.events[i] for i in sorted(range(len(steps)), key=steps.__getitem__)]
    for spec, row in zip(in_order, ev.itertuples(), strict=True):
        assert row.type == spec.type.value
        assert row.label == spec.label
        if isinstance(spec.at, dt.date):
            assert row.date == np.datetime64(spec.at), (spec.label, row.date)
            start = scenario.spec.start
            assert start is not None
            assert row.period == period_of(step_of(spec.at, start, scenario.spec.time_unit),
                                           start, scenario.spec.time_unit)


def test_us_cuba_summary_reads_periods(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    assert main(["run", str(LIBRARY / "us_cuba.yaml"), "--reps", "2", "--no-plots",
                 "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert re.search(r"missions restored \(period\)\s+2015-07\n", text), text
    assert re.search(r"first mission closure \(period, median \[range\]\)\s+1961-01\n", text)
