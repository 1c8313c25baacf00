"""Outcomes of one run: named numbers computed from a model that has run (no tables built).

Per-step metrics come straight from the model's recorder arrays (steps × dyads); they are averaged
over the dyads (NaN-aware: ``connected`` and ``redundancy`` exist for tracked dyads only) unless an
outcome names one dyad, then aggregated over steps. Per-dyad summary metrics are computed by
:func:`summary_arrays`, the array-only twin of :func:`diplosim.results.summarize` (same numbers,
no DataFrame per run: about a fifth of a short run's time; a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from diplosim.engine.recorder import Recorded
from diplosim.experiment.spec import OutcomeSpec, SeriesSpec
from diplosim.results.tables import closure_metrics, dyad_metrics

STEP_METRICS = frozenset({
    "tension", "misperception", "participant_misperception", "communication", "mission_closed",
    "connected", "redundancy", "open_channels",
})
SUMMARY_METRICS = frozenset({
    "first_mission_closure", "mission_reopened", "closure_steps", "continuity_during_closure",
    "mean_redundancy", "mean_redundancy_during_closure", "final_tension", "peak_tension",
    "peak_step", "talks", "agreements", "first_agreement", "agreement_breakdowns",
})
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}


def nanmean(values: np.ndarray, axis: int | None = None) -> Any:
    """Mean ignoring NaN; NaN (without a warning) where every value is NaN."""
    values = np.asarray(values, dtype=float)
    valid = ~np.isnan(values)
    count = valid.sum(axis=axis)
    total = np.where(valid, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def step_matrix(model: Recorded, metric: str) -> np.ndarray:
    """A per-step metric as a (steps + 1) × dyads float array."""
    rec = model.recorder
    n = rec.n
    if metric in ("connected", "redundancy"):
        connected, redundancy = dyad_metrics(model)
        return connected if metric == "connected" else redundancy
    if metric == "open_channels":
        return rec.open[:n].sum(axis=2).astype(float)
    if metric == "communication":
        return rec.flow[:n].astype(float)
    return np.asarray(getattr(rec, metric)[:n], dtype=float)


def _dyad_index(model: Recorded, pair: Sequence[str]) -> int:
    c = model.diplomacy_scenario.compiled
    ids = list(c.state_ids)
    a, b = ids.index(pair[0]), ids.index(pair[1])
    for d, (x, y) in enumerate(zip(c.dyad_a, c.dyad_b, strict=True)):
        if {int(x), int(y)} == {a, b}:
            return d
    raise ValueError(f"no dyad {pair[0]}-{pair[1]}")


def step_series(model: Recorded, metric: str, dyad: Sequence[str] | None = None
                ) -> np.ndarray:
    """One value per step: the dyad's, or the NaN-aware mean over dyads."""
    m = step_matrix(model, metric)
    if dyad is not None:
        return m[:, _dyad_index(model, dyad)]
    result: np.ndarray = nanmean(m, axis=1)
    return result


def aggregate(series: np.ndarray, spec: OutcomeSpec) -> float:
    if spec.aggregate == "first":
        assert spec.when is not None
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(_OPS[spec.when.op](series, spec.when.value))
        return float(hits[0]) if hits.size else float("nan")
    valid = series[~np.isnan(series)]
    if spec.aggregate == "final":
        return float(series[-1])
    if not valid.size:
        return float("nan")
    if spec.aggregate == "mean":
        return float(valid.mean())
    return float(valid.max() if spec.aggregate == "max" else valid.min())


def summary_arrays(model: Recorded) -> dict[str, np.ndarray]:
    """Every summary metric per dyad, as float arrays; the same values as ``summarize``.

    Call once per run (it closes the run's talks, as ``summarize`` does).
    """
    c = model.diplomacy_scenario.compiled
    rec = model.recorder
    n = rec.n
    n_dyads = len(c.dyad_labels)
    connected, redundancy = dyad_metrics(model)
    closed = rec.mission_closed[:n].astype(bool)
    tension = rec.tension[:n]
    has = closed.any(axis=0)
    first = closed.argmax(axis=0).astype(float)
    first[~has] = np.nan
    closure_steps, continuity, red_closure, reopened = closure_metrics(
        model, n, connected, redundancy, first)
    talks = np.zeros(n_dyads)
    agreements = np.zeros(n_dyads)
    first_agreement = np.full(n_dyads, np.nan)
    breakdowns = np.zeros(n_dyads)
    if model.talks is not None:
        index = {label: d for d, label in enumerate(c.dyad_labels)}
        for r in model.talks.finish_run(n - 1):
            k = index.get(r["dyad"])
            if k is None:
                continue
            talks[k] += 1
            if bool(r["agreed"]):
                agreements[k] += 1
                ended = float(r["ended"])
                if not ended >= first_agreement[k]:  # NaN-aware minimum
                    first_agreement[k] = ended
            broke = r["broke_down"]
            if broke is not None and broke == broke:  # neither None nor NaN
                breakdowns[k] += 1
    return {
        "first_mission_closure": first,
        "mission_reopened": reopened,
        "closure_steps": closure_steps.astype(float),
        "continuity_during_closure": continuity,
        "mean_redundancy": nanmean(redundancy, axis=0),
        "mean_redundancy_during_closure": red_closure,
        "final_tension": tension[-1].astype(float),
        "peak_tension": tension.max(axis=0).astype(float),
        "peak_step": tension.argmax(axis=0).astype(float),
        "talks": talks,
        "agreements": agreements,
        "first_agreement": first_agreement,
        "agreement_breakdowns": breakdowns,
    }


def compute_outcomes(model: Recorded, outcomes: Sequence[OutcomeSpec]) -> dict[str, float]:
    """The named outcomes of a model that has run."""
    values: dict[str, float] = {}
    summary: dict[str, np.ndarray] | None = None
    for o in outcomes:
        if o.metric in SUMMARY_METRICS:
            if summary is None:
                summary = summary_arrays(model)
            column = summary[o.metric]
            if o.dyad is not None:
                values[o.name] = float(column[_dyad_index(model, o.dyad)])
            else:
                values[o.name] = float(nanmean(column))
        else:
            values[o.name] = aggregate(step_series(model, o.metric, o.dyad), o)
    return values


def compute_series(model: Recorded, spec: SeriesSpec) -> dict[str, np.ndarray]:
    """Thinned per-step series (mean over dyads): ``step`` plus one array per metric."""
    n = model.recorder.n
    steps = np.arange(0, n, spec.every)
    out = {"step": steps}
    for metric in spec.metrics:
        out[metric] = step_series(model, metric)[steps]
    return out
