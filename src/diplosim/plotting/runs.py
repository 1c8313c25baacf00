"""Figures of a run's results folder (replications of one scenario)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from diplosim.analysis.survival import channel_survival
from diplosim.plotting.style import (
    CLOSURE_SHADE,
    calendar_axis,
    colour,
    group_colour,
    linestyle,
    new_figure,
    new_grid,
    styled,
    time_label,
    track_colour,
    track_order,
)
from diplosim.results.runset import RunSet
from diplosim.scenario.dates import period_of
from diplosim.scenario.schema import EventType


def focus_dyad(runs: RunSet) -> str:
    """The dyad a run is about: the first whose missions closed, else the first dyad."""
    s = runs.summary
    closed = s[s["closure_steps"] > 0]
    return str((closed if len(closed) else s)["dyad"].iloc[0])


def quantile_bands(frame: pd.DataFrame, value: str, by: Sequence[str] = ("step",)
                   ) -> pd.DataFrame:
    """Median and interquartile range of ``value`` across replications, per ``by``."""
    g = frame.groupby(list(by))[value]
    out = pd.DataFrame({"median": g.median(), "q25": g.quantile(0.25), "q75": g.quantile(0.75),
                        "mean": g.mean()})
    return out.reset_index()


def closure_spans(runs: RunSet, dyad: str) -> list[tuple[float, float]]:
    """Steps when at least half the replications have the dyad's missions closed, as spans."""
    d = runs.dyads[runs.dyads["dyad"] == dyad]
    share = d.groupby("step")["mission_closed"].mean()
    closed = share.to_numpy() >= 0.5
    steps = share.index.to_numpy()
    spans = []
    start = None
    for s, c in zip(steps, closed, strict=True):
        if c and start is None:
            start = s
        elif not c and start is not None:
            spans.append((float(start), float(s)))
            start = None
    if start is not None:
        spans.append((float(start), float(steps[-1])))
    return spans


def _band(ax: Axes, q: pd.DataFrame, colour_: str, label: str) -> None:
    ax.fill_between(q["step"], q["q25"], q["q75"], color=colour_, alpha=0.25, linewidth=0,
                    label=f"{label} (IQR)")
    ax.plot(q["step"], q["median"], color=colour_, linewidth=1.6, label=f"{label} (median)")


@styled
def plot_time_series(runs: RunSet, dyad: str | None = None) -> Figure:
    """Tension, open channels by track, ``connected`` and ``redundancy`` across replications."""
    dyad = dyad or focus_dyad(runs)
    unit = runs.time_unit
    fig, axes = new_grid(2, 2, (7.5, 5.2), sharex=True)
    d = runs.dyads[runs.dyads["dyad"] == dyad]
    panels = [
        (axes[0, 0], "tension", "tension (0–1)"),
        (axes[1, 0], "connected", "governments connected (0/1)"),
        (axes[1, 1], "redundancy", "redundancy (channels)"),
    ]
    for ax, metric, ylabel in panels:
        ax.set_ylabel(ylabel)
        if d[metric].isna().all():  # recorded only for the dyads the scenario's metrics name
            ax.text(0.5, 0.5, f"{metric} not tracked for this dyad\n"
                    "(not in the scenario's metrics.dyads)", transform=ax.transAxes,
                    ha="center", va="center", color="#555555")
            continue
        _band(ax, quantile_bands(d, metric), colour(4), metric)
    share = d.groupby("step")["connected"].mean()
    axes[1, 0].plot(share.index, share.to_numpy(), color=colour(5), linestyle="--",
                    linewidth=1.2, label="share of replications connected")
    axes[1, 0].set_title("solid: median; dashed: share of replications connected",
                         fontsize=7.5, color="#444444")
    axes[0, 0].set_ylim(0, 1)
    axes[1, 0].set_ylim(-0.05, 1.05)
    ax = axes[0, 1]
    oc = runs.open_channels
    oc = oc[(oc["dyad"] == dyad) & (oc["by"] == "track")]
    tracks = track_order(oc["group"].unique())
    for track in tracks:
        q = quantile_bands(oc[oc["group"].astype(str) == track], "open_channels")
        _band(ax, q, track_colour(str(track), tracks), f"Track {track}")
    ax.set_ylabel("open channels")
    handles = [Line2D([], [], color=track_colour(str(t), tracks), label=f"Track {t}")
               for t in tracks]
    ax.legend(handles=handles, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))  # beside the panel, never on the bands
    for ax in axes.flat:
        for a, b in closure_spans(runs, dyad):
            ax.axvspan(a, b, color=CLOSURE_SHADE, alpha=0.35, linewidth=0, zorder=0)
    for ax in axes[1]:
        ax.set_xlabel(time_label(unit))
    for ax in axes.flat:
        calendar_axis(ax, runs.start, unit, float(d["step"].max()))
    n = runs.dyads["replication"].nunique()
    fig.suptitle(f"{runs.scenario_name}: dyad {dyad}, {n} replications\n"
                 "median and interquartile band; grey: missions closed in most replications")
    return fig


