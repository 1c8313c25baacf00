"""Survival of channels after the first mission closure (Kaplan–Meier, right-censored).

A channel enters the analysis if it was open when its dyad's missions first closed
(``open_at_closure`` in the spells table). Its time is counted from that closure: the step at
which the spell ended (an event), or the last simulated step (right-censored). The estimator is
``scipy.stats.ecdf`` on ``scipy.stats.CensoredData`` with its pointwise confidence band
(Greenwood's variance; ``method="log-log"`` keeps the band inside [0, 1]).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

SURVIVAL_COLUMNS = ["group", "time", "survival", "lower", "upper", "at_risk", "events",
                    "censored"]


def closure_durations(spells: pd.DataFrame, last_step: int | pd.Series | None = None
                      ) -> pd.DataFrame:
    """Spells open at the first mission closure: time since closure and whether censored.

    ``last_step`` is the final step of the run (a number, or a Series aligned with ``spells``
    when replications differ in length). Without it, a censored spell ends where its own
    ``opened + duration`` says (the last step of its run).
    """
    at = spells[spells["open_at_closure"].astype(bool)].copy()
    if last_step is None:
        last = (at["opened"] + at["duration"]).to_numpy(dtype=float)
    elif isinstance(last_step, pd.Series):
        last = last_step.loc[at.index].to_numpy(dtype=float)
    else:
        last = np.full(len(at), float(last_step))
    censored = at["censored"].astype(bool).to_numpy()
    ended = at["closed_since_closure"].to_numpy(dtype=float)
    at["time"] = np.where(censored, last - at["first_closure"].to_numpy(dtype=float), ended)
    at["event"] = ~censored
    return at


def kaplan_meier(time: np.ndarray, event: np.ndarray, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival at each distinct time, with its band, risk set and counts.

    Row 0 is time 0 (survival 1). ``at_risk`` is the number still under observation just before
    the time; ``events`` and ``censored`` count what happened at it.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    rows = [{"time": 0.0, "survival": 1.0, "lower": 1.0, "upper": 1.0,
             "at_risk": int(time.size), "events": 0, "censored": 0}]
    if time.size == 0:
        return pd.DataFrame(rows)
    data = stats.CensoredData(uncensored=time[event], right=time[~event])
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(confidence_level=confidence, method="log-log")
    # log-log bands are undefined where survival reaches 0: keep the last defined bound
    low = np.nan_to_num(band.low.probabilities, nan=0.0)
    high = pd.Series(band.high.probabilities).ffill().fillna(1.0).to_numpy()
    for i, t in enumerate(sf.quantiles):
        rows.append({
            "time": float(t), "survival": float(sf.probabilities[i]),
            "lower": float(low[i]), "upper": float(high[i]),
            "at_risk": int((time >= t).sum()),
            "events": int(((time == t) & event).sum()),
            "censored": int(((time == t) & ~event).sum()),
        })
    frame = pd.DataFrame(rows)
    no_events = frame["events"].cumsum() == 0  # the band is 1 until the first event
    frame.loc[no_events, ["lower", "upper"]] = 1.0
    return frame


def channel_survival(spells: pd.DataFrame, last_step: int | pd.Series | None = None,
                     by: str = "kind", confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier curves of channels open at mission closure, one per ``by`` group
    (``"kind"``, ``"track"``, ``"dyad"``, or any column of the spells table).

    ``spells`` may hold many replications and dyads (pooled; each dyad's time counts from its own
    first closure). ``last_step`` as in :func:`closure_durations`. Returns a tidy frame with
    columns ``group, time, survival, lower, upper, at_risk, events, censored``.
    """
    durations = closure_durations(spells, last_step)
    frames = []
    for group, part in durations.groupby(by, sort=True):
        km = kaplan_meier(part["time"].to_numpy(), part["event"].to_numpy(), confidence)
        km.insert(0, "group", group)
        frames.append(km)
    if not frames:
        return pd.DataFrame(columns=SURVIVAL_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SURVIVAL_COLUMNS]
