"""Figures of a calibration: survival of ruptures, data against the posterior predictive, and
the posterior's marginals and pairs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from diplosim.analysis import episodes as ep
from diplosim.plotting.style import colour, new_figure, new_grid, styled


@styled
def plot_predictive(predictive: Any, ax: Axes | None = None, title: str = "") -> Figure:
    """Kaplan–Meier curve of the data's episodes (step line, censoring marks) over the
    simulated curves of posterior draws: median and 90% band."""
    fig, ax = new_figure(ax, (6.5, 4.2))
    curves = np.asarray(predictive.curves)
    lo, mid, hi = np.quantile(curves, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(ep.GRID, lo, hi, step="post", color=colour(1), alpha=0.25, linewidth=0,
                    label=f"model, 90% band ({len(curves)} posterior draws "
                    f"× {predictive.episodes} episodes)")
    ax.step(ep.GRID, mid, where="post", color=colour(1), linewidth=1.4, linestyle="--",
            label="model, median", gid="km:model")
    data = predictive.data
    times = np.union1d([0.0], np.sort(data.years))
    ax.step(times, data.survival(times), where="post", color="black", linewidth=1.8,
            label=f"U.S. missions (n={len(data)})", gid="km:data")
    cens = data.years[~data.restored]
    ax.plot(cens, data.survival(cens), linestyle="none", marker="|", markersize=9, color="black")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, 80)
    ticks = [0, 0.5, 1, 2, 5, 10, 20, 50, 80]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("years since the break (| still broken at the end of the record)")
    ax.set_ylabel("share of ruptures not yet restored")
    gap = np.median(predictive.gaps)
    ax.set_title(title + (" — " if title else "") + f"largest gap (median) {gap:.2f}",
                 loc="left", fontsize=10)
    ax.legend(frameon=False, loc="upper right", fontsize=8)
    return fig


@styled
def plot_marginals(fit: Any, truth: dict[str, float] | None = None) -> Figure:
    """Weighted histograms of each parameter's posterior, with its prior's range, median and
    90% interval (and the true value for synthetic data)."""
    priors = fit.priors
    cols = min(4, len(priors))
    rows = -(-len(priors) // cols)
    fig, axes = new_grid(rows, cols, (2.6 * cols, 2.2 * rows), squeeze=False)
    post = fit.posterior
    medians, intervals = fit.medians(), fit.intervals()
    for i, ax in enumerate(axes.ravel()):
        if i >= len(priors):
            ax.set_visible(False)
            continue
        p = priors[i]
        values = post[p.path].to_numpy()
        log = p.kind == "loguniform"
        bins = (np.geomspace(p.low, p.high, 25) if log else np.linspace(p.low, p.high, 25))
        ax.hist(values, bins=bins, weights=post["weight"], color=colour(1), alpha=0.7,
                density=True)
        lo, hi = intervals[p.path]
        ax.axvspan(lo, hi, color=colour(1), alpha=0.12, linewidth=0)
        ax.axvline(medians[p.path], color="black", linewidth=1.2)
        if truth and p.path in truth:
            ax.axvline(truth[p.path], color=colour(5), linewidth=1.5, linestyle=":")
        if log:
            ax.set_xscale("log")
        ax.set_xlim(p.low, p.high)
        ax.set_yticks([])
        ax.set_title(p.label or p.path, fontsize=9)
    return fig


@styled
def plot_pairs(fit: Any) -> Figure:
    """Pairs of parameters: weighted posterior samples (point size by weight)."""
    priors = fit.priors
    n = len(priors)
    fig, axes = new_grid(n, n, (1.6 * n + 1, 1.6 * n + 1), squeeze=False)
    post = fit.posterior
    w = post["weight"].to_numpy()
    size = 4 + 30 * w / w.max()
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            pi, pj = priors[i], priors[j]
            if j > i:
                ax.set_visible(False)
                continue
            x = post[pj.path].to_numpy()
            if i == j:
                ax.hist(x, bins=20, weights=w, color=colour(1), alpha=0.7)
                ax.set_yticks([])
            else:
                ax.scatter(x, post[pi.path], s=size, color=colour(1), alpha=0.4, linewidths=0)
                if pi.kind == "loguniform":
                    ax.set_yscale("log")
            if pj.kind == "loguniform":
                ax.set_xscale("log")
            if i == n - 1:
                ax.set_xlabel(pj.label or pj.path, fontsize=7)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(pi.label or pi.path, fontsize=7)
            elif i != j:
                ax.set_yticklabels([])
            ax.tick_params(labelsize=6)
    return fig


@styled
def plot_case_predictions(predictive: Any, draws: Any, title: str = "") -> Figure:
    """Each case's first agreement predicted from posterior draws, as a share of the case's span
    (0 its start, 1 its end; draws with none past the end): the draws, their 90% interval and
    median, against the real date (a black diamond; a cross at the end where none came)."""
    cases = list(predictive["case"])
    fig, ax = new_figure(None, (7.5, 0.55 * len(cases) + 1.4))
    rng = np.random.default_rng(0)  # jitter only
    labels = []
    for i, row in enumerate(predictive.to_dict(orient="records")):
        d = draws[draws["case"] == row["case"]]
        span = float(d["span_years"].iloc[0])
        share = d["first_agreement_years"].to_numpy(dtype=float) / span
        share = np.where(np.isfinite(share), share, 1.08)
        y = len(cases) - 1 - i
        ax.plot(share, y + rng.uniform(-0.18, 0.18, share.size), linestyle="none", marker=".",
                markersize=3, alpha=0.35, color=colour(1))
        lo, mid, hi = np.quantile(share, [0.05, 0.5, 0.95], method="inverted_cdf")
        ax.plot([lo, hi], [y, y], color=colour(1), linewidth=3, alpha=0.8,
                gid=f"interval:{row['case']}")
        ax.plot([mid], [y], marker="|", markersize=14, color=colour(1))
        start = d["start"].iloc[0]
        if row["real_date"] is not None and not (
                isinstance(row["real_date"], float) and np.isnan(row["real_date"])) and \
                str(row["real_date"]) != "NaT":
            real = (np.datetime64(row["real_date"], "D") - np.datetime64(start, "D")
                    ).astype(float) / 365.25 / span
            ax.plot([real], [y], marker="D", color="black", markersize=6, gid=f"real:{row['case']}")
        else:
            ax.plot([1.08], [y], marker="x", color="black", markersize=7,
                    gid=f"real:{row['case']}")
        tag = " (fitted)" if row.get("fitted") else " (held out)"
        last = (start + pd.Timedelta(days=span * 365.25 - 1)).year  # the last year covered
        labels.append(f"{row['case']}{tag}\n{start:%Y}–{last}")
    ax.axvline(1.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlim(0, 1.14)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0, 1.08], ["start", "¼", "½", "¾", "end", "none"])
    ax.set_yticks(np.arange(len(cases))[::-1], labels, fontsize=8)
    ax.set_ylim(-0.7, len(cases) - 0.3)
    ax.set_xlabel("first agreement, as a share of the case's span (◆ real; × none in the span)")
    ax.set_title(title or "first agreement: posterior predictive draws, 90% interval, median",
                 loc="left", fontsize=10)
    return fig
