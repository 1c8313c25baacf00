"""The small joint fit on one process, on local processes and on a dask.distributed cluster.

    python benchmarks/fit_backends.py                           # 100 particles, 2 generations
    python benchmarks/fit_backends.py --population 200 --workers 2

Runs ``diplosim calibrate --joint --population P --generations G --seed 1`` at this checkout
with ``--backend serial``, ``--backend process --workers W`` and ``--backend dask --scheduler
ADDRESS``, where the cluster is started as a user starts one: ``dask scheduler`` and ``dask
worker --nworkers W --nthreads 1`` as separate processes on this machine (stopped at the end).
Prints each wall time, its speed-up over serial, and whether the three posteriors and
generation tables are equal (a fit gives the same numbers on any backend). The fits' folders
live in a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fit_bench import same_fit  # this folder's: the posteriors and generations equal

ROOT = Path(__file__).resolve().parents[1]


def fit(out: Path, population: int, generations: int, backend: list[str]) -> float:
    argv = [sys.executable, "-m", "diplosim", "calibrate", "--joint", "--population",
            str(population), "--generations", str(generations), "--seed", "1", "--out", str(out),
            *backend]
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


@contextmanager
def dask_cluster(tmp: Path, workers: int) -> Iterator[str]:
    """A scheduler and ``workers`` single-threaded workers, as separate processes, while the
    block runs (its address); stopped on any exit, their output in ``tmp/dask.log``."""
    from distributed import Client

    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
    info = tmp / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    with open(tmp / "dask.log", "wb") as log:
        try:
            procs.append(subprocess.Popen([dask, "scheduler", "--scheduler-file", str(info),
                                           "--port", "0", "--dashboard-address", ":0"],
                                          stdout=log, stderr=log))
            for _ in range(150):
                if info.exists() and info.stat().st_size:
                    break
                time.sleep(0.2)
            else:
                raise SystemExit(f"the Dask scheduler did not start in 30 s (its output: "
                                 f"{(tmp / 'dask.log').read_text(errors='replace')[-500:]})")
            procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(info),
                                           "--nworkers", str(workers), "--nthreads", "1",
                                           "--dashboard-address", ":0"],
                                          stdout=log, stderr=log, cwd=ROOT))
            address = json.loads(info.read_text())["address"]
            with Client(address, timeout="30s") as client:
                client.wait_for_workers(workers, timeout=60)
            yield address
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="fit_backends_") as name:
        tmp = Path(name)
        size = (args.population, args.generations)
        times = {"serial": fit(tmp / "serial", *size, ["--backend", "serial"])}
        print(f"serial: {times['serial']:.1f} s", flush=True)
        times["process"] = fit(tmp / "process", *size,
                               ["--backend", "process", "--workers", str(args.workers)])
        print(f"process ({args.workers} workers): {times['process']:.1f} s", flush=True)
        with dask_cluster(tmp, args.workers) as address:
            times["dask"] = fit(tmp / "dask", *size,
                                ["--backend", "dask", "--scheduler", address])
        print(f"dask ({args.workers} workers at {address}): {times['dask']:.1f} s", flush=True)
        same = all(same_fit(tmp / "serial", tmp / b) for b in ("process", "dask"))
    print(f"small joint fit (population {args.population}, {args.generations} generations, "
          f"seed 1) at {head}: " + ", ".join(
              f"{b} {t:.1f} s ({times['serial'] / t:.2f}x serial)" for b, t in times.items())
          + f"; posteriors and generations {'equal' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
