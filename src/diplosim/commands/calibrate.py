"""``diplosim calibrate``: U.S. mission breaks in real data, side by side with a run's closures,
and (``--fit``) a fit of the rupture template to them by ABC-SMC (docs/calibration.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from diplosim.analysis.calibration import (
    CAUSES,
    CREDIT,
    EpisodeRules,
    break_statistics,
    data_episodes,
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
TEMPLATE = "scenarios/us_ruptures.yaml"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="compare mission closures with U.S. mission breaks since 1945; fit the rupture "
        "template to them (--fit)",
        description="Statistics of U.S. mission breaks (real data, CC-BY 4.0) and, given a "
        "results folder of `diplosim run`, of the run's mission closures. With --fit: fit the "
        "rupture template's parameters to the selected breaks by ABC-SMC (pyabc) and write a "
        "results folder (posterior, predictive checks, figures, a calibrated scenario).")
    p.add_argument("results", nargs="?", help="results folder of diplosim run (optional)")
    p.add_argument("--since", default="1945-01-01",
                   help="first start date of the breaks kept (YYYY-MM-DD; default 1945-01-01)")
    p.add_argument("--until", default="2024-12-31",
                   help="last start date of the breaks kept (default 2024-12-31)")
    p.add_argument("--causes", default=None,
                   help=f"comma-separated causes kept ({', '.join(CAUSES)}); default: all "
                   "without --fit, rupture,evacuation with --fit")
    p.add_argument("--list", action="store_true", help="list the breaks kept")
    f = p.add_argument_group("fit (--fit)")
    f.add_argument("--fit", action="store_true", help="fit the template to the breaks kept")
    f.add_argument("--template", default=TEMPLATE, help=f"template scenario (default {TEMPLATE})")
    f.add_argument("--prior", action="append", default=[], metavar="PATH=LOW:HIGH[:log]",
                   help="fit this dotted path (repeatable; replaces the default priors)")
    f.add_argument("--population", type=int, default=200, help="particles per generation")
    f.add_argument("--generations", type=int, default=10, help="at most this many generations")
    f.add_argument("--episodes", type=int, default=400,
                   help="simulated episodes per parameter set (default 400)")
    f.add_argument("--draws", type=int, default=100,
                   help="posterior draws for the predictive checks (default 100)")
    f.add_argument("--predict-since", default=None, metavar="DATE",
                   help="out of sample: also predict the breaks begun from DATE (to --predict-"
                   "until), with the same causes")
    f.add_argument("--predict-until", default="2024-12-31", metavar="DATE")
    f.add_argument("--seed", type=int, default=1945, help="root seed (default 1945)")
    f.add_argument("--backend", choices=("serial", "process", "dask"), default="process")
    f.add_argument("--workers", type=int, default=None)
    f.add_argument("--scheduler", default=None, metavar="ADDRESS")
    f.add_argument("--out", default=None, help="results folder (default results/<template>_fit)")
    f.add_argument("--resume", action="store_true",
                   help="continue an interrupted fit in --out (its history is kept)")
    p.set_defaults(func=calibrate_command)


def _rules(args: argparse.Namespace) -> EpisodeRules:
    if args.causes is None:
        causes = ("rupture", "evacuation") if args.fit else CAUSES
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
    if args.fit:
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
