"""Parameters on the batch axis: posterior runs, `run --reps` end to end, the joint fit's cost.

Usage (from the project root, with the project's Python):

    python benchmarks/axis_bench.py posterior  [--draws 1000] [--fit DIR]   # vs plain replications
    python benchmarks/axis_bench.py run_reps   [--reps 800]     # `diplosim run us_cuba` end to end
    python benchmarks/axis_bench.py fit_cost   [--particles 200] [--source DIR]

``posterior`` times, in this process, the tables of ``--draws`` replications of US–Cuba under
the joint posterior (each replication its own draw, on one batch axis: the draws' scenarios
built, then `results.simulate_tables`) against as many plain replications. ``run_reps`` times
fresh `diplosim run us_cuba --reps N` commands: as a user runs it (tables as Parquet and CSV,
figures) and with `--no-csv --no-plots`. ``fit_cost`` times one joint-fit simulation per
parameter set (eight cases × 8 replications and 200 rupture episodes), for sets drawn from the
joint priors: a round of ``--particles`` sets on one axis (`JointModel.discrepancies_many`, one
process), against the same sets one at a time (`JointModel.discrepancies`); ``--source DIR``
runs the one-at-a-time figure with the package in DIR/src instead (e.g. a checkout of an earlier
commit, to time the code before a change). Each prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIT = ROOT / "experiments" / "fits" / "joint_1000"  # 1,000 particles, 7 generations


def posterior(args: argparse.Namespace) -> dict[str, Any]:
    from diplosim.io import examples
    from diplosim.results.posterior import read_posterior
    from diplosim.results.replicate import replication_seeds, seed_label
    from diplosim.results.tables import simulate_tables
    from diplosim.scenario import load_scenario

    scenario = load_scenario(examples.path("us_cuba"))
    seeds = replication_seeds(2026, args.draws)
    labels = [seed_label(s) for s in seeds]
    fit = read_posterior(args.fit)
    simulate_tables(scenario, seeds[:8], labels[:8])  # warm-up
    tick = time.perf_counter()
    simulate_tables(scenario, seeds, labels)
    plain = time.perf_counter() - tick
    tick = time.perf_counter()
    particles = fit.draw(seeds)
    drawn = {k: fit.scenario_for(scenario, k) for k in dict.fromkeys(particles)}
    built = time.perf_counter() - tick
    simulate_tables(scenario, seeds, labels, variants=[drawn[k] for k in particles])
    under = time.perf_counter() - tick
    return {"benchmark": "posterior", "draws": args.draws, "distinct_particles": len(drawn),
            "plain_seconds": round(plain, 2), "posterior_seconds": round(under, 2),
            "of_which_scenarios_built": round(built, 2), "ratio": round(under / plain, 2)}


def run_reps(args: argparse.Namespace) -> dict[str, Any]:
    diplosim = str(Path(sys.executable).parent / "diplosim")
    out: dict[str, Any] = {"benchmark": "run_reps", "reps": args.reps}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in (("as_a_user", []), ("no_csv_no_plots", ["--no-csv", "--no-plots"])):
            times = []
            for i in range(args.repeats):
                tick = time.perf_counter()
                subprocess.run([diplosim, "run", "us_cuba", "--reps", str(args.reps), "--quiet",
                                "--out", str(Path(tmp) / f"{name}{i}"), *extra], check=True,
                               cwd=tmp, stderr=subprocess.DEVNULL)
                times.append(time.perf_counter() - tick)
            out[f"{name}_seconds"] = round(float(np.median(times)), 2)
            out[f"{name}_ms_per_replication"] = round(1000 * float(np.median(times)) / args.reps,
                                                      1)
    return out


ONE_AT_A_TIME = """
import json, sys, time
import numpy as np
from diplosim.analysis import episodes as ep
from diplosim.analysis.calibration import data_episodes
from diplosim.analysis.cases import CASES
from diplosim.analysis.joint_fit import JOINT_PRIORS, JointModel
params = json.loads(sys.argv[1])
table = data_episodes()
model = JointModel("pooled", tuple(c.name for c in CASES), 8, ep.follow_up_years(table),
                   ep.from_data(table).summary(), 200)
model.discrepancies(params[0], 0)  # warm-up: the scenarios built once
tick = time.perf_counter()
for k, p in enumerate(params):
    model.discrepancies(p, k)
print(time.perf_counter() - tick)
"""


def prior_draws(n: int, seed: int = 7) -> list[dict[str, float]]:
    from diplosim.analysis.joint_fit import JOINT_PRIORS

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        draw = {}
        for p in JOINT_PRIORS:
            u = rng.random()
            value = (p.low * (p.high / p.low) ** u if p.kind == "loguniform"
                     else p.low + u * (p.high - p.low))
            draw[p.path.replace(".", "__")] = float(value)
        out.append(draw)
    return out


def fit_cost(args: argparse.Namespace) -> dict[str, Any]:
    from diplosim.analysis import episodes as ep
    from diplosim.analysis.calibration import data_episodes
    from diplosim.analysis.cases import CASES
    from diplosim.analysis.joint_fit import JointModel

    params = prior_draws(args.particles)
    table = data_episodes()
    model = JointModel("pooled", tuple(c.name for c in CASES), 8, ep.follow_up_years(table),
                       ep.from_data(table).summary(), 200)
    model.discrepancies_many(params[:2], [0, 1])  # warm-up
    tick = time.perf_counter()
    model.discrepancies_many(params, list(range(len(params))))
    axis = time.perf_counter() - tick
    alone_params = params[:args.alone]
    source = str(Path(args.source).resolve() / "src") if args.source else str(ROOT / "src")
    result = subprocess.run([sys.executable, "-c", ONE_AT_A_TIME, json.dumps(alone_params)],
                            capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": source, "PATH": ""})
    alone = float(result.stdout.split()[-1])
    return {"benchmark": "fit_cost", "particles_on_axis": len(params),
            "axis_seconds_per_particle": round(axis / len(params), 4),
            "alone_particles": len(alone_params), "alone_source": source,
            "alone_seconds_per_particle": round(alone / len(alone_params), 4),
            "ratio": round((alone / len(alone_params)) / (axis / len(params)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("posterior")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--fit", default=str(FIT), help="a joint fit's folder (its posterior)")
    r = sub.add_parser("run_reps")
    r.add_argument("--reps", type=int, default=800)
    r.add_argument("--repeats", type=int, default=3)
    f = sub.add_parser("fit_cost")
    f.add_argument("--particles", type=int, default=200)
    f.add_argument("--alone", type=int, default=20, help="sets timed one at a time")
    f.add_argument("--source", default=None, help="a checkout whose src/ runs the sets alone")
    args = parser.parse_args()
    run = {"posterior": posterior, "run_reps": run_reps, "fit_cost": fit_cost}[args.what]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
