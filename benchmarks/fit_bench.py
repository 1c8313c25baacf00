"""The small joint fit, timed here and at an earlier commit on the same machine in the same run.

    python benchmarks/fit_bench.py                      # against 53199a9, one round
    python benchmarks/fit_bench.py --against COMMIT --rounds 2 --population 100 --generations 2
    python benchmarks/fit_bench.py --simulations 24 --structure red_lines --against COMMIT

Each round runs ``diplosim calibrate --joint --population P --generations G --seed 1 --backend
serial`` once at this checkout and once at COMMIT (a temporary git worktree of it, run with this
environment's Python and packages), alternating which goes first, and prints the wall times and
their ratio, and whether the two fits' posteriors and generation tables are equal. The worktree
and the fits' folders live in a temporary folder removed at the end.

``--simulations N`` times instead the joint fit's simulations themselves: N parameter sets drawn
from the structure's priors (a fixed stream), each simulated once with its own seed on the eight
training cases (8 replications each, without the rupture record), in one process per checkout,
after 2 warm-up sets; it prints the CPU seconds of each checkout and whether their discrepancies
are bit for bit the same (a speed-up that keeps every number).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fit_seconds(tree: Path, out: Path, population: int, generations: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    argv = [sys.executable, "-m", "diplosim", "calibrate", "--joint", "--population",
            str(population), "--generations", str(generations), "--seed", "1", "--backend",
            "serial", "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(argv, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


SIMULATIONS = """
import json, sys, time
import numpy as np
from diplosim.analysis.cases import CASES
from diplosim.analysis.joint_fit import JOINT_PRIORS, STRUCTURE_PRIORS, STRUCTURES, JointModel
n, structure = int(sys.argv[1]), sys.argv[2]
priors = (*JOINT_PRIORS, *STRUCTURE_PRIORS.get(structure, ()))
rng = np.random.default_rng(5)
params = [{p.path: float(np.exp(rng.uniform(np.log(p.low), np.log(p.high)))
           if p.kind == "loguniform" else rng.uniform(p.low, p.high)) for p in priors}
          for _ in range(n)]
model = JointModel("pooled", tuple(c.name for c in CASES), 8, fixed=STRUCTURES[structure])
model.discrepancies_many(params[:2], [1, 2])
start = time.process_time()
out = model.discrepancies_many(params, list(range(100, 100 + n)))
print(json.dumps({"cpu": time.process_time() - start, "discrepancies": out}))
"""


def same_fit(a: Path, b: Path) -> bool:
    """The two fits' posteriors and generation tables are equal."""
    import pandas as pd

    return all(pd.read_parquet(a / name).equals(pd.read_parquet(b / name))
               for name in ("posterior.parquet", "generations.parquet"))


def simulations(tree: Path, n: int, structure: str) -> dict:
    import json

    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    done = subprocess.run([sys.executable, "-c", SIMULATIONS, str(n), structure], cwd=tree,
                          env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="53199a9")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--simulations", type=int, default=0,
                        help="time N of the fit's simulations instead of a whole fit")
    parser.add_argument("--structure", default="today")
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="fit_bench_") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.against], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            times: dict[str, list[float]] = {"this": [], "old": []}
            same = True
            for r in range(args.rounds if args.simulations else 0):
                runs = {which: simulations(ROOT if which == "this" else old, args.simulations,
                                           args.structure) for which in ("this", "old")}
                same &= runs["this"]["discrepancies"] == runs["old"]["discrepancies"]
                for which, run in runs.items():
                    times[which].append(run["cpu"])
                    print(f"round {r + 1}: {which} {run['cpu']:.2f} CPU s", flush=True)
            for r in range(0 if args.simulations else args.rounds):
                order = ("this", "old") if r % 2 == 0 else ("old", "this")
                for which in order:
                    tree = ROOT if which == "this" else old
                    seconds = fit_seconds(tree, Path(tmp) / f"{which}_{r}", args.population,
                                          args.generations)
                    times[which].append(seconds)
                    print(f"round {r + 1}: {which} ({head if which == 'this' else args.against})"
                          f" {seconds:.1f} s", flush=True)
                same &= same_fit(Path(tmp) / f"this_{r}", Path(tmp) / f"old_{r}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                           check=False, capture_output=True)
    this, then = statistics.median(times["this"]), statistics.median(times["old"])
    if args.simulations:
        print(f"{args.simulations} simulations of the joint fit, structure {args.structure}: "
              f"{head} {this:.2f} CPU s, {args.against} {then:.2f} CPU s, {then / this:.2f}x "
              f"faster; discrepancies {'bit for bit the same' if same else 'DIFFERENT'}")
        return 0 if same else 1
    print(f"small joint fit (population {args.population}, {args.generations} generations, "
          f"seed 1, serial): {head} {this:.1f} s, {args.against} {then:.1f} s, "
          f"{then / this:.2f}x faster; posteriors and generations "
          f"{'the same' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
