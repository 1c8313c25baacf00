"""Calibration targets from the U.S. mission data match the domain brief's figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from diplosim.analysis.calibration import (
    break_statistics,
    km_median,
    load_mission_ranges,
    mission_breaks,
    model_closures,
)


@pytest.fixture(scope="module")
def breaks() -> pd.DataFrame:
    return mission_breaks(load_mission_ranges())


def test_brief_numbers(breaks: pd.DataFrame) -> None:
    # Brief: ~45 breaks since 1945, ~87% restored, median restored < 3 years, mean ~7, ~30% with
    # an interests section.
    s = break_statistics(breaks.years.to_numpy(), breaks.restored.to_numpy(),
                         breaks.interests.to_numpy())
    assert s["breaks"] == 45
    assert s["restored_share"] == pytest.approx(39 / 45)
    assert s["median_years_restored"] < 3
    assert 6 < s["mean_years_restored"] < 8
    assert s["interests_share"] == pytest.approx(13 / 45)


def test_known_episodes(breaks: pd.DataFrame) -> None:
    cuba = breaks[breaks.country == "Cuba"].iloc[0]
    assert cuba.start == pd.Timestamp("1961-01-03")
    assert cuba.end == pd.Timestamp("2015-07-20")
    assert cuba.statuses == "None/Interests"
    iran = breaks[breaks.country == "Iran"].iloc[0]
    assert not iran.restored
    assert pd.isna(iran.end)
    assert iran.interests
    # Seven Arab states broke with the U.S. on 6–7 June 1967 (the brief's clustering example).
    june67 = breaks[(breaks.start >= "1967-06-06") & (breaks.start <= "1967-06-07")]
    assert len(june67) == 7


def test_km_median_with_censoring() -> None:
    # Durations 1, 2, 3 observed and 4 censored: S = 0.75, 0.5 at t=2 -> median 2.
    d = np.array([1.0, 2.0, 3.0, 4.0])
    assert km_median(d, np.array([True, True, True, False])) == 2.0
    # All censored: the median is never reached.
    assert np.isnan(km_median(d, np.zeros(4, dtype=bool)))


def test_model_closures_spells() -> None:
    dyads = pd.DataFrame({
        "replication": 0,
        "dyad": "A-B",
        "step": np.arange(10),
        "mission_closed": [0, 1, 1, 0, 0, 1, 1, 1, 1, 1],
    })
    out = model_closures(dyads, "month")
    assert out.start.tolist() == [1, 5]
    assert out.restored.tolist() == [True, False]
    assert out.years.tolist() == pytest.approx([2 / 12, 4 / 12])
    with pytest.raises(ValueError, match="no length in years"):
        model_closures(dyads, "fortnight")
