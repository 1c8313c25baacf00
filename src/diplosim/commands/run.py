"""``diplosim run``: replications of one scenario, a summary table and a results folder."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from diplosim.io.errors import InputError
from diplosim.io.outputs import claim_folder
from diplosim.io.overrides import parse_assignments
from diplosim.io.progress import Progress
from diplosim.results.posterior import posterior_record, read_posterior
from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.runset import RunSet, command_line, now, versions, write_runset
from diplosim.results.tables import simulate_tables
from diplosim.scenario import Scenario, load_scenario
from diplosim.scenario.dates import period_of

DEFAULT_SEED = 12345




def prepare(path: str, overrides: list[str], steps: int | None) -> Scenario:
    sets = parse_assignments(overrides)
    if steps is not None:
        sets["steps"] = steps
    return load_scenario(path, sets, {"steps": "--steps"})


def run_command(args: argparse.Namespace) -> int:
    if args.reps < 1:
        raise InputError.single("must be at least 1", source="--reps", value=args.reps,
                                allowed="a positive integer")
    if args.seed is not None and args.seed < 0:
        raise InputError.single("must be non-negative", source="--seed", value=args.seed)
    if args.steps is not None and args.steps < 1:
        raise InputError.single("must be at least 1", source="--steps", value=args.steps,
                                allowed="a positive integer")
    started = now()
    scenario = prepare(args.scenario, args.overrides, args.steps)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    if claim_folder(out, "run", overwrite=args.overwrite) == "own" and not args.quiet:
        print(f"replacing the earlier results in {out}/ when the new ones are complete",
              file=sys.stderr)
    root = args.seed if args.seed is not None else (scenario.spec.seed or DEFAULT_SEED)
    seeds = replication_seeds(root, args.reps)
    posterior = read_posterior(args.posterior) if args.posterior else None
    progress = Progress(args.reps, "replications", enabled=None if not args.quiet else False)
    particles: list[int] = []
    variants = None
    if posterior is not None:  # each replication under its own draw, on the same batch axis
        particles = posterior.draw(seeds)
        drawn = {k: posterior.scenario_for(scenario, k) for k in dict.fromkeys(particles)}
        variants = [drawn[k] for k in particles]
    labels = [seed_label(s) for s in seeds]
    # replications as an array axis (diplosim.engine.batch), each equal to its single run; the
    # tables built a batch at a time from the batch's arrays
    tables = simulate_tables(scenario, seeds, labels, on_batch=progress.update,
                             variants=variants)
    provenance = {
        "kind": "run",
        "scenario": {
            "name": scenario.name,
            "source": scenario.source,
            "sha256": scenario.sha256,
            "overrides": dict(scenario.overrides),
            "time_unit": scenario.spec.time_unit,
            "start": scenario.spec.start.isoformat() if scenario.spec.start else None,
            "steps": scenario.steps,
            "text": scenario.text,
            "plugins": scenario.plugins,
        },
        "root_seed": root,
        "replications": args.reps,
        **({"posterior": posterior_record(posterior, particles)} if posterior else {}),
        "seeds": labels,
        "versions": versions(),
        "command": command_line(),
        "started": started,
        "finished": now(),
    }
    figures: list[Path] = []

    def draw(folder: Path) -> None:  # into the new folder, before it is moved into place
        if not args.no_plots:  # from the tables in memory, not read back
            figures.extend(_draw(folder, RunSet(folder, tables, provenance)))

    write_runset(out, tables, provenance, csv=not args.no_csv, overwrite=args.overwrite,
                 before_publish=draw)
    if not args.quiet:
        print(summary_text(scenario, tables["summary"], args.reps, root))
        if posterior is not None:
            print(f"\nparameters: one draw per replication from the posterior of "
                  f"{posterior.source} ({len(set(particles))} distinct of "
                  f"{len(posterior.weights)} particles; {', '.join(posterior.paths)})")
        print(f"\nresults: {out}/ ({', '.join(sorted(tables))} as Parquet"
              f"{' + CSV' if not args.no_csv else ''}; provenance.json)")
        if figures:
            print(f"figures: {len(figures)} in {out}/figures/")
    return 0


def _draw(out: Path, runs: RunSet) -> list[Path]:
    try:
        plotting = importlib.import_module("diplosim.plotting")
    except ModuleNotFoundError:
        return []
    draw = getattr(plotting, "write_run_figures", None)
    if draw is None:
        return []
    paths: list[Path] = draw(out, runs=runs)
    return paths


def _spread(values: pd.Series, fmt: str = "{:.2f}") -> str:
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return "—"
    if v.size == 1:
        return fmt.format(v[0])
    return (f"{fmt.format(v.mean())} ± {fmt.format(v.std(ddof=1))} "
            f"[{fmt.format(v.min())}–{fmt.format(v.max())}]")


def _date_spread(values: pd.Series, scenario: Scenario) -> str:
    """The periods of the median [earliest–latest] step, on the scenario's calendar."""
    v = values.dropna().to_numpy(dtype=float)
    start = scenario.spec.start
    if v.size == 0 or start is None:
        return "—"
    steps = np.rint(np.quantile(v, [0.5, 0.0, 1.0])).astype(np.int64)
    median, low, high = (period_of(int(s), start, scenario.spec.time_unit) for s in steps)
    return median if low == high else f"{median} [{low} – {high}]"


