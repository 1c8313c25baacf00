"""A dynamics plug-in on the batch axis: what the example's `spoilers` term costs a batch.

Usage (from the project root, with the project's Python and the example package installed:
``pip install ./examples/plugins``):

    python benchmarks/plugin_bench.py [--reps 400] [--repeats 5]

Times ``Batch.run`` of ``--reps`` replications of examples/plugins/scenarios/spoilers.yaml
(monthly, 96 steps, talks) with its dynamics term, against the same file without the
``dynamics:`` section (the event and strategy plug-ins in both), alternating the two, and prints
the minimum of the repeats of each and their ratio as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPOILERS = ROOT / "examples" / "plugins" / "scenarios" / "spoilers.yaml"


def main() -> None:
    from diplosim.engine.batch import Batch
    from diplosim.results import replication_seeds
    from diplosim.scenario import load_scenario, scenario_from_text

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with_term = load_scenario(SPOILERS)
    text = SPOILERS.read_text()
    section = text[text.index("dynamics:\n"):text.index("events:\n")]
    without = scenario_from_text(text.replace(section, ""), "spoilers without the term")
    seeds = replication_seeds(1, args.reps)
    times: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.repeats):
        for name, sc in (("with", with_term), ("without", without)):
            batch = Batch(sc, seeds)
            tick = time.perf_counter()
            batch.run()
            times[name].append(time.perf_counter() - tick)
    best = {k: min(v) for k, v in times.items()}
    print(json.dumps({"benchmark": "plugin_term", "replications": args.reps,
                      "steps": with_term.steps, "with_term_s": round(best["with"], 3),
                      "without_term_s": round(best["without"], 3),
                      "ratio": round(best["with"] / best["without"], 3)}))


if __name__ == "__main__":
    main()
