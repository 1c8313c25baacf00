"""``diplosim calibrate``: mission breaks in real data, side by side with a run's closures."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from diplosim.analysis.calibration import (
    CREDIT,
    break_statistics,
    load_mission_ranges,
    mission_breaks,
    model_closures,
)
from diplosim.errors import InputError
from diplosim.runset import read_runset

LABELS = {
    "breaks": "breaks (spells)",
    "restored_share": "share restored",
    "median_years_restored": "median years, restored",
    "mean_years_restored": "mean years, restored",
    "km_median_years": "Kaplan-Meier median years",
    "interests_share": "share with an interests section",
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="compare mission closures with U.S. mission breaks since 1945",
        description="Statistics of U.S. mission breaks (real data, CC-BY 4.0) and, given a "
        "results folder of `diplosim run`, of the run's mission closures.",
    )
    p.add_argument("results", nargs="?", help="results folder of diplosim run (optional)")
    p.add_argument("--since", default="1945-01-01", help="first date of breaks (YYYY-MM-DD)")
    p.add_argument("--list", action="store_true", help="list the breaks of the data")
    p.set_defaults(func=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    try:
        breaks = mission_breaks(load_mission_ranges(), since=args.since)
    except ValueError as exc:
        raise InputError.single(str(exc), source="--since", value=args.since,
                                allowed="a date YYYY-MM-DD") from None
    data = break_statistics(breaks["years"].to_numpy(), breaks["restored"].to_numpy(),
                            breaks["interests"].to_numpy())
    columns = {"U.S. missions": data}
    if args.results:
        rs = read_runset(args.results)
        try:
            closures = model_closures(rs.dyads, rs.time_unit)
        except ValueError as exc:
            raise InputError.single(str(exc), source=str(args.results)) from None
        columns[f"model: {rs.scenario_name}"] = break_statistics(
            closures["years"].to_numpy(), closures["restored"].to_numpy().astype(bool))
    width = max(len(v) for v in LABELS.values())
    print(f"{'':<{width}}  " + "  ".join(f"{name:>22}" for name in columns))
    for key, label in LABELS.items():
        cells = [_fmt(col.get(key, np.nan)) for col in columns.values()]
        print(f"{label:<{width}}  " + "  ".join(f"{c:>22}" for c in cells))
    if args.list:
        print()
        print(breaks.to_string(index=False))
    print(f"\ndata: {CREDIT}")
    return 0


def _fmt(x: float) -> str:
    return "—" if x != x else (f"{x:.0f}" if float(x).is_integer() and x > 1 else f"{x:.2f}")
