"""``diplosim sweep`` and ``diplosim analyze``."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import pandas as pd

from diplosim.experiment.loader import load_experiment
from diplosim.experiment.sensitivity import analyze
from diplosim.experiment.store import read_sweep
from diplosim.experiment.sweep import run_sweep
from diplosim.io.extras import require
from diplosim.io.outputs import atomic_write, write_csv


def sweep_command(args: argparse.Namespace) -> int:
    if args.backend == "dask":  # before the experiment is read or a folder claimed
        require("dask", "--backend dask")
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
