"""Sweep figures: an outcome against a parameter, a heatmap over two, sensitivity bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from diplosim.plotting.style import colour, new_figure, styled


def point_stats(runs: pd.DataFrame, parameters: list[str], outcome: str) -> pd.DataFrame:
    """Mean, sd and count of ``outcome`` over successful replications, per parameter values."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    g = ok.groupby(parameters)[outcome]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()}).reset_index()


MAX_VALUES = 12  # more distinct parameter values than this (LHS, Sobol): summarise in bins


@styled
def plot_outcome_vs_parameter(runs: pd.DataFrame, parameter: str, outcome: str,
                              ax: Axes | None = None, title: str = "",
                              bins: int | None = None) -> Figure:
    """Each successful run as a dot; the mean ± 1 sd of the runs at each parameter value (the
    spread over replications and over any other parameters). With more than ``MAX_VALUES``
    distinct values (sampled designs), or when ``bins`` is given, the runs are grouped into
    ``bins`` (default 10) equal-count bins and each bin is drawn at the mean of its values."""
    fig, ax = new_figure(ax, (5.5, 3.8))
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    n_runs = len(ok)
    ok = ok[np.isfinite(ok[outcome].to_numpy(dtype=float))]
    undefined = n_runs - len(ok)  # e.g. first_agreement when no agreement was reached
    x = ok[parameter].to_numpy(dtype=float)
    if bins is None and ok[parameter].nunique() > MAX_VALUES:
        bins = 10
    if bins:
        group = pd.qcut(ok[parameter].rank(method="first"), q=min(bins, len(ok)),
                        labels=False)
        g = ok.groupby(group)
        stats = pd.DataFrame({parameter: g[parameter].mean(), "mean": g[outcome].mean(),
                              "sd": g[outcome].std(ddof=1)})
        what = f"mean ± sd in {len(stats)} equal-count bins"
    else:
        stats = point_stats(ok, [parameter], outcome)
        what = "mean ± sd of the runs at each value"
    ax.scatter(x, ok[outcome], s=9, color=colour(1), alpha=0.45, linewidth=0,
               label=f"runs (n={len(ok)}" + (f"; {undefined} of {n_runs} undefined, not shown)"
                                             if undefined else ")"), gid="runs")
    ax.errorbar(stats[parameter], stats["mean"], yerr=stats["sd"].fillna(0), color=colour(5),
                marker="o", markersize=4, capsize=3, linewidth=1.4, label=what, gid="means")
    ax.set_xlabel(parameter)
    ax.set_ylabel(outcome)
    # under the axes, never on the runs
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    ax.set_title(title or f"{outcome} against {parameter}")
    return fig


@styled
def plot_heatmap(runs: pd.DataFrame, x: str, y: str, outcome: str, ax: Axes | None = None,
                 title: str = "") -> Figure:
    """Mean outcome over replications (and over any other parameters) on an x × y grid."""
    fig, ax = new_figure(ax, (5.5, 4.2))
    stats = point_stats(runs, [y, x], outcome)
    grid = stats.pivot(index=y, columns=x, values="mean")
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto",
                      cmap="viridis", gid="heatmap")
    ax.set_xticks(range(grid.shape[1]), [f"{v:.3g}" if isinstance(v, float) else str(v)
                                         for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:.3g}" if isinstance(v, float) else str(v)
                                         for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v < np.nanmean(grid.to_numpy(dtype=float)) else "black")
    fig.colorbar(image, ax=ax, label=f"{outcome} (mean)")
    ax.set_title(title or f"{outcome}: mean over replications")
    return fig


@styled
def plot_sobol(table: pd.DataFrame, outcome: str | None = None, ax: Axes | None = None,
               title: str = "") -> Figure:
    """First-order (S1) and total (ST) Sobol indices with their confidence intervals."""
    fig, ax = new_figure(ax, (5.5, 3.6))
    if outcome is not None and "outcome" in table:
        table = table[table["outcome"] == outcome]
    x = np.arange(len(table))
    w = 0.38
    ax.bar(x - w / 2, table["S1"], w, yerr=table["S1_conf"], color=colour(4), capsize=3,
           label="first order S1", gid="S1")
    ax.bar(x + w / 2, table["ST"], w, yerr=table["ST_conf"], color=colour(0), capsize=3,
           label="total ST", gid="ST")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x, list(table["parameter"]), rotation=20, ha="right")
    ax.set_ylabel("Sobol index (95% interval)")
    ax.legend(frameon=False)
    ax.set_title(title or f"Sobol indices{f' of {outcome}' if outcome else ''}")
    return fig


@styled
def plot_morris(table: pd.DataFrame, outcome: str | None = None, ax: Axes | None = None,
                title: str = "") -> Figure:
    """Morris screening: mu* (mean absolute elementary effect) against sigma."""
    fig, ax = new_figure(ax, (5.0, 4.0))
    if outcome is not None and "outcome" in table:
        table = table[table["outcome"] == outcome]
    ax.errorbar(table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o",
                color=colour(4), capsize=3, gid="morris")
    for row in table.itertuples(index=False):
        ax.annotate(str(row.parameter), (row.mu_star, row.sigma), xytext=(4, 4),
                    textcoords="offset points", fontsize=7)
    top = float(max(table["mu_star"].max(), table["sigma"].max(), 1e-12)) * 1.1
    ax.plot([0, top], [0, top], color="#999999", linewidth=0.7, linestyle="--",
            label="sigma = mu*")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (spread: interaction or non-linearity)")
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(title or f"Morris screening{f' of {outcome}' if outcome else ''}")
    return fig
