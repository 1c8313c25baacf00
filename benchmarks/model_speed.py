"""Build time, steps per second and peak memory of one model run.

    python benchmarks/model_speed.py SCENARIO.yaml [--steps 20] [--seed 1]

Prints one JSON line: actors, channels, dyads, tracked dyads, seconds to load and compile,
seconds to build the model, steps per second (over ``--steps`` steps after building), seconds to
build the result tables, and the peak resident memory of the process (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from diplosim.engine.model import DiplomacyModel
    from diplosim.results.tables import collect
    from diplosim.scenario import load_scenario

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    t1 = time.perf_counter()
    model = DiplomacyModel(scenario, rng=args.seed)
    t2 = time.perf_counter()
    model.run(args.steps)
    t3 = time.perf_counter()
    collect(model)
    t4 = time.perf_counter()
    c = scenario.compiled
    print(json.dumps({
        "scenario": scenario.name, "actors": len(c.actor_ids), "channels": int(c.n_channels),
        "dyads": len(c.dyad_labels), "tracked_dyads": int(c.tracked_dyads.size),
        "load_compile_s": round(t1 - t0, 2), "build_model_s": round(t2 - t1, 2),
        "steps": args.steps, "steps_per_s": round(args.steps / (t3 - t2), 2),
        "tables_s": round(t4 - t3, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
