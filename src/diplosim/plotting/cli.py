"""``diplosim plot``: figures of a run folder, a sweep folder or a negotiation session file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from diplosim.errors import InputError
from diplosim.plotting.files import FORMATS, RUN_KINDS, SWEEP_KINDS
from diplosim.yamlio import read_yaml, suggest_path


def register(sub: Any) -> None:
    p = sub.add_parser(
        "plot", help="draw figures of a results folder (run or sweep) or a negotiation file",
        description="Draw the standard figures of a `diplosim run` folder "
        f"({', '.join(RUN_KINDS)}), of a `diplosim sweep` folder ({', '.join(SWEEP_KINDS)}), "
        "or the offers of a negotiation session file (negotiation).")
    p.add_argument("results", help="results folder, or a negotiation session YAML file")
    p.add_argument("--kind", action="append", default=None,
                   help="figure to draw (repeatable; default: all for these results)")
    p.add_argument("--out", default=None,
                   help="folder for the figures: new, empty or one diplosim wrote (default "
                   "RESULTS/figures; for a session file, results/<session file name>/)")
    p.add_argument("--format", choices=FORMATS, default="png")
    p.add_argument("--dyad", default=None,
                   help="run: the time series' dyad, e.g. north-south (default: the first whose "
                   "missions closed)")
    p.add_argument("--replication", type=int, default=0,
                   help="run: the replication of the timeline and network (default 0)")
    p.add_argument("--step", type=int, default=None,
                   help="run: the network's step (default: the first mission closure)")
    p.add_argument("--seed", type=int, default=None, help="negotiation: override the seed")
    p.set_defaults(func=plot_command)


def plot_command(args: argparse.Namespace) -> int:
    from diplosim.plotting.files import FigureFolder, write_run_figures, write_sweep_figures

    target = Path(args.results)
    if not target.exists():
        hint = suggest_path(target)
        raise InputError.single(f"no such file or folder{f' ({hint})' if hint else ''}",
                                source=str(target),
                                allowed="a folder written by diplosim run or diplosim sweep, or "
                                "a negotiation session .yaml")
    if target.is_file():
        _refuse_other_inputs(target)
        from diplosim.negotiation.session import build_session, load_session
        from diplosim.plotting.negotiation import plot_negotiation

        if args.kind and args.kind != ["negotiation"]:
            raise InputError.single("a session file has one figure", source="--kind",
                                    value=args.kind, allowed="negotiation")
        plan = load_session(target)
        out = FigureFolder(args.out or Path("results") / target.stem, source=target)
        session = build_session(plan, args.seed)
        result = session.run()
        name = plan.spec.name or target.stem
        path = out.save(plot_negotiation(result, session.setting, title=name),
                        f"negotiation.{args.format}")
        print(f"figure: {path}")
        return 0
    if (target / "provenance.json").exists() and (target / "parts").is_dir():
        paths = write_sweep_figures(target, args.out, args.kind, args.format)
    elif (target / "dyads.parquet").exists():
        paths = write_run_figures(target, args.out, args.kind, args.format, dyad=args.dyad,
                                  replication=args.replication, step=args.step)
    else:
        raise InputError.single("not a results folder or a negotiation file", source=str(target),
                                allowed="a folder written by diplosim run or diplosim sweep, or "
                                "a negotiation session .yaml")
    for path in paths:
        print(f"figure: {path}")
    return 0


def _refuse_other_inputs(path: Path) -> None:
    """A scenario or experiment file is not plotted itself: say which command makes results."""
    try:
        doc = read_yaml(path).data
    except InputError:
        return  # the session loader reports it with its line
    if not isinstance(doc, dict):
        return
    if "states" in doc or "channels" in doc:
        raise InputError.single(
            "a scenario file has no results to plot yet", source=str(path),
            allowed=f"run it first (diplosim run {path} --out DIR), then plot DIR")
    if "design" in doc and "scenario" in doc:
        raise InputError.single(
            "an experiment file has no results to plot yet", source=str(path),
            allowed=f"run it first (diplosim sweep {path} --out DIR), then plot DIR")
