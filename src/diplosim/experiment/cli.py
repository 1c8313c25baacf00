"""``diplosim sweep`` and ``diplosim analyze``."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

import pandas as pd

from diplosim.experiment.executors import BACKENDS
from diplosim.experiment.sensitivity import METHODS, analyze
from diplosim.experiment.spec import load_experiment
from diplosim.experiment.store import read_sweep
from diplosim.experiment.sweep import run_sweep, write_csv
from diplosim.outputs import atomic_write


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sweep", help="run a parameter sweep (experiment file) into a resumable results folder",
        description="Run every point × replication of an experiment file on local processes, "
        "serially or on a Dask cluster; results stream to Parquet parts, so an interrupted "
        "sweep loses at most the runs in flight and --resume finishes it.")
    p.add_argument("experiment", help="experiment YAML file")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=BACKENDS, default="process",
                   help="serial, process (default) or dask")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --backend dask: an existing scheduler (tcp://host:8786); "
                   "default: start a local cluster")
    p.add_argument("--out", default=None, help="results folder (default results/<experiment>)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out, skipping the runs stored")
    p.add_argument("--csv", action="store_true", help="also export runs.csv (and series.csv)")
    p.add_argument("--quiet", action="store_true", help="no progress line or summary")
    p.set_defaults(func=sweep_command)

    a = sub.add_parser("analyze", help="sensitivity indices (Sobol, Morris) of a sweep",
                       description="Average replications per point and compute Sobol (S1, ST, "
                       "S2 with confidence intervals) or Morris (mu*, sigma) indices with SALib; "
                       "print them and write sensitivity_<method>.csv into the results folder.")
    a.add_argument("results", help="a folder written by diplosim sweep")
    a.add_argument("--sensitivity", choices=METHODS, required=True)
    a.add_argument("--outcome", action="append", default=None,
                   help="outcome to analyse (repeatable; default: all)")
    a.set_defaults(func=analyze_command)


def sweep_command(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment)
    out = Path(args.out) if args.out else Path("results") / experiment.name
    report = run_sweep(experiment, out, backend=args.backend, workers=args.workers,
                       scheduler=args.scheduler, resume=args.resume, csv=args.csv,
                       progress=False if args.quiet else None)
    if not args.quiet:
        spec = experiment.spec
        print(f"{experiment.name}: {spec.design.kind.value} design, "
              f"{report.total // spec.replications} points × {spec.replications} replications "
              f"= {report.total} runs of {experiment.scenario.name} ({experiment.steps} steps)")
        if report.already:
            print(f"resumed: {report.already} runs were already stored")
        print(f"ran {report.ran} runs in {report.seconds:.1f} s ({report.rate:.1f} runs/s) "
              f"on {report.backend}")
        if report.failed_total:
            print(f"warning: {report.failed_total} runs failed; their errors are in the runs "
                  "table (status, error)")
        print(f"results: {report.path}/ (design, parts/runs-*.parquet, provenance.json)")
    return 0 if report.failed_total == 0 else 3


def analyze_command(args: argparse.Namespace) -> int:
    result = read_sweep(args.results)
    sens = analyze(result, args.sensitivity, args.outcome)
    with pd.option_context("display.width", 120, "display.max_columns", 20,
                           "display.float_format", "{:.3f}".format):
        for stem, table in sens.tables.items():
            path = result.path / f"{stem}.csv"
            atomic_write(path, functools.partial(write_csv, table))
            print(f"{stem} ({path})")
            print(table.to_string(index=False))
            print()
    for outcome, why in sens.skipped.items():
        print(f"not analysed: {outcome}: {why}")
    return 0
