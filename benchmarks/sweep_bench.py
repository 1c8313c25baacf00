"""Sweep benchmarks: diplosim sweep against mesa.batch_run, parallel scaling, Dask overhead, memory.

Usage (from the project root, with the project's Python):

    python benchmarks/sweep_bench.py compare  [--points 5] [--reps 40] [--workers 2] [--steps 156]
    python benchmarks/sweep_bench.py scaling  [--points 5] [--reps 40]
    python benchmarks/sweep_bench.py dask     [--runs 400]
    python benchmarks/sweep_bench.py memory   [--runs 1000]

Each prints one JSON line with the figures. Every comparison runs the flagship scenario
(scenarios/mission_closure.yaml, 156 weekly steps) over the same grid of back-channel closing
thresholds, with the same number of runs and workers.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "mission_closure.yaml"


def grid(points: int) -> list[float]:
    return [float(v) for v in np.linspace(0.84, 0.99, points)]


STEPS = 156


def experiment_text(points: int, reps: int, outcomes: str | None = None) -> str:
    values = ", ".join(f"{v:.6g}" for v in grid(points))
    return f"""\
name: bench
steps: {STEPS}
scenario: {SCENARIO}
parameters:
  - {{path: channels.backchannel.close_threshold, name: bc, values: [{values}]}}
design: {{kind: grid}}
replications: {reps}
seed: 1
outcomes:
{outcomes or '''  - {name: continuity, metric: continuity_during_closure, aggregate: value}
  - {name: mean_tension, metric: tension, aggregate: final}'''}
"""


def run_diplosim(points: int, reps: int, workers: int, backend: str = "process") -> float:
    from diplosim.experiment import experiment_from_text, run_sweep

    with tempfile.TemporaryDirectory() as tmp:
        exp = experiment_from_text(experiment_text(points, reps), "bench.yaml")
        start = time.perf_counter()
        report = run_sweep(exp, Path(tmp) / "out", backend=backend, workers=workers,
                           progress=False)
        seconds = time.perf_counter() - start
        assert report.complete
        assert report.failed_total == 0
    return seconds


def run_batch_run(points: int, reps: int, workers: int) -> float:
    import mesa

    from diplosim.model import DiplomacyModel
    from diplosim.scenario import load_scenario

    start = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    rows = mesa.batch_run(
        DiplomacyModel,
        parameters={"scenario": [scenario], "channels.backchannel.close_threshold": grid(points),
                    "steps": [STEPS]},
        max_steps=STEPS, number_processes=workers,
        data_collection_period=-1, display_progress=False, rng=list(range(reps)))
    seconds = time.perf_counter() - start
    assert len(rows) == points * reps
    return seconds


def compare(args: argparse.Namespace) -> dict[str, Any]:
    runs = args.points * args.reps
    # The sweep first: a command-line sweep starts in a fresh process (batch_run's pool leaves
    # threads behind, which would make the sweep fall back from fork to spawn).
    t_sweep = run_diplosim(args.points, args.reps, args.workers)
    t_batch = run_batch_run(args.points, args.reps, args.workers)
    return {"benchmark": "compare", "runs": runs, "workers": args.workers, "steps": STEPS,
            "batch_run_seconds": round(t_batch, 2), "sweep_seconds": round(t_sweep, 2),
            "batch_run_runs_per_s": round(runs / t_batch, 2),
            "sweep_runs_per_s": round(runs / t_sweep, 2), "ratio": round(t_batch / t_sweep, 2)}


def scaling(args: argparse.Namespace) -> dict[str, Any]:
    from diplosim.experiment.executors import available_cores

    runs = args.points * args.reps
    out: dict[str, Any] = {"benchmark": "scaling", "runs": runs}
    base = run_diplosim(args.points, args.reps, 1, backend="serial")
    out["serial_runs_per_s"] = round(runs / base, 2)
    for w in range(1, available_cores() + 1):
        t = run_diplosim(args.points, args.reps, w)
        out[f"process_{w}_runs_per_s"] = round(runs / t, 2)
        out[f"process_{w}_efficiency"] = round(base / (w * t), 2)
    return out


def noop(context: Any, overrides: Any, seed: Any) -> tuple[dict[str, float], None]:
    return {"continuity": 1.0, "mean_tension": 0.0}, None


def overhead(backend: str, runs: int, workers: int) -> float:
    """Seconds per run of the sweep machinery alone: a no-op evaluator, one run per task."""
    from diplosim.experiment import experiment_from_text, run_sweep

    text = experiment_text(1, runs).replace("replications:", "chunk_size: 1\nreplications:")
    with tempfile.TemporaryDirectory() as tmp:
        exp = experiment_from_text(text, "bench.yaml")
        start = time.perf_counter()
        run_sweep(exp, Path(tmp) / "o", backend=backend, workers=workers, progress=False,
                  evaluator=noop)
        return (time.perf_counter() - start) / runs


def cluster_start(backend: str, workers: int) -> float:
    """Seconds to start and stop the backend's workers (no task)."""
    from diplosim.experiment import make_executor

    start = time.perf_counter()
    make_executor(backend, workers).close()
    return time.perf_counter() - start


