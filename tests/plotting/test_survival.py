"""Kaplan–Meier survival of channels after mission closure, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from diplosim.analysis import channel_survival, closure_durations, kaplan_meier


def test_kaplan_meier_band_is_greenwood_on_the_log_log_scale() -> None:
    # times 2, 3, 3, 5 closed; 4 and 6 still open at the end (censored)
    km = kaplan_meier(np.array([2, 3, 3, 5, 4, 6]), np.array([1, 1, 1, 1, 0, 0], bool))
    # Greenwood: V(t) = sum d / (n (n - d)) over event times up to t
    #   t=2: n=6, d=1 -> S = 5/6, V = 1/30
    #   t=3: n=5, d=2 -> S = 1/2, V = 1/30 + 2/15 = 1/6
    #   t=5: n=2, d=1 -> S = 1/4, V = 1/6 + 1/2 = 2/3
    z = norm.ppf(0.975)
    for t, s, v in [(2, 5 / 6, 1 / 30), (3, 0.5, 1 / 6), (4, 0.5, 1 / 6), (5, 0.25, 2 / 3),
                    (6, 0.25, 2 / 3)]:
        theta, se = np.log(-np.log(s)), np.sqrt(v) / abs(np.log(s))
        row = km[km["time"] == t].iloc[0]
        assert row["survival"] == pytest.approx(s, abs=1e-12)
        assert row["lower"] == pytest.approx(np.exp(-np.exp(theta + z * se)), abs=1e-9)
        assert row["upper"] == pytest.approx(np.exp(-np.exp(theta - z * se)), abs=1e-9)
    # numbers to the fourth decimal, as a reader would check them on paper
    assert km["lower"].round(4).tolist() == [1.0, 0.2731, 0.1109, 0.1109, 0.0123, 0.0123]
    assert km["upper"].round(4).tolist() == [1.0, 0.9747, 0.8037, 0.8037, 0.6459, 0.6459]
    assert km["events"].tolist() == [0, 1, 2, 0, 1, 0]
    assert km["censored"].tolist() == [0, 0, 0, 1, 0, 1]


def test_a_curve_with_no_events_stays_at_one_with_a_flat_band() -> None:
    km = kaplan_meier(np.array([5.0, 7.0]), np.array([False, False]))
    assert km["survival"].tolist() == [1.0, 1.0, 1.0]
    assert (km["lower"] == 1.0).all()
    assert (km["upper"] == 1.0).all()
    assert kaplan_meier(np.zeros(0), np.zeros(0, bool))["at_risk"].tolist() == [0]


def spells_table() -> pd.DataFrame:
    """Two dyads of one run of 20 steps; the first closes its missions at step 4, the second
    at step 10. Columns as in the ``spells`` results table."""
    rows = [
        # channel, kind, dyad, opened, closed, first_closure, open_at_closure
        ("e1", "embassy", "a-b", 0, 6, 4, True),      # ends 2 after closure
        ("e2", "embassy", "a-b", 0, 4, 4, False),     # closed with the mission: not at risk
        ("b1", "backchannel", "a-b", 0, None, 4, True),  # open to the end: censored at 16
        ("w1", "workshop", "a-b", 0, 9, 4, True),     # ends 5 after closure
        ("w2", "workshop", "c-d", 2, 13, 10, True),   # ends 3 after its dyad's closure
        ("w3", "workshop", "c-d", 12, None, 10, False),  # opened after the closure
        ("b2", "backchannel", "c-d", 0, None, 10, True),  # censored at 10
    ]
    last = 20
    frame = pd.DataFrame(rows, columns=["channel", "kind", "dyad", "opened", "closed",
                                        "first_closure", "open_at_closure"])
    frame["censored"] = frame["closed"].isna()
    frame["duration"] = frame["closed"].fillna(last) - frame["opened"]
    frame["closed_since_closure"] = frame["closed"] - frame["first_closure"]
    return frame


def test_durations_count_from_each_dyads_own_closure_and_censor_at_the_end() -> None:
    d = closure_durations(spells_table(), last_step=20).set_index("channel")
    assert sorted(d.index) == ["b1", "b2", "e1", "w1", "w2"]
    assert d["time"].to_dict() == {"e1": 2, "b1": 16, "w1": 5, "w2": 3, "b2": 10}
    assert d["event"].to_dict() == {"e1": True, "b1": False, "w1": True, "w2": True,
                                    "b2": False}
    # without last_step, a censored spell ends at its own opened + duration
    derived = closure_durations(spells_table()).set_index("channel")
    assert derived["time"].to_dict() == d["time"].to_dict()


def test_channel_survival_by_kind_is_kaplan_meier_per_group() -> None:
    km = channel_survival(spells_table(), by="kind")
    work = km[km["group"] == "workshop"]
    # two workshops at risk, ending 3 and 5 after closure: 1, 1/2, 0
    assert work["time"].tolist() == [0, 3, 5]
    assert work["survival"].tolist() == [1.0, 0.5, 0.0]
    assert work["at_risk"].tolist() == [2, 2, 1]
    back = km[km["group"] == "backchannel"]
    assert back["survival"].tolist() == [1.0, 1.0, 1.0]
    assert back["censored"].tolist() == [0, 1, 1]
    assert list(km.columns) == ["group", "time", "survival", "lower", "upper", "at_risk",
                                "events", "censored"]
    by_dyad = channel_survival(spells_table(), by="dyad")
    assert set(by_dyad["group"]) == {"a-b", "c-d"}
    none = channel_survival(spells_table().assign(open_at_closure=False))
    assert none.empty
    assert list(none.columns) == ["group", "time", "survival", "lower", "upper", "at_risk",
                                  "events", "censored"]
