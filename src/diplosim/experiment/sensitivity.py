"""Sensitivity indices from a sweep, with SALib, after averaging replications per point.

Sobol (Saltelli design): first-order S1, total ST and second-order S2 with bootstrap confidence
intervals (Saltelli 2002; Saltelli et al. 2010). Morris (Morris 1991; Campolongo et al. 2007):
mu, mu* with its bootstrap interval, and sigma. The design's rows are the points in SALib's own
order, so the averaged outcomes line up with the samples the analyser expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from diplosim.experiment.store import SweepResult
from diplosim.io.errors import InputError
from diplosim.io.extras import require
from diplosim.io.options import METHODS


@dataclass
class Sensitivity:
    method: str
    tables: dict[str, pd.DataFrame]  # file stem → table
    skipped: dict[str, str] = field(default_factory=dict)  # outcome → why


def point_means(result: SweepResult, outcome: str) -> np.ndarray:
    """The outcome averaged over each point's successful replications (NaN if none)."""
    n_points = len(result.design)
    ok = result.ok
    means = ok.groupby("point_id")[outcome].mean()
    y = np.full(n_points, np.nan)
    y[means.index.to_numpy(dtype=int)] = means.to_numpy(dtype=float)
    return y


def analyze(result: SweepResult, method: str, outcomes: list[str] | None = None) -> Sensitivity:
    """Sobol (S1, ST, S2 with confidence intervals) or Morris (mu*, sigma) indices of a
    sweep's outcomes (``method``: ``sobol`` or ``morris``, matching its design), replications
    averaged per point; ``outcomes`` limits them (default: all). Uses SALib."""
    if method not in METHODS:
        raise InputError.single("unknown sensitivity method", source="--sensitivity",
                                value=method, allowed=", ".join(METHODS))
    require("sensitivity", "sensitivity indices")
    design = result.provenance.get("design", {})
    if design.get("kind") != method:
        raise InputError.single(
            f"a {method} analysis needs a sweep with design kind {method}",
            source=str(result.path), value=design.get("kind"),
            allowed=f"a sweep whose experiment has design: {{kind: {method}}}")
    if result.provenance.get("status") != "complete":
        raise InputError.single("the sweep is not complete; finish it with --resume first",
                                source=str(result.path))
    problem = design["problem"]
    names = outcomes or result.outcomes
    unknown = [o for o in names if o not in result.outcomes]
    if unknown:
        raise InputError.single("unknown outcome", source="--outcome", value=unknown[0],
                                allowed=", ".join(result.outcomes))
    seed = int(result.provenance.get("root_seed", 0))
    frames: dict[str, list[pd.DataFrame]] = {}
    skipped: dict[str, str] = {}
    for outcome in names:
        y = point_means(result, outcome)
        if np.isnan(y).any():
            skipped[outcome] = (f"undefined (NaN) at {int(np.isnan(y).sum())} of {y.size} points "
                                "(no successful run, or the outcome never happened)")
            continue
        if np.ptp(y) == 0:
            skipped[outcome] = "constant over the design: every index is zero or undefined"
            continue
        if method == "sobol":
            parts = _sobol(problem, y, bool(design.get("second_order", True)), seed)
        else:
            x = result.design[problem["names"]].to_numpy(dtype=float)
            parts = _morris(problem, x, y, int(design.get("levels", 4)), seed)
        for stem, table in parts.items():
            table.insert(0, "outcome", outcome)
            frames.setdefault(stem, []).append(table)
    tables = {stem: pd.concat(fs, ignore_index=True) for stem, fs in frames.items()}
    return Sensitivity(method=method, tables=tables, skipped=skipped)


def _sobol(problem: dict[str, object], y: np.ndarray, second_order: bool, seed: int
           ) -> dict[str, pd.DataFrame]:
    from SALib.analyze import sobol

    res = sobol.analyze(problem, y, calc_second_order=second_order, print_to_console=False,
                        seed=seed)
    names = list(problem["names"])  # type: ignore[call-overload]
    first = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                          "ST": res["ST"], "ST_conf": res["ST_conf"]})
    out = {"sensitivity_sobol": first}
    if second_order:
        rows = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append({"parameter_1": names[i], "parameter_2": names[j],
                             "S2": res["S2"][i, j], "S2_conf": res["S2_conf"][i, j]})
        out["sensitivity_sobol_s2"] = pd.DataFrame(rows)
    return out


def _morris(problem: dict[str, object], x: np.ndarray, y: np.ndarray, levels: int, seed: int
            ) -> dict[str, pd.DataFrame]:
    from SALib.analyze import morris

    res = morris.analyze(problem, x, y, num_levels=levels, print_to_console=False, seed=seed)
    return {"sensitivity_morris": pd.DataFrame({
        "parameter": list(res["names"]), "mu": res["mu"], "mu_star": res["mu_star"],
        "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})}