def dask(args: argparse.Namespace) -> dict[str, Any]:
    runs = args.runs
    t_proc = run_diplosim(1, runs, args.workers, backend="process")
    t_dask = run_diplosim(1, runs, args.workers, backend="dask")
    start_proc = cluster_start("process", args.workers)
    start_dask = cluster_start("dask", args.workers)
    return {"benchmark": "dask", "runs": runs, "workers": args.workers,
            "process_seconds": round(t_proc, 2), "dask_seconds": round(t_dask, 2),
            "dask_extra_ms_per_run_flagship": round(1000 * (t_dask - t_proc) / runs, 2),
            "start_stop_seconds_process": round(start_proc, 2),
            "start_stop_seconds_dask": round(start_dask, 2),
            "dask_extra_ms_per_run_after_start": round(
                1000 * ((t_dask - start_dask) - (t_proc - start_proc)) / runs, 2),
            "task_overhead_ms_process": round(1000 * overhead("process", 400, args.workers), 2),
            "task_overhead_ms_dask": round(1000 * overhead("dask", 400, args.workers), 2)}


def _status_mib() -> dict[str, float]:
    """This process's resident memory now (VmRSS) and its peak so far (VmHWM), in MiB."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out


def measured(context: Any, overrides: Any, seed: Any) -> tuple[dict[str, float], Any]:
    """The flagship's outcomes plus the worker's memory after the run (an evaluator)."""
    import dataclasses

    from diplosim.experiment.runner import simulate_outcomes

    model_outcomes = tuple(o for o in context.outcomes if o.name not in ("rss", "hwm"))
    values, series = simulate_outcomes(dataclasses.replace(context, outcomes=model_outcomes),
                                       overrides, seed)
    mem = _status_mib()
    values["rss"], values["hwm"] = mem["VmRSS"], mem["VmHWM"]
    return values, series


def memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak resident memory of the sweep's parent process and of its workers.

    Each worker reports its own VmRSS and VmHWM after every run (stored as two extra outcome
    columns), so the worker figures are the workers' own, read from /proc. (``ru_maxrss`` of
    RUSAGE_CHILDREN is not used: for forked workers it reports more than any worker's own peak.)
    """
    from diplosim.experiment import experiment_from_text, read_sweep, run_sweep

    points = 10
    reps = args.runs // points
    outcomes = """  - {name: continuity, metric: continuity_during_closure, aggregate: value}
  - {name: rss, metric: tension, aggregate: final}
  - {name: hwm, metric: tension, aggregate: final}"""
    exp = experiment_from_text(experiment_text(points, reps, outcomes), "bench.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = run_sweep(exp, Path(tmp) / "out", backend="process", workers=args.workers,
                           progress=False, evaluator=measured)
        seconds = time.perf_counter() - start
        assert report.complete
        runs = read_sweep(Path(tmp) / "out").runs
    tenth = max(len(runs) // 10, 1)
    parent = _status_mib()
    return {"benchmark": "memory", "runs": len(runs), "workers": args.workers,
            "seconds": round(seconds, 1),
            "parent_peak_rss_mib": round(parent["VmHWM"], 1),
            "worker_peak_rss_mib": round(float(runs["hwm"].max()), 1),
            "worker_rss_first_tenth_mib": round(float(runs["rss"][:tenth].max()), 1),
            "worker_rss_last_tenth_mib": round(float(runs["rss"][-tenth:].max()), 1),
            "children_ru_maxrss_mib": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["compare", "scaling", "dask", "memory"])
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=156,
                        help="steps per run (the flagship's events need at least 80)")
    args = parser.parse_args()
    global STEPS
    STEPS = args.steps
    result = {"compare": compare, "scaling": scaling, "dask": dask, "memory": memory}[
        args.which](args)
    result["python"] = sys.version.split()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
