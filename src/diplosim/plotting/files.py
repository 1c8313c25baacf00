"""Writing the standard figures of a results folder (atomically, one file per figure)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from diplosim.io.errors import InputError
from diplosim.io.options import FORMATS, RUN_KINDS, SWEEP_KINDS
from diplosim.io.outputs import (
    FIGURES_MARKER,
    FORMAT,
    check_file_target,
    claim_folder,
    read_marker,
    write_json,
)
from diplosim.plotting.style import style
from diplosim.results.runset import RunSet, read_runset

# The first bytes of each format: a file is replaced only by a figure of its own format.
_SIGNATURES = {"png": (b"\x89PNG",), "pdf": (b"%PDF",), "svg": (b"<?xml", b"<svg")}


def save(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` through a temporary file, so a figure is whole or absent.
    An existing ``path`` is replaced only when it is a figure file of the same format (never a
    link, a folder or another kind of file)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".")
    if fmt not in FORMATS:
        raise InputError.single("unknown figure format", source="--format", value=fmt,
                                allowed=", ".join(FORMATS))
    check_file_target(path, FORMATS, f"a .{fmt} figure")
    if path.exists():
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
        if not head.startswith(_SIGNATURES[fmt]):
            raise InputError.single(f"exists and is not a {fmt} figure", source=str(path),
                                    allowed="a new path for the figure")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.{fmt}")
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None, "ModDate": None}}[fmt]
    try:
        with style():  # the house rc (svg.hashsalt: stable ids) also when the file is written
            fig.savefig(tmp, format=fmt, metadata=metadata, dpi=200, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class FigureFolder:
    """A folder of figures diplosim draws into: new, empty or one it wrote
    (:func:`diplosim.io.outputs.claim_folder`); ``figures.json`` lists what it holds."""

    def __init__(self, path: str | Path, source: str | Path | None = None,
                 option: str = "--out") -> None:
        self.path = Path(path)
        claim_folder(self.path, "figures", option=option)
        self.source = str(source) if source is not None else None
        # RESULTS/figures is known by its parent's provenance; other folders get figures.json.
        self.listed = not (self.path.name == "figures" and read_marker(self.path.parent))

    def save(self, fig: Figure, name: str) -> Path:
        path = save(fig, self.path / name)
        if self.listed:
            self._record(name)
        return path

    def _record(self, name: str) -> None:
        marker = self.path / FIGURES_MARKER
        data = read_marker(self.path) if marker.exists() else None
        names = set(data.get("figures", [])) if data else set()
        names.add(name)
        manifest = {"format": FORMAT, "kind": "figures", "source": self.source,
                    "figures": sorted(names)}
        write_json(marker, manifest)


def _check_kinds(kinds: list[str] | None, allowed: tuple[str, ...]) -> list[str]:
    chosen = kinds or list(allowed)
    for kind in chosen:
        if kind not in allowed:
            raise InputError.single("unknown figure kind for these results", source="--kind",
                                    value=kind, allowed=", ".join(allowed))
    return chosen


def write_run_figures(results: str | Path, out: str | Path | None = None,
                      kinds: list[str] | None = None, fmt: str = "png", *,
                      dyad: str | None = None, replication: int = 0,
                      step: int | None = None, runs: RunSet | None = None) -> list[Path]:
    """Draw the standard figures of a ``diplosim run`` folder into ``out`` (default
    ``<results>/figures``); return their paths. ``dyad`` picks the time series' dyad (default:
    the first whose missions closed), ``replication`` the timeline's and network's replication,
    ``step`` the network's step (default: the first mission closure). ``runs``: the folder's
    tables already in memory (``diplosim run`` draws from the tables it has just written)
    instead of reading them back."""
    from diplosim.plotting.network import plot_network
    from diplosim.plotting.runs import plot_channel_timeline, plot_survival, plot_time_series

    runs = read_runset(results) if runs is None else runs
    chosen = _check_kinds(kinds, RUN_KINDS)
    dyads = list(dict.fromkeys(runs.dyads["dyad"].astype(str)))
    if dyad is not None and dyad not in dyads:
        raise InputError.single("no such dyad in these results", source="--dyad", value=dyad,
                                allowed=", ".join(dyads))
    reps = sorted(int(r) for r in runs.dyads["replication"].unique())
    if replication not in reps:
        raise InputError.single("no such replication in these results", source="--replication",
                                value=replication, allowed=f"{reps[0]}–{reps[-1]}")
    last = int(runs.dyads["step"].max())
    if step is not None and not 0 <= step <= last:
        raise InputError.single("step outside the run", source="--step", value=step,
                                allowed=f"0–{last}")
    target = Path(out) if out else Path(results) / "figures"
    makers: dict[str, Callable[[], Figure]] = {
        "time_series": lambda: plot_time_series(runs, dyad),
        "survival": lambda: plot_survival(runs),
        "timeline": lambda: plot_channel_timeline(runs, replication),
        "network": lambda: plot_network(runs, step, replication),
    }
    figures = FigureFolder(target, source=results if out else None)
    return [figures.save(makers[k](), f"{k}.{fmt}") for k in chosen]


def write_sweep_figures(results: str | Path, out: str | Path | None = None,
                        kinds: list[str] | None = None, fmt: str = "png") -> list[Path]:
    """Figures of a ``diplosim sweep`` folder: each outcome against each parameter, heatmaps
    over the first two parameters, and sensitivity bars if ``diplosim analyze`` ran."""
    from diplosim.experiment import read_sweep
    from diplosim.plotting.sweeps import (
        plot_heatmap,
        plot_morris,
        plot_outcome_vs_parameter,
        plot_sobol,
    )

    sweep = read_sweep(results)
    target = Path(out) if out else Path(results) / "figures"
    chosen = _check_kinds(kinds, SWEEP_KINDS)
    figures = FigureFolder(target, source=results if out else None)
    params, outcomes = sweep.parameters, sweep.outcomes
    runs = sweep.runs
    name = sweep.provenance.get("experiment", {}).get("name", "sweep")
    paths: list[Path] = []
    if not len(sweep.ok):
        raise InputError.single("the sweep holds no successful run to plot", source=str(results))
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(runs[p])]
    for outcome in outcomes:
        if "response" in chosen:
            for p in numeric:
                fig = plot_outcome_vs_parameter(runs, p, outcome, title=f"{name}: {outcome}")
                paths.append(figures.save(fig, f"response_{outcome}_{p}.{fmt}"))
        if "heatmap" in chosen and sweep.provenance.get("design", {}).get("kind") in (
                "grid", "list"):
            for x, y in list(itertools.combinations(params, 2))[:6]:
                fig = plot_heatmap(runs, x, y, outcome, title=f"{name}: {outcome}")
                paths.append(figures.save(fig, f"heatmap_{outcome}_{x}_{y}.{fmt}"))
    if "sensitivity" in chosen:
        for method, draw in (("sobol", plot_sobol), ("morris", plot_morris)):
            table_file = Path(results) / f"sensitivity_{method}.csv"
            if not table_file.exists():
                continue
            table = pd.read_csv(table_file)
            for outcome in dict.fromkeys(table["outcome"]):
                fig = draw(table, outcome, title=f"{name}: {method} indices of {outcome}")
                paths.append(figures.save(fig, f"{method}_{outcome}.{fmt}"))
    return paths
