"""The worker side of a sweep: run a chunk of runs, each isolated, and return plain rows.

A task is one :class:`Chunk` (several runs, so short runs do not pay a task's overhead each) and
the :class:`RunContext` they share. The base scenario is parsed once per worker process and cached;
each run applies its point's overrides to it (the same mechanism as ``run --set``). A run that
raises is returned as failed with its error; the chunk goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diplosim.experiment.spec import OutcomeSpec, SeriesSpec

# An evaluator maps (context, overrides, seed) to (outcomes, series or None).
Evaluator = Callable[["RunContext", Mapping[str, Any], np.random.SeedSequence],
                     tuple[dict[str, float], dict[str, np.ndarray] | None]]


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares; small and picklable."""

    scenario_text: str
    scenario_source: str
    steps: int
    outcomes: tuple[OutcomeSpec, ...]
    series: SeriesSpec | None = None
    root_seed: int = 0
    evaluator: Evaluator | None = None  # default: the diplomacy model


@dataclass(frozen=True)
class RunSpec:
    run_id: int
    point_id: int
    replication: int
    overrides: dict[str, Any] = field(default_factory=dict)
    particle: int = -1  # the posterior particle drawn for the run (-1: no posterior)


@dataclass(frozen=True)
class Chunk:
    context: RunContext
    runs: tuple[RunSpec, ...]


@dataclass
class ChunkResult:
    rows: list[dict[str, Any]]
    series: list[dict[str, Any]]  # one dict of equal-length arrays per run, with run_id


_BASE_CACHE: dict[tuple[str, str], Any] = {}


def _base_scenario(context: RunContext) -> Any:
    from diplosim.scenario import scenario_from_text

    key = (context.scenario_source, context.scenario_text)
    if key not in _BASE_CACHE:
        _BASE_CACHE.clear()
        _BASE_CACHE[key] = scenario_from_text(context.scenario_text, context.scenario_source)
    return _BASE_CACHE[key]


_POINT_CACHE: dict[str, Any] = {}
POINTS_CACHED = 4096  # scenarios of points kept per worker (a chunk's points, and more)


def _point_scenario(context: RunContext, overrides: Mapping[str, Any]) -> Any:
    """The scenario of one point, validated once for all its replications in this worker."""
    key = repr(sorted(overrides.items())) + f"|{context.steps}|{id(_base_scenario(context))}"
    if key not in _POINT_CACHE:
        if len(_POINT_CACHE) >= POINTS_CACHED:
            _POINT_CACHE.clear()
        _POINT_CACHE[key] = _base_scenario(context).with_overrides(
            {"steps": context.steps, **overrides})
    return _POINT_CACHE[key]


def simulate_outcomes(context: RunContext, overrides: Mapping[str, Any],
                      seed: np.random.SeedSequence
                      ) -> tuple[dict[str, float], dict[str, np.ndarray] | None]:
    """Run the diplomacy model once and compute the experiment's outcomes (and series)."""
    from diplosim.engine.model import DiplomacyModel
    from diplosim.experiment.outcomes import compute_outcomes, compute_series

    scenario = _point_scenario(context, overrides)
    model = DiplomacyModel(scenario, rng=seed, collect=False)
    model.run()
    values = compute_outcomes(model, context.outcomes)
    series = compute_series(model, context.series) if context.series is not None else None
    return values, series


def _batched_outcomes(context: RunContext, runs: list[RunSpec]
                      ) -> list[tuple[dict[str, float], dict[str, np.ndarray] | None]] | None:
    """The runs of a chunk on the batch axis (engine.batch), each under its point's values (and
    its posterior draw): each run's outcomes equal those of its single run. Points whose values
    change the scenario's structure get batches of their own. None when a batch cannot run
    (then each run goes alone, so a failure is recorded for the run that fails, as before)."""
    from diplosim.experiment.design import run_seed
    from diplosim.experiment.outcomes import compute_outcomes, compute_series
    from diplosim.results.tables import run_batches

    try:
        variants = [_point_scenario(context, r.overrides) for r in runs]
        seeds = [run_seed(context.root_seed, r.point_id, r.replication) for r in runs]
        out: list[tuple[dict[str, float], dict[str, np.ndarray] | None] | None] = [
            None] * len(runs)
        for chunk, batch in run_batches(variants[0], seeds, variants):
            for r, i in enumerate(chunk):
                view = batch.replication(r)
                series = (compute_series(view, context.series)
                          if context.series is not None else None)
                out[i] = (compute_outcomes(view, context.outcomes), series)
        return [x for x in out if x is not None]
    except Exception:
        return None


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every run of a chunk; never raises for a failing run.

    With the default evaluator, the runs of a chunk — its points' replications, each with its
    point's values — are simulated together on the batch axis (exactly equal to single runs);
    ``seconds`` is then the chunk's time shared equally among its runs."""
    from diplosim.experiment.design import run_seed
    from diplosim.results.replicate import seed_label

    context = chunk.context
    evaluate = context.evaluator or simulate_outcomes
    names = [o.name for o in context.outcomes]
    rows: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    groups: list[list[RunSpec]] = []
    for run in chunk.runs:  # the default evaluator: the chunk's runs on the batch axis
        if groups and context.evaluator is None:
            groups[-1].append(run)
        else:
            groups.append([run])
    for group in groups:
        start = time.time()
        tick = time.perf_counter()
        batched = _batched_outcomes(context, group) if len(group) > 1 else None
        shared = (time.perf_counter() - tick) / len(group)
        for i, run in enumerate(group):
            seed = run_seed(context.root_seed, run.point_id, run.replication)
            row: dict[str, Any] = {"run_id": run.run_id, "point_id": run.point_id,
                                   "replication": run.replication, "seed": seed_label(seed)}
            if run.particle >= 0:
                row["particle"] = run.particle
            if batched is not None:
                values, run_series = batched[i]
                row.update(status="ok", error="")
                row.update({n: float(values.get(n, np.nan)) for n in names})
                if run_series is not None:
                    series.append({"run_id": run.run_id, **run_series})
                row["started"] = start
                row["seconds"] = shared
                rows.append(row)
                continue
            start = time.time()
            tick = time.perf_counter()
            try:
                values, run_series = evaluate(context, run.overrides, seed)
                row.update(status="ok", error="")
                row.update({n: float(values.get(n, np.nan)) for n in names})
                if run_series is not None:
                    series.append({"run_id": run.run_id, **run_series})
            except Exception as exc:  # recorded, not raised: the sweep goes on
                row.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
                row.update(dict.fromkeys(names, np.nan))
            row["started"] = start
            row["seconds"] = time.perf_counter() - tick
            rows.append(row)
    return ChunkResult(rows=rows, series=series)
