"""Calibration targets from real data: breaks in U.S. diplomatic missions since 1945.

Data: Kenkel, Brenton. U.S. Diplomatic Mission Status Data, v0.1 (2026). CC-BY 4.0. Built from the
Office of the Historian, U.S. Department of State, "A Guide to the United States' History of
Recognition, Diplomatic, and Consular Relations, by Country, since 1776". Shipped unchanged in
``diplosim/data/us_diplomatic_missions/`` with its codebook and source note.

A **break** is coded here as a transition, on or after ``since``, from formal representation
(Embassy, Ambassador Nonresident, Legation, Envoy Nonresident) to ``None`` or ``Interests``; it
lasts until formal representation returns (restored) or is right-censored at the end of the data
(2024-12-31). Intermediate statuses (None, Interests, Liaison, consular) belong to the break. The
rule keeps every such episode, including ones that are not conflict-driven (e.g. the Baltic states
in 1991, Denmark in 1945); filter by country or date to exclude them, and say so.

The model side: :func:`model_closures` turns ``mission_closed`` series of run results into closure
spells in years, censored at the end of the run, so both can be compared (Kaplan–Meier medians,
restored shares, mean durations).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

DATA_FILE = "mission_status_range_cow_v0.1.csv"
FORMAL = ("Embassy", "Ambassador Nonresident", "Legation", "Envoy Nonresident")
BROKEN = ("None", "Interests")
END_OF_DATA = pd.Timestamp("2024-12-31")
YEARS_PER_UNIT = {"day": 1 / 365.25, "week": 7 / 365.25, "month": 1 / 12, "quarter": 0.25,
                  "year": 1.0}
CREDIT = ("Kenkel, Brenton. U.S. Diplomatic Mission Status Data, v0.1 (2026). CC-BY 4.0. "
          "Built from the Office of the Historian, U.S. Department of State.")


def load_mission_ranges(path: str | Path | None = None) -> pd.DataFrame:
    """The range data set (one row per country and date range). ``None`` is kept as a string."""
    default = files("diplosim") / "data" / "us_diplomatic_missions" / DATA_FILE
    source = Path(path) if path else default
    with source.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, keep_default_na=False, parse_dates=["date_start", "date_end"])
    return df


def mission_breaks(ranges: pd.DataFrame, since: str = "1945-01-01") -> pd.DataFrame:
    """One row per break: country, start, end (NaT if not restored), restored, interests, years."""
    rows = []
    cutoff = pd.Timestamp(since)
    ordered = ranges.sort_values(["country_code_cow", "date_start"])
    for _, g in ordered.groupby("country_code_cow", sort=False):
        status = g["us_mission_status"].to_numpy()
        start = g["date_start"].to_numpy()
        name = g["country_name_cow"].iloc[0]
        i = 1
        while i < len(g):
            if status[i] in BROKEN and status[i - 1] in FORMAL and start[i] >= cutoff:
                j = i
                while j < len(g) and status[j] not in FORMAL:
                    j += 1
                end = pd.Timestamp(start[j]) if j < len(g) else pd.NaT
                held = list(dict.fromkeys(status[i:j]))
                rows.append({
                    "country": name,
                    "start": pd.Timestamp(start[i]),
                    "end": end,
                    "restored": j < len(g),
                    "interests": "Interests" in held,
                    "statuses": "/".join(held),
                })
                i = j
            else:
                i += 1
    out = pd.DataFrame(rows, columns=["country", "start", "end", "restored", "interests",
                                      "statuses"])
    last = out["end"].fillna(END_OF_DATA)
    out["years"] = (last - out["start"]).dt.days / 365.25
    return out


def km_median(durations: np.ndarray, observed: np.ndarray) -> float:
    """Kaplan–Meier median duration with right-censoring (scipy.stats.ecdf); NaN if not reached."""
    if durations.size == 0:
        return float("nan")
    data = stats.CensoredData(uncensored=durations[observed], right=durations[~observed])
    sf = stats.ecdf(data).sf
    below = np.flatnonzero(sf.probabilities <= 0.5)
    return float(sf.quantiles[below[0]]) if below.size else float("nan")


def break_statistics(durations_years: np.ndarray, restored: np.ndarray,
                     interests: np.ndarray | None = None) -> dict[str, float]:
    """Count, share restored, median and mean of restored breaks, KM median, interests share."""
    d = np.asarray(durations_years, dtype=float)
    r = np.asarray(restored, dtype=bool)
    out = {
        "breaks": float(d.size),
        "restored_share": float(r.mean()) if d.size else float("nan"),
        "median_years_restored": float(np.median(d[r])) if r.any() else float("nan"),
        "mean_years_restored": float(d[r].mean()) if r.any() else float("nan"),
        "km_median_years": km_median(d, r),
    }
    if interests is not None:
        out["interests_share"] = float(np.mean(interests)) if d.size else float("nan")
    return out


def model_closures(dyads: pd.DataFrame, time_unit: str) -> pd.DataFrame:
    """Mission-closure spells from run results (``dyads`` table, with or without replications).

    One row per maximal run of steps with ``mission_closed == 1``: replication, dyad, start, end
    (NaN if still closed at the end: censored), restored, years.
    """
    if time_unit not in YEARS_PER_UNIT:
        raise ValueError(f"time unit {time_unit!r} has no length in years; "
                         f"known: {', '.join(YEARS_PER_UNIT)}")
    per = YEARS_PER_UNIT[time_unit]
    keys = ["replication", "dyad"] if "replication" in dyads.columns else ["dyad"]
    rows = []
    for key, g in dyads.sort_values([*keys, "step"]).groupby(keys, sort=False):
        closed = g["mission_closed"].to_numpy().astype(bool)
        steps = g["step"].to_numpy()
        edges = np.diff(np.concatenate([[0], closed.astype(int), [0]]))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            restored = e < len(closed)
            end_step = steps[e] if restored else steps[-1]
            rows.append({
                **dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                "start": steps[s],
                "end": steps[e] if restored else np.nan,
                "restored": restored,
                "years": (end_step - steps[s]) * per,
            })
    return pd.DataFrame(rows, columns=[*keys, "start", "end", "restored", "years"])
