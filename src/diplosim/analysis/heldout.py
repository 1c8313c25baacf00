"""The held-out study of docs/validity.md: a joint fit's forecasts of cases it did not see,
scored against forecasts that use no model.

For one fit (its folder: ``posterior.parquet``, with the structure's fixed values as columns,
and ``provenance.json``), each case gets a forecast of its first agreement: ``draws``
replications, one posterior draw each, with the fit's root seed
(:func:`diplosim.analysis.joint_fit.predict`). It is scored by the CRPS on the span and the log
score on periods (:mod:`diplosim.analysis.scores`), as are the two references, (a) uniform over
the span and (b) the first official channel's opening plus the other cases' lags, both built
from the *other* cases only (training and test cases alike, never the case itself). The test
cases (:data:`~diplosim.analysis.cases.TEST_CASES`) are held out; the training cases are scored
too, marked in sample. :func:`skill_table` gives the skill against each reference over the test
cases with its bootstrap interval; :func:`say_no_table` whether the model can say no: the mean
share of runs that agree on the test cases that reached no agreement and on those that reached
one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diplosim.analysis import scores as sc
from diplosim.analysis.cases import (
    BY_NAME,
    CASES,
    TEST_BY_NAME,
    TEST_CASES,
    Case,
    first_official_opening,
    real_years,
)
from diplosim.analysis.joint_fit import JointModel, predict
from diplosim.io.errors import InputError
from diplosim.io.outputs import read_marker
from diplosim.results.posterior import read_posterior

DRAWS = 200  # replications per forecast, one posterior draw each (docs/validity.md)
ALL: dict[str, Case] = {**BY_NAME, **TEST_BY_NAME}


def read_fit(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A complete joint fit's posterior (a frame with ``weight``) and provenance."""
    posterior = read_posterior(folder)
    marker = read_marker(Path(folder)) or {}
    if marker.get("fit") != "joint":
        raise InputError.single("not the folder of a joint fit", source=str(folder),
                                allowed="the --out folder of diplosim calibrate --joint")
    frame = posterior.values.assign(weight=posterior.weights)
    return frame, marker


def facts_of(model: JointModel, names: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Per case, read from its file (not run): when its first official channel opens and its
    real first agreement, in years from its start (NaN: none) — what the references need."""
    out = {}
    for name in names:
        scenario = model.base(name)
        start = scenario.spec.start
        assert start is not None
        real = real_years(ALL[name], start)
        out[name] = (first_official_opening(scenario), np.nan if real is None else real)
    return out


def score_fit(folder: str | Path, draws: int = DRAWS,
              cases: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per case: the fit's forecast (median, 90% interval, share agreeing), whether
    the outcome is inside, its CRPS and log score, and the references' (docs/validity.md)."""
    posterior, marker = read_fit(folder)
    seed = int(marker["root_seed"])
    model = JointModel(marker["parameter_set"]["name"], (), 1, targets=ALL)
    names = list(cases) if cases is not None else [c.name for c in (*TEST_CASES, *CASES)]
    for name in names:
        if name not in ALL:
            raise InputError.single("not a case of the study", source="cases", value=name,
                                    allowed=", ".join(ALL))
    facts = facts_of(model, ALL)  # every case's opening and outcome, for the references
    rows = []
    for name in names:
        runs = predict(model, name, posterior, draws=draws, seed=seed)
        span = float(runs.span)
        forecast = sc.Forecast.ensemble(runs.first_agreement, span)
        others = [k for k in ALL if k != name]
        outcomes = np.array([facts[k][1] for k in others])
        none = float(np.isnan(outcomes).mean())
        lags = [facts[k][1] - facts[k][0] for k in others if not np.isnan(facts[k][1])]
        y = None if np.isnan(facts[name][1]) else float(facts[name][1])
        ref_a = sc.uniform_reference(span, none)
        ref_b = sc.lag_reference(span, facts[name][0], lags, none)
        lo, hi = sc.interval(forecast)
        agreeing = runs.first_agreement[np.isfinite(runs.first_agreement)]
        rows.append({
            "case": name, "held_out": name in TEST_BY_NAME,
            "structure": marker.get("structure", "today"), "root_seed": seed,
            "span_years": span, "outcome_years": y,
            "agree_share": min(1.0, float(forecast.cdf(span))),  # weights sum to 1 ± ulps
            "median_years": float(np.median(agreeing)) if agreeing.size * 2 > draws else None,
            "q05_years": lo, "q95_years": hi, "inside": sc.inside(forecast, y),
            "width": sc.width(forecast),
            "crps": sc.crps(forecast, y), "crps_uniform": sc.crps(ref_a, y),
            "crps_lag": sc.crps(ref_b, y),
            "log": sc.log_score(forecast, y), "log_uniform": sc.log_score(ref_a, y),
            "log_lag": sc.log_score(ref_b, y),
            "opening_years": facts[name][0],
        })
    return pd.DataFrame(rows)


def skill_table(frame: pd.DataFrame, resamples: int = 10_000) -> pd.DataFrame:
    """Skill of each (structure, root seed) against each reference, by CRPS and by log score,
    over the held-out cases, with the 90% bootstrap interval (the same resamples for the model
    and the reference); with coverage and mean width of the 90% intervals."""
    rows = []
    held = frame[frame["held_out"]]
    for (structure, seed), part in held.groupby(["structure", "root_seed"], sort=False):
        for score in ("crps", "log"):
            for ref in ("uniform", "lag"):
                s = sc.skill(part[score].to_numpy(float), part[f"{score}_{ref}"].to_numpy(float),
                             resamples=resamples)
                rows.append({"structure": structure, "root_seed": seed, "score": score,
                             "reference": ref, "skill": s.value, "low": s.low,
                             "high": s.high, "cases": s.cases,
                             "coverage": float(part["inside"].mean()),
                             "mean_width": float(part["width"].mean())})
    return pd.DataFrame(rows)


def say_no_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (structure, root seed), over the held-out cases: the mean predicted share of runs that
    agree where the record says none (the aim: at most 0.3) and where it says one (at least
    0.7), with the number of cases and the lowest and highest share of each group."""
    rows = []
    held = frame[frame["held_out"]]
    for (structure, seed), part in held.groupby(["structure", "root_seed"], sort=False):
        row: dict[str, Any] = {"structure": structure, "root_seed": seed}
        for label, group in (("none", part[part["outcome_years"].isna()]),
                             ("agreed", part[part["outcome_years"].notna()])):
            share = group["agree_share"].to_numpy(float)
            row[f"cases_{label}"] = int(share.size)
            row[f"mean_share_{label}"] = float(share.mean()) if share.size else float("nan")
            row[f"min_share_{label}"] = float(share.min()) if share.size else float("nan")
            row[f"max_share_{label}"] = float(share.max()) if share.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