def summary_text(scenario: Scenario, summary: pd.DataFrame, reps: int, root: int) -> str:
    """Per dyad: mission closure, continuity during closure, redundancy, channels open at end."""
    unit = scenario.spec.time_unit
    lines = [f"{scenario.name}: {reps} replications x {scenario.steps} {unit}s, root seed {root}",
             "values: mean ± sd [min–max] over replications", ""]
    kinds = [c.removeprefix("open_at_end_") for c in summary.columns
             if c.startswith("open_at_end_")]
    dyads = list(dict.fromkeys(summary["dyad"]))
    shown = [d for d in dyads if summary.loc[summary.dyad == d, "closure_steps"].sum() > 0]
    if not shown:
        shown = dyads[:10]
    for dyad in shown[:20]:
        s = summary[summary.dyad == dyad]
        closed = s["first_mission_closure"]
        n_closed = int(closed.notna().sum())
        rows = [
            ("missions closed (replications)", f"{n_closed}/{len(s)}"),
            (f"first mission closure ({unit})", _spread(closed, "{:.1f}")),
            (f"missions restored ({unit})", _spread(s["mission_reopened"], "{:.1f}")
             + (f"  ({int(s['mission_reopened'].notna().sum())}/{n_closed} restored)"
                if n_closed else "")),
        ]
        if scenario.spec.start is not None:
            rows += [("first mission closure (period, median [range])",
                      _date_spread(closed, scenario)),
                     ("missions restored (period)", _date_spread(s["mission_reopened"], scenario))]
        rows += [
            ("continuity during closure", _spread(s["continuity_during_closure"])),
            ("mean redundancy", _spread(s["mean_redundancy"])),
            ("mean redundancy during closure", _spread(s["mean_redundancy_during_closure"])),
            ("peak tension", _spread(s["peak_tension"])),
        ]
        rows += [(f"open at end: {k}", _spread(s[f"open_at_end_{k}"], "{:.1f}")) for k in kinds]
        if s["talks"].sum() > 0:
            agreed = s["first_agreement"]
            rows += [
                ("talks held", _spread(s["talks"], "{:.1f}")),
                ("agreement reached (replications)", f"{int(agreed.notna().sum())}/{len(s)}"),
                (f"first agreement ({unit})", _spread(agreed, "{:.1f}")),
                *([("first agreement (period)", _date_spread(agreed, scenario))]
                  if scenario.spec.start is not None else []),
                ("agreements that broke down", _spread(s["agreement_breakdowns"], "{:.1f}")),
            ]
        width = max(len(r[0]) for r in rows)
        lines.append(f"dyad {dyad}")
        lines += [f"  {name:<{width}}  {value}" for name, value in rows]
        lines.append("")
    if len(shown) > 20:
        lines.append(f"... {len(shown) - 20} more dyads in summary.parquet")
    return "\n".join(lines).rstrip()


def mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")
