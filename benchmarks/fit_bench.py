"""The small joint fit, timed here and at an earlier commit on the same machine in the same run.

    python benchmarks/fit_bench.py                      # against 53199a9, one round
    python benchmarks/fit_bench.py --against COMMIT --rounds 2 --population 100 --generations 2

Each round runs ``diplosim calibrate --joint --population P --generations G --seed 1 --backend
serial`` once at this checkout and once at COMMIT (a temporary git worktree of it, run with this
environment's Python and packages), alternating which goes first, and prints the wall times and
their ratio. The worktree and the fits' folders live in a temporary folder removed at the end.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="53199a9")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--generations", type=int, default=2)
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="fit_bench_") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.against], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            times: dict[str, list[float]] = {"this": [], "old": []}
            for r in range(args.rounds):
                order = ("this", "old") if r % 2 == 0 else ("old", "this")
                for which in order:
                    tree = ROOT if which == "this" else old
                    seconds = fit_seconds(tree, Path(tmp) / f"{which}_{r}", args.population,
                                          args.generations)
                    times[which].append(seconds)
                    print(f"round {r + 1}: {which} ({head if which == 'this' else args.against})"
                          f" {seconds:.1f} s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                           check=False, capture_output=True)
    this, then = statistics.median(times["this"]), statistics.median(times["old"])
    print(f"small joint fit (population {args.population}, {args.generations} generations, "
          f"seed 1, serial): {head} {this:.1f} s, {args.against} {then:.1f} s, "
          f"{then / this:.2f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
