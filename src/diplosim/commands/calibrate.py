"""``diplosim calibrate``: U.S. mission breaks in real data, side by side with a run's closures,
and (``--fit``) a fit of the rupture template to them by ABC-SMC (docs/calibration.md)."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from diplosim.analysis.calibration import (
    CREDIT,
    EpisodeRules,
    break_statistics,
    data_episodes,
    model_closures,
)
from diplosim.io.errors import InputError
from diplosim.io.options import CAUSES
from diplosim.results.runset import read_runset

LABELS = {
    "breaks": "breaks (spells)",
    "restored_share": "share restored",
    "median_years_restored": "median years, restored",
    "mean_years_restored": "mean years, restored",
    "km_median_years": "Kaplan-Meier median years",
    "interests_share": "share with an interests section",
}




def _rules(args: argparse.Namespace) -> EpisodeRules:
    if args.causes is None:
        causes = ("rupture", "evacuation") if args.fit or args.joint or args.loco else CAUSES
    else:
        causes = tuple(c.strip() for c in args.causes.split(",") if c.strip())
        bad = [c for c in causes if c not in CAUSES]
        if bad or not causes:
            raise InputError.single("unknown cause", source="--causes", value=args.causes,
                                    allowed=", ".join(CAUSES))
    for option, value in (("--since", args.since), ("--until", args.until)):
        try:
            np.datetime64(value, "D")
        except ValueError:
            raise InputError.single("not a date", source=option, value=value,
                                    allowed="a date YYYY-MM-DD") from None
    return EpisodeRules(since=args.since, until=args.until, causes=causes)


def calibrate_command(args: argparse.Namespace) -> int:
    rules = _rules(args)
    if args.joint or args.loco:
        from diplosim.io.extras import require

        require("calibrate", "diplosim calibrate --joint")
        if args.backend == "dask":
            require("dask", "--backend dask")
        if args.fit or args.results:
            raise InputError.single("--joint and --loco fit the real cases, not a template or "
                                    "a run", source="--joint", allowed="diplosim calibrate "
                                    "--joint [options], without --fit or RESULTS")
        from diplosim.commands.calibrate_joint import joint_command

        return joint_command(args, rules)
    if args.fit:
        from diplosim.io.extras import require

        require("calibrate", "diplosim calibrate --fit")
        if args.backend == "dask":
            require("dask", "--backend dask")
        from diplosim.commands.calibrate_fit import fit_command

        return fit_command(args, rules)
    episodes = data_episodes(rules)
    data = break_statistics(episodes["years"].to_numpy(), episodes["restored"].to_numpy(),
                            episodes["interests"].to_numpy())
    columns = {"U.S. missions": data}
    if args.results:
        rs = read_runset(args.results)
        try:
            closures = model_closures(rs.dyads, rs.time_unit)
        except ValueError as exc:
            raise InputError.single(str(exc), source=str(args.results)) from None
        columns[f"model: {rs.scenario_name}"] = break_statistics(
            closures["years"].to_numpy(), closures["restored"].to_numpy().astype(bool))
    print(f"episodes: {rules.describe()}")
    width = max(len(v) for v in LABELS.values())
    print(f"{'':<{width}}  " + "  ".join(f"{name:>22}" for name in columns))
    for key, label in LABELS.items():
        cells = [_fmt(col.get(key, np.nan), whole=key == "breaks") for col in columns.values()]
        print(f"{label:<{width}}  " + "  ".join(f"{c:>22}" for c in cells))
    if args.list:
        print()
        print(episodes.drop(columns=["observed_until"]).to_string(index=False))
    print(f"\ndata: {CREDIT}")
    sys.stdout.flush()
    return 0


def _fmt(x: float, whole: bool = False) -> str:
    if x != x:
        return "—"
    return f"{x:.0f}" if whole or (float(x).is_integer() and x > 1) else f"{x:.2f}"
