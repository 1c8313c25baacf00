"""Calibration targets from real data: breaks in U.S. diplomatic missions since 1945.

Data: Kenkel, Brenton. U.S. Diplomatic Mission Status Data, v0.1 (2026). CC-BY 4.0. Built from the
Office of the Historian, U.S. Department of State, "A Guide to the United States' History of
Recognition, Diplomatic, and Consular Relations, by Country, since 1776". Shipped unchanged in
``diplosim/data/us_diplomatic_missions/`` with its codebook and source note.

A **break** is coded here as a transition, on or after ``since``, from formal representation
(Embassy, Ambassador Nonresident, Legation, Envoy Nonresident) to ``None`` or ``Interests``; it
lasts until formal representation returns (restored) or is right-censored at the end of the data
(2024-12-31). Intermediate statuses (None, Interests, Liaison, consular) belong to the break. The
rule keeps every such episode; :func:`select_episodes` then applies explicit selection rules
(:class:`EpisodeRules`): the period in which the break began and its cause, from our coding of each
break in ``diplosim/data/us_rupture_causes.csv`` — ``rupture`` (relations broken or suspended by
either government), ``evacuation`` (mission closed for security, relations not broken), and
``state_change`` (independence, occupation ending, a state ceasing to exist, recognition moved).
A break not yet restored is censored where the country's record ends: the end of the data, or
the end of the state (South Yemen 1990, South Vietnam 1975).

The model side: :func:`model_closures` turns ``mission_closed`` series of run results into closure
spells in years, censored at the end of the run, so both can be compared (Kaplan–Meier medians,
restored shares, mean durations).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from diplosim.io.options import CAUSES

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


CAUSES_FILE = "us_rupture_causes.csv"


def load_causes(path: str | Path | None = None) -> pd.DataFrame:
    """Our coding of each break's cause: country, start, cause, note."""
    default = files("diplosim") / "data" / CAUSES_FILE
    source = Path(path) if path else default
    with source.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, parse_dates=["start"])


def mission_breaks(ranges: pd.DataFrame, since: str = "1945-01-01") -> pd.DataFrame:
    """One row per break: country, start, end (NaT if not restored), restored, interests,
    statuses, observed_until (where the country's record ends), years (to the restoration or,
    censored, to observed_until), and cause (from :func:`load_causes`; empty if not coded)."""
    rows = []
    cutoff = pd.Timestamp(since)
    ordered = ranges.sort_values(["country_code_cow", "date_start"])
    for _, g in ordered.groupby("country_code_cow", sort=False):
        status = g["us_mission_status"].to_numpy()
        start = g["date_start"].to_numpy()
        name = g["country_name_cow"].iloc[0]
        record_end = min(pd.Timestamp(g["date_end"].max()), END_OF_DATA)
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
                    "observed_until": record_end,
                })
                i = j
            else:
                i += 1
    out = pd.DataFrame(rows, columns=["country", "start", "end", "restored", "interests",
                                      "statuses", "observed_until"])
    for column in ("start", "end", "observed_until"):  # datetime even when no break is found
        out[column] = pd.to_datetime(out[column])
    last = out["end"].fillna(out["observed_until"])
    out["years"] = (last - out["start"]).dt.days / 365.25
    causes = load_causes()
    out = out.merge(causes[["country", "start", "cause"]], on=["country", "start"], how="left")
    out["cause"] = out["cause"].fillna("")
    return out


@dataclass(frozen=True)
class EpisodeRules:
    """Which breaks count as episodes: the period their start falls in (inclusive) and their
    causes. The default keeps conflict ruptures and evacuations of 1945–2024 and leaves out
    state-system changes, which the model does not represent."""

    since: str = "1945-01-01"
    until: str = "2024-12-31"
    causes: tuple[str, ...] = ("rupture", "evacuation")

    def describe(self) -> str:
        return f"breaks begun {self.since} to {self.until}, causes: {', '.join(self.causes)}"


def select_episodes(breaks: pd.DataFrame, rules: EpisodeRules) -> pd.DataFrame:
    """The breaks that the rules keep (a break with no coded cause is kept only if ``rules``
    allow every cause)."""
    unknown = sorted(set(rules.causes) - set(CAUSES))
    if unknown:
        raise ValueError(f"unknown cause(s) {', '.join(unknown)}; known: {', '.join(CAUSES)}")
    start = breaks["start"]
    keep = (start >= pd.Timestamp(rules.since)) & (start <= pd.Timestamp(rules.until))
    every = set(CAUSES) <= set(rules.causes)
    keep &= breaks["cause"].isin(rules.causes) | (every & (breaks["cause"] == ""))
    return breaks[keep].reset_index(drop=True)


def data_episodes(rules: EpisodeRules | None = None,
                  ranges: pd.DataFrame | None = None) -> pd.DataFrame:
    """The episodes of the shipped data (or ``ranges``) that ``rules`` keep."""
    rules = rules or EpisodeRules()
    table = ranges if ranges is not None else load_mission_ranges()
    return select_episodes(mission_breaks(table, since=rules.since), rules)


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