def survival_frame(runs: RunSet, by: str = "kind") -> pd.DataFrame:
    last = runs.dyads.groupby("replication")["step"].max()
    spells = runs.spells
    last_step = spells["replication"].map(last)
    return channel_survival(spells, last_step, by=by)


@styled
def plot_survival(runs: RunSet, ax: Axes | None = None, by: str = "kind") -> Figure:
    """Kaplan–Meier survival of channels open at the first mission closure, by kind, with a
    band (95%), censoring marks (|) and the numbers at risk under the plot."""
    km = survival_frame(runs, by)
    groups = list(dict.fromkeys(km["group"]))
    table_ax = None
    if ax is None:
        fig, (ax, table_ax) = new_grid(
            2, 1, (7.8, 4.2 + 0.18 * len(groups)), sharex=True,
            gridspec_kw={"height_ratios": [4.0, 0.35 + 0.18 * len(groups)]})
    else:
        fig, ax = new_figure(ax)
    for i, group in enumerate(groups):
        g = km[km["group"] == group]
        c = group_colour(i)
        ax.step(g["time"], g["survival"], where="post", color=c, linewidth=1.6,
                linestyle=linestyle(i),
                label=f"{group} (n={int(g['at_risk'].iloc[0])})", gid=f"km:{group}")
        ax.fill_between(g["time"], g["lower"], g["upper"], step="post", color=c, alpha=0.08,
                        linewidth=0)
        for bound in ("lower", "upper"):  # thin band edges: overlapping bands stay readable
            ax.step(g["time"], g[bound], where="post", color=c, linewidth=0.5, alpha=0.6,
                    linestyle=linestyle(i))
        cens = g[g["censored"] > 0]
        ax.plot(cens["time"], cens["survival"], linestyle="none", marker="|", markersize=8,
                color=c, gid=f"censored:{group}")
    unit = runs.time_unit
    xlabel = f"{time_label(unit)} since the first mission closure"
    ax.set_ylabel("share of channels still open")
    ax.set_ylim(-0.02, 1.05)
    if groups:
        # beside the axes, never on the curves
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title=f"channel {by}\n(| censored)")
        ticks = _ticks(km)
        ax.set_xticks(ticks)
        if table_ax is not None:
            _at_risk_table(table_ax, km, groups, ticks)
            table_ax.set_xlabel(xlabel)
            ax.tick_params(labelbottom=True)
        else:
            ax.set_xlabel(xlabel)
    else:
        ax.text(0.5, 0.5, "no mission closed: nothing to estimate", transform=ax.transAxes,
                ha="center")
        ax.set_xlabel(xlabel)
        if table_ax is not None:
            table_ax.set_axis_off()
    ax.set_title(f"{runs.scenario_name}: channel survival after mission closure "
                 "(Kaplan–Meier, 95% band)")
    return fig


def _ticks(km: pd.DataFrame) -> np.ndarray:
    """Round tick times (integers) from 0 to the last time, where the numbers at risk are shown."""
    tmax = float(km["time"].max())
    if tmax <= 0:
        return np.array([0.0])
    ticks = MaxNLocator(nbins=6, integer=True, steps=[1, 2, 2.5, 5, 10]).tick_values(0, tmax)
    return np.asarray([t for t in ticks if 0 <= t <= tmax], dtype=float)


def _at_risk_table(ax: Axes, km: pd.DataFrame, groups: list[str], ticks: np.ndarray) -> None:
    """Numbers at risk at the ticks, one row per group, in their own Axes."""
    ax.set_ylim(len(groups) - 0.5, -0.9)
    ax.set_yticks(range(len(groups)), [str(g) for g in groups], fontsize=7)
    for label, i in zip(ax.get_yticklabels(), range(len(groups)), strict=True):
        label.set_color(group_colour(i))
    ax.text(0.0, -0.8, "number at risk", fontsize=7, fontweight="bold", va="center",
            transform=ax.get_yaxis_transform())
    for row, group in enumerate(groups):
        g = km[km["group"] == group]
        for t in ticks:
            ax.text(t, row, str(at_risk(g, float(t))), ha="center", va="center", fontsize=7,
                    color=group_colour(row), gid=f"at_risk:{group}:{t:g}")
    ax.tick_params(left=False)
    for side in ("left", "top", "right"):
        ax.spines[side].set_visible(False)


