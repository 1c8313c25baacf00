"""Every benchmark figure in one command, each with its anchor and the ratio to it.

    python benchmarks/run_all.py            # the figures of benchmarks/README.md (~2 minutes)
    python benchmarks/run_all.py --quick    # tiny sizes: checks that every benchmark still runs

Figures (medians of ``--repeats`` runs, default 5; ``--quick``: 1):

- sweep: ``diplosim sweep`` against ``mesa.batch_run`` on the flagship, same grid, seeds and
  2 workers (sweep_bench.py ``compare``);
- batch: one flagship replication in a batch of 500 against a single ``DiplomacyModel`` run;
- all-pairs: steps/s of the 60-state scenario with every dyad tracked over its first 30 crisis
  steps (the model's build timed apart), and channel-steps/s;
- floor: the channel rule on 72,570 channels — diplosim's ``Channels.step`` against a bare
  NumPy kernel of the same rule (the floor) and an idiomatic Mesa version (one agent per
  channel, ``model.agents.do("step")``); all three draw two uniforms per channel per step and
  apply the same thresholds, so they do the same arithmetic;
- start-up: ``diplosim --help`` against ``python -c pass``; ``diplosim validate`` of the flagship;
- end to end (sweep_bench.py ``end_to_end``): ``diplosim sweep`` as a fresh command, start-up
  included — 5 runs of the flagship against ``python -c pass`` (the fixed cost of a command), and
  1,000 runs against a fresh script calling ``mesa.batch_run`` with the same grid and workers.

Prints one line per figure: name, value, unit, anchor, ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, value: float, unit: str, anchor: str, ratio: float | None) -> None:
    shown = f"{ratio:.2f}x" if ratio is not None else "-"
    print(f"{name:<34} {value:>12.4g} {unit:<16} vs {anchor:<36} {shown}", flush=True)


def sweep_vs_batch_run(quick: bool, repeats: int) -> None:
    """Each repeat in a fresh process (``sweep_bench.py compare``), as a command-line sweep
    starts: in this process, earlier benchmarks leave threads behind, and a sweep started
    with threads running uses spawned workers (which import everything again) instead of
    forked ones."""
    import json

    points, reps = (2, 4) if quick else (5, 200)
    t_sweep, t_batch = [], []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "sweep_bench.py"), "compare",
             "--points", str(points), "--reps", str(reps), "--workers", "2"],
            check=True, capture_output=True, text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        t_sweep.append(figures["sweep_seconds"])
        t_batch.append(figures["batch_run_seconds"])
    runs = points * reps
    sweep, batch_run = statistics.median(t_sweep), statistics.median(t_batch)
    report("sweep (flagship, 2 workers)", runs / sweep, "runs/s",
           f"mesa.batch_run {runs / batch_run:.1f} runs/s", batch_run / sweep)


def end_to_end(quick: bool, repeats: int) -> None:
    import json

    def run(points: int, reps: int, rounds: int) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "sweep_bench.py"), "end_to_end",
             "--points", str(points), "--reps", str(reps), "--workers", "2",
             "--repeats", str(rounds)], check=True, capture_output=True, text=True).stdout
        figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return figures

    small = run(1, 5, 1 if quick else max(repeats, 5))
    report("sweep, 5 runs, end to end", small["sweep_seconds"], "s",
           f"python -c pass {small['bare_seconds']:.3f} s",
           small["sweep_seconds"] / small["bare_seconds"])
    large = run(*((2, 4, 1) if quick else (5, 200, 3)))
    runs = large["runs"]
    report(f"sweep, {runs} runs, end to end", runs / large["sweep_seconds"], "runs/s",
           f"mesa.batch_run {runs / large['batch_run_seconds']:.1f} runs/s", large["ratio"])


def batch_vs_single(quick: bool, repeats: int) -> None:
    from diplosim.engine.batch import Batch
    from diplosim.engine.model import DiplomacyModel
    from diplosim.results.replicate import replication_seeds
    from diplosim.scenario import load_scenario

    scenario = load_scenario(FLAGSHIP)
    reps = 8 if quick else 500
    seeds = replication_seeds(1, reps)

    def batch() -> None:
        b = Batch(scenario, seeds)
        b.run()

    def singles() -> None:
        for s in seeds[: min(reps, 50)]:
            DiplomacyModel(scenario, rng=s, collect=False).run()

    per_batch = median_time(batch, repeats) / reps
    per_single = median_time(singles, repeats) / min(reps, 50)
    report("batch replication (flagship)", per_batch * 1e3, "ms/run",
           f"single run {per_single * 1e3:.2f} ms", per_single / per_batch)


def all_pairs(quick: bool, repeats: int) -> None:
    import yaml
    from generate_large import large_scenario

    from diplosim.engine.model import DiplomacyModel
    from diplosim.scenario import load_scenario

    states, steps = (8, 3) if quick else (60, 30)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.yaml"
        path.write_text(yaml.safe_dump(large_scenario(states, "all", 0.75)))
        scenario = load_scenario(path)

    # the steps and the model's build (6,000 Mesa agents and step 0's metrics) timed apart
    builds, runs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        model = DiplomacyModel(scenario, rng=1, collect=False)
        built = time.perf_counter()
        model.run(steps)
        builds.append(built - start)
        runs.append(time.perf_counter() - built)
    per_step = statistics.median(runs) / steps
    channels = scenario.compiled.n_channels
    report(f"all-pairs, {states} states", 1 / per_step, "steps/s",
           f"target 140 steps/s ({channels:,} channels)", (1 / per_step) / 140)
    report(f"channel-steps, {states} states", channels / per_step, "channel-steps/s",
           f"target 10 M/s (build {statistics.median(builds):.3f} s apart)",
           channels / per_step / 10e6)


def floor(quick: bool, repeats: int) -> None:
    import mesa
    from scipy.special import ndtr

    n = 2_000 if quick else 72_570
    steps = 3 if quick else 20
    rng = np.random.default_rng(1)
    tension = np.full(1770, 0.6)  # as the diplosim version's one dyad: between the thresholds
    dyad = rng.integers(0, 1770, n)
    close, reopen, noise = 0.8, 0.6, 0.03

    def moves(able: np.ndarray, u: np.ndarray, z: Callable[[Any], np.ndarray]) -> np.ndarray:
        # the probability only where a channel can move, when few can (as Channels.step)
        if np.count_nonzero(able) > n // 2:
            return able & (u < ndtr(z(slice(None))))
        i = np.flatnonzero(able)
        out = np.zeros(n, dtype=bool)
        out[i] = u[i] < ndtr(z(i))
        return out

    def numpy_kernel() -> None:  # the floor: the rule, nothing else
        level = np.ones(n, dtype=np.int64)
        g = np.random.default_rng(2)
        for _ in range(steps):
            t = tension[dyad]
            u = g.random((2, n))
            down = moves(level > 0, u[0], lambda i, t=t: (t[i] - close) / noise)
            up = ~down & moves(level < 1, u[1], lambda i, t=t: (reopen - t[i]) / noise)
            level = level - down + up

    from diplosim.engine.channels import Channels
    from diplosim.scenario import scenario_from_text

    text = ("name: floor\nsteps: 1\nstates: [{id: a}, {id: b}]\nactors:\n  list:\n"
            "    - {id: x, state: a, kind: k, tracks: ['1'], access: 1}\n"
            "    - {id: y, state: b, kind: k, tracks: ['1'], access: 1}\n"
            "channels:\n  line:\n    track: '1'\n    close_threshold: 0.8\n"
            "    reopen_threshold: 0.6\n    noise: 0.03\n    generate:\n"
            f"      - {{dyads: all, from: {{kind: k}}, to: {{kind: k}}, count: {n}}}\n")
    compiled = scenario_from_text(text).compiled
    ch_tension = np.array([0.6])

    def diplosim_channels() -> None:
        channels = Channels(compiled, 0.0, np.random.default_rng(2))
        for _ in range(steps):
            channels.step(ch_tension)

    class ChannelAgent(mesa.Agent):  # type: ignore[misc]
        def __init__(self, model: mesa.Model, d: int) -> None:
            super().__init__(model)
            self.d = d
            self.level = 1

        def step(self) -> None:
            t = tension[self.d]
            u0, u1 = self.random.random(), self.random.random()
            if self.level > 0 and u0 < ndtr((t - close) / noise):
                self.level -= 1
            elif self.level < 1 and u1 < ndtr((reopen - t) / noise):
                self.level += 1

    mesa_n = min(n, 5_000)  # Mesa's agent loop at the full size takes minutes

    def mesa_version() -> None:
        model = mesa.Model(rng=2)
        for d in dyad[:mesa_n]:
            ChannelAgent(model, int(d))
        for _ in range(steps):
            model.agents.do("step")

    rate_numpy = n * steps / median_time(numpy_kernel, repeats)
    rate_ours = n * steps / median_time(diplosim_channels, repeats)
    rate_mesa = mesa_n * steps / median_time(mesa_version, repeats)
    report(f"channel rule, {n:,} channels", rate_ours, "channel-steps/s",
           f"bare NumPy {rate_numpy:.3g}/s", rate_ours / rate_numpy)
    report(f"channel rule, {n:,} channels", rate_ours, "channel-steps/s",
           f"idiomatic Mesa {rate_mesa:.3g}/s", rate_ours / rate_mesa)


def start_up(quick: bool, repeats: int) -> None:
    """Start-up as a user sees it: bytecode compiled (as pip does when it installs a wheel, so
    ``PYTHONDONTWRITEBYTECODE`` is dropped for these runs), one warm-up run of each command, then
    the commands alternated ``max(repeats, 21)`` times (each takes milliseconds) and medians
    compared."""
    diplosim = str(Path(sys.executable).parent / "diplosim")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {"bare": [sys.executable, "-c", "pass"], "help": [diplosim, "--help"],
                "validate": [diplosim, "validate", str(FLAGSHIP)]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(1 + (1 if quick else max(repeats, 21))):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            if round_:  # round 0 warms the caches and writes the bytecode
                times[name].append(time.perf_counter() - start)
    bare, help_, validate = (statistics.median(times[name]) for name in commands)
    report("diplosim --help", help_, "s", f"python -c pass {bare:.3f} s", help_ / bare)
    report("diplosim validate (flagship)", validate, "s", "target 0.5 s", validate / 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 5)
    for bench in (start_up, batch_vs_single, all_pairs, floor, sweep_vs_batch_run, end_to_end):
        bench(args.quick, repeats)


if __name__ == "__main__":
    main()
