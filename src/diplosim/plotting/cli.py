"""``diplosim plot``: figures of a run folder, a sweep folder or a negotiation session file."""

from __future__ import annotations

import argparse
from pathlib import Path

from diplosim.io.errors import InputError
from diplosim.io.yamlio import read_yaml, suggest_path


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