def at_risk(curve: pd.DataFrame, t: float) -> int:
    """Number still under observation at time ``t`` (just before it) on one KM curve."""
    total = int(curve["at_risk"].iloc[0])
    gone_before = curve.loc[curve["time"] < t, ["events", "censored"]].to_numpy().sum()
    return int(total - gone_before)


MAX_NOTES = 24  # events listed beside the timeline (all are marked on it)
SCHEDULED = frozenset(t.value for t in EventType)  # events a scenario file places


@styled
def plot_channel_timeline(runs: RunSet, replication: int = 0, ax: Axes | None = None) -> Figure:
    """One row per channel: its level over time (darker = higher), events marked."""
    rank = {t: i for i, t in enumerate(track_order(runs.channels["track"]))}
    channels = runs.channels.assign(_rank=runs.channels["track"].astype(str).map(rank)).sort_values(
        ["_rank", "kind", "channel"], kind="stable")
    fig, ax = new_figure(ax, (7.5, max(2.5, 0.22 * len(channels) + 1.5)))
    lc = runs.level_changes
    lc = lc[lc["replication"] == replication]
    last = int(runs.dyads.loc[runs.dyads["replication"] == replication, "step"].max())
    tracks = track_order(channels["track"].unique())
    for row, ch in enumerate(channels.to_dict("records")):
        hist = lc[lc["channel"] == ch["channel"]].sort_values("step", kind="stable")
        steps = hist["step"].to_numpy()
        levels = hist["level"].to_numpy()
        ends = np.append(steps[1:], last)
        top = max(int(ch["top_level"]), 1)
        for start, end, level in zip(steps, ends, levels, strict=True):
            if level <= 0 or end <= start:
                continue
            ax.broken_barh([(start, end - start)], (row - 0.4, 0.8),
                           facecolors=track_colour(str(ch["track"]), tracks),
                           alpha=0.25 + 0.75 * level / top, gid=f"{ch['channel']}:{level}")
    ax.set_yticks(range(len(channels)))
    ax.set_yticklabels([f"{c.channel} ({c.kind})" for c in channels.itertuples()], fontsize=7)
    ax.set_ylim(len(channels) - 0.5, -1.8)
    ev = runs.events
    ev = ev[ev["replication"] == replication]
    # every scheduled event (shocks, closures, downgrades, ceilings, changes of government) and
    # every turn of the talks
    # (events sharing a step and a label, e.g. a ceiling raised and a level set together, once)
    marked = ev.assign(_key=ev["label"].where(ev["label"] != "", ev["type"])).drop_duplicates(
        ["step", "_key"]).sort_values("step", kind="stable")
    notes = []
    for i, e in enumerate(marked.to_dict("records"), start=1):
        step = float(e["step"])
        ax.axvline(step, color="#555555", linewidth=0.7, linestyle=":", gid=f"event:{step:g}")
        ax.text(step, -0.75 - 0.4 * ((i - 1) % 3), str(i), fontsize=6.5, ha="center",
                va="center", color="#333333", gid=f"event_number:{i}")
        text = str(e["label"] or f"{e['type'].replace('_', ' ')} {e['target']}".strip())
        if runs.start is None:
            when = f"{runs.time_unit} {step:g}"
        elif e["type"] in SCHEDULED and pd.notna(e.get("date")):  # a dated event: its own date
            when = pd.Timestamp(e["date"]).date().isoformat()
        else:  # what the model made: the period of its step
            when = period_of(int(step), runs.start, runs.time_unit)
        notes.append(f"{i}. {when}: "
                     f"{text if len(text) <= 48 else text[:47] + '…'}")
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES - 1], f"… and {len(notes) - MAX_NOTES + 1} more"]
    if notes:
        ax.text(1.02, 0.62, "events\n" + "\n".join(notes), transform=ax.transAxes, fontsize=6.5,
                va="top", ha="left")
    ax.set_xlim(0, last)
    ax.set_xlabel(time_label(runs.time_unit))
    calendar_axis(ax, runs.start, runs.time_unit, last)
    handles = [Line2D([], [], color=track_colour(str(t), tracks), linewidth=6,
                      label=f"Track {t}") for t in tracks]
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              title="darker = higher level")
    ax.set_title(f"{runs.scenario_name}: channel levels, replication {replication}")
    return fig
