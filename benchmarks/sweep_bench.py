"""Sweep benchmarks: diplosim sweep against mesa.batch_run, parallel scaling, Dask overhead, memory.

Usage (from the project root, with the project's Python):

    python benchmarks/sweep_bench.py compare  [--points 5] [--reps 40] [--workers 2] [--steps 156]
    python benchmarks/sweep_bench.py end_to_end [--points 5] [--reps 200] [--workers 2]
    python benchmarks/sweep_bench.py scaling  [--points 5] [--reps 40]
    python benchmarks/sweep_bench.py dask     [--runs 400]
    python benchmarks/sweep_bench.py memory   [--runs 1000]

``compare`` times the sweep and ``batch_run`` inside this process; ``end_to_end`` times each as a
user starts it, a fresh command from the shell (``diplosim sweep FILE`` against a Python script
calling ``mesa.batch_run``), start-up and imports included, beside ``python -c pass``.
Each prints one JSON line with the figures. Every comparison runs the flagship scenario
(scenarios/mission_closure.yaml, 156 weekly steps) over the same grid of back-channel closing
thresholds, with the same number of runs and workers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
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

    from diplosim.engine.model import DiplomacyModel
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


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def end_to_end(args: argparse.Namespace) -> dict[str, Any]:
    """Fresh commands, start-up included: ``diplosim sweep`` against a script calling
    ``mesa.batch_run`` (this file's ``batch_run`` mode), each alternated ``--repeats`` times
    after one warm-up round; medians."""
    runs = args.points * args.reps
    diplosim = str(Path(sys.executable).parent / "diplosim")
    times: dict[str, list[float]] = {"bare": [], "sweep": [], "batch_run": []}
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "bench.yaml"
        exp.write_text(experiment_text(args.points, args.reps))
        for round_ in range(1 + args.repeats):
            out = Path(tmp) / f"out{round_}"
            got = {
                "bare": wall([sys.executable, "-c", "pass"]),
                "sweep": wall([diplosim, "sweep", str(exp), "--out", str(out), "--quiet",
                               "--workers", str(args.workers)]),
                "batch_run": wall([sys.executable, __file__, "batch_run", "--points",
                                   str(args.points), "--reps", str(args.reps), "--workers",
                                   str(args.workers), "--steps", str(STEPS)]),
            }
            if round_:  # round 0 warms the caches
                for name, seconds in got.items():
                    times[name].append(seconds)
    med = {name: statistics.median(v) for name, v in times.items()}
    return {"benchmark": "end_to_end", "runs": runs, "workers": args.workers, "steps": STEPS,
            "repeats": args.repeats, "bare_seconds": round(med["bare"], 3),
            "sweep_seconds": round(med["sweep"], 3),
            "sweep_seconds_range": [round(min(times["sweep"]), 3),
                                    round(max(times["sweep"]), 3)],
            "batch_run_seconds": round(med["batch_run"], 3),
            "ratio": round(med["batch_run"] / med["sweep"], 2)}


def batch_run_only(args: argparse.Namespace) -> dict[str, Any]:
    return {"benchmark": "batch_run", "seconds": run_batch_run(args.points, args.reps,
                                                               args.workers)}


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


def _status_mib(pid: int | str = "self") -> dict[str, float]:
    """A process's resident memory now (VmRSS) and its peak so far (VmHWM), in MiB."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out


def _children() -> list[int]:
    """The pids of this process's children (the sweep's workers), from /proc."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


class WorkerMemory:
    """Samples the workers' VmRSS and VmHWM from /proc every ``every`` seconds while a sweep
    runs in this process (the sweep itself is untouched: its batches, its evaluator)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.samples: list[tuple[float, int, float, float]] = []  # (t, pid, rss, hwm)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self.start = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            now = time.perf_counter() - self.start
            for pid in _children():
                try:
                    mem = _status_mib(pid)
                except (OSError, KeyError):
                    continue
                if "VmRSS" in mem:
                    self.samples.append((now, pid, mem["VmRSS"], mem["VmHWM"]))


def memory(args: argparse.Namespace) -> dict[str, Any]:
    """Peak resident memory of the sweep's parent process and of its workers, and whether the
    workers grow: their resident memory in the first and the last tenth of the sweep's time.
    The sweep runs as users run it (process backend, batches of runs, the model's outcomes);
    the workers are sampled from /proc by a thread of the parent."""
    from diplosim.experiment import experiment_from_text, read_sweep, run_sweep

    points = 10
    reps = args.runs // points
    exp = experiment_from_text(experiment_text(points, reps), "bench.yaml")
    with tempfile.TemporaryDirectory() as tmp, WorkerMemory() as watch:
        report = run_sweep(exp, Path(tmp) / "out", backend="process", workers=args.workers,
                           progress=False)
        seconds = time.perf_counter() - watch.start
        assert report.complete
        runs = len(read_sweep(Path(tmp) / "out").runs)
    samples = np.array([(t, rss, hwm) for t, _, rss, hwm in watch.samples])
    assert len(samples), "no worker was sampled (is /proc readable?)"
    first = samples[samples[:, 0] <= seconds / 10]
    last = samples[samples[:, 0] >= 0.9 * seconds]
    tenths = np.minimum((samples[:, 0] / seconds * 10).astype(int), 9)
    by_tenth = [round(float(samples[tenths == k, 1].max()), 1) if (tenths == k).any() else None
                for k in range(10)]
    parent = _status_mib()
    return {"benchmark": "memory", "runs": runs, "workers": args.workers,
            "seconds": round(seconds, 1), "samples": len(samples),
            "parent_peak_rss_mib": round(parent["VmHWM"], 1),
            "worker_peak_rss_mib": round(float(samples[:, 2].max()), 1),
            "worker_rss_first_tenth_mib": round(float(first[:, 1].max()), 1) if len(first)
            else None,
            "worker_rss_last_tenth_mib": round(float(last[:, 1].max()), 1) if len(last)
            else None, "worker_rss_by_tenth_mib": by_tenth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["compare", "end_to_end", "batch_run", "scaling",
                                          "dask", "memory"])
    parser.add_argument("--repeats", type=int, default=5, help="end_to_end: rounds timed")
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=156,
                        help="steps per run (the flagship's events need at least 80)")
    args = parser.parse_args()
    global STEPS
    STEPS = args.steps
    result = {"compare": compare, "end_to_end": end_to_end, "batch_run": batch_run_only,
              "scaling": scaling, "dask": dask, "memory": memory}[args.which](args)
    result["python"] = sys.version.split()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
