"""Rupture episodes on one footing, from the data and from the model, and the distance between
them (docs/calibration.md).

An **episode** is a spell without formal relations: its length in years, whether relations were
restored before observation ended (else it is right-censored), and whether an interests section
was used. From the model, an episode is the first spell of a replication in which no
``mission: true`` channel stands at its formal level; it used an interests section when the
mission held its interests level for at least ``interests_min_years`` in total during the spell
(passing through that level on the way up for a step does not count). Simulated episodes are
censored like the data's: episode *e* is followed for the *e*-th (cyclically) of the data's
follow-up times (start of the break to the end of the country's record), so both sides see the
same censoring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Kaplan–Meier curves are compared on this grid (years): quarterly to 80 years.
GRID = np.round(np.arange(0, 80.0001, 0.25), 6)


@dataclass(frozen=True)
class Episodes:
    years: FloatArray
    restored: BoolArray
    interests: BoolArray

    def __len__(self) -> int:
        return int(self.years.size)

    def survival(self, at: FloatArray = GRID) -> FloatArray:
        """Kaplan–Meier probability that relations are still broken at each time of ``at``."""
        return km_survival(self.years, self.restored, at)

    def summary(self) -> dict[str, float | FloatArray]:
        """The statistics the fit compares: the curve on :data:`GRID`, the shares restored and
        with an interests section."""
        return {"km": self.survival(), "restored": float(self.restored.mean()),
                "interests": float(self.interests.mean())}


def km_survival(years: FloatArray, restored: BoolArray, at: FloatArray) -> FloatArray:
    """Kaplan–Meier survival S(t) at the times ``at`` (``scipy.stats.ecdf`` with right
    censoring: an unrestored episode is censored at its length)."""
    d = np.asarray(years, dtype=float)
    r = np.asarray(restored, dtype=bool)
    if not r.any():
        return np.ones(np.size(at))
    data = stats.CensoredData(uncensored=d[r], right=d[~r])
    return np.asarray(stats.ecdf(data).sf.evaluate(np.asarray(at, dtype=float)), dtype=float)


def km_gap(a: Episodes, b: Episodes) -> float:
    """The largest vertical gap between two Kaplan–Meier curves, exactly: both are step
    functions, so the supremum is reached at 0 or at one of their jump times."""
    times = np.union1d(np.concatenate([a.years[a.restored], b.years[b.restored]]), [0.0])
    return float(np.max(np.abs(a.survival(times) - b.survival(times))))


def distance(x: dict[str, object], y: dict[str, object]) -> float:
    """Distance of two summaries: largest gap of the curves on the grid plus the absolute
    differences of the shares restored and with an interests section (each in [0, 1])."""
    km = float(np.max(np.abs(np.asarray(x["km"]) - np.asarray(y["km"]))))
    return (km + abs(float(x["restored"]) - float(y["restored"]))  # type: ignore[arg-type]
            + abs(float(x["interests"]) - float(y["interests"])))  # type: ignore[arg-type]


def from_data(table: pd.DataFrame) -> Episodes:
    """Episodes from :func:`diplosim.analysis.calibration.data_episodes`."""
    return Episodes(years=table["years"].to_numpy(dtype=float),
                    restored=table["restored"].to_numpy(dtype=bool),
                    interests=table["interests"].to_numpy(dtype=bool))


def follow_up_years(table: pd.DataFrame) -> FloatArray:
    """How long each data episode could be observed: start to the end of the country's record."""
    return np.asarray((table["observed_until"] - table["start"]).dt.days / 365.25, dtype=float)


def from_levels(levels: NDArray[np.int8], formal: NDArray[np.int64], interests_level: int | None,
                years_per_step: float, follow_up: FloatArray,
                interests_min_years: float = 0.5) -> Episodes:
    """Episodes from mission levels of a batch (``(steps + 1, reps, missions)``, as
    :func:`~diplosim.engine.batch.mission_levels` returns; ``formal`` per
    mission). A replication whose
    missions never close gives no episode."""
    at_formal = (levels >= formal[None, None, :]).any(axis=2)  # (steps + 1, reps)
    closed = ~at_formal
    steps = closed.shape[0]
    ever = closed[1:].any(axis=0)
    start = np.where(ever, closed[1:].argmax(axis=0) + 1, steps)
    reps = np.flatnonzero(ever)
    follow = np.asarray(follow_up, dtype=float)
    horizon = np.ceil(follow[np.arange(reps.size) % follow.size] / years_per_step).astype(int)
    idx = np.arange(steps)[:, None]
    after = (idx >= start[reps][None, :]) & at_formal[:, reps]
    first_back = np.where(after.any(axis=0), after.argmax(axis=0), steps)
    length = first_back - start[reps]
    seen = follow[np.arange(reps.size) % follow.size]
    restored = (first_back < steps) & (length * years_per_step <= seen)
    length = np.where(restored, length, horizon)
    if interests_level is None:
        interests = np.zeros(reps.size, dtype=bool)
    else:
        span = (idx >= start[reps][None, :]) & (idx < start[reps][None, :] + length[None, :])
        at_interests = (levels[:, reps, :] == interests_level).any(axis=2)
        held = (span & at_interests).sum(axis=0) * years_per_step
        interests = held >= interests_min_years - 1e-9
    years = np.where(restored, length * years_per_step, seen)
    return Episodes(years=years, restored=restored, interests=interests)
