"""The channel network at one step: states as groups, actors as nodes, channels as edges."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from diplosim.plotting.style import colour, new_figure, styled, track_colour
from diplosim.runset import RunSet


def levels_at(runs: RunSet, step: int, replication: int = 0) -> pd.Series:
    """Each channel's level at ``step`` (the last change at or before it)."""
    lc = runs.level_changes
    lc = lc[(lc["replication"] == replication) & (lc["step"] <= step)]
    return lc.sort_values("step", kind="stable").groupby("channel")["level"].last()


def layout(actors: pd.DataFrame, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Stable positions: states on a circle, their actors on a small circle around the state's
    government; actors of no state (third parties) in the middle. ``seed`` rotates the
    arrangement reproducibly; the same actors always get the same positions."""
    rng = np.random.default_rng(seed)
    turn = float(rng.uniform(0, 2 * math.pi))
    states = sorted({s for s in actors["state"] if isinstance(s, str)})
    pos: dict[str, tuple[float, float]] = {}
    big = 3.0 if len(states) > 1 else 0.0
    for k, state in enumerate(states):
        angle = turn + 2 * math.pi * k / max(len(states), 1)
        cx, cy = big * math.cos(angle), big * math.sin(angle)
        members = actors[(actors["state"] == state)]
        gov = members[members["government"].astype(bool)]["actor"].tolist()
        others = sorted(members[~members["government"].astype(bool)]["actor"])
        for g in gov:
            pos[g] = (cx, cy)
        for j, a in enumerate(others):  # on an arc facing the other states
            frac = (j + 0.5) / max(len(others), 1) - 0.5
            phi = angle + math.pi + 0.8 * math.pi * frac
            r = 1.1 + 0.35 * (j % 2)
            pos[a] = (cx + r * math.cos(phi), cy + r * math.sin(phi))
    free = sorted(a for a, s in zip(actors["actor"], actors["state"], strict=True)
                  if not isinstance(s, str))
    for j, a in enumerate(free):
        phi = turn + math.pi / 2 + 2 * math.pi * j / max(len(free), 1)
        r = 0.0 if len(free) == 1 else 0.6
        pos[a] = (r * math.cos(phi), r * math.sin(phi))
    return pos


@styled
def plot_network(runs: RunSet, step: int | None = None, replication: int = 0,
                 ax: Axes | None = None, seed: int = 0) -> Figure:
    """Channels at ``step`` (default: the first mission closure, else the last step).

    Colour = track, width = level, dashed = closed; squares = governments; dotted grey = access
    links of actors to their own government."""
    fig, ax = new_figure(ax, (6.5, 5.5))
    if step is None:
        s = runs.summary[runs.summary["replication"] == replication]
        first = s["first_mission_closure"].dropna()
        step = int(first.min()) if len(first) else int(runs.dyads["step"].max())
    actors = runs.actors
    pos = layout(actors, seed)
    channels = runs.channels
    levels = levels_at(runs, step, replication)
    tracks = sorted(channels["track"].unique(), key=lambda t: (len(str(t)), str(t)))
    states = sorted({s for s in actors["state"] if isinstance(s, str)})
    gov_of = {s: f"{s}.government" for s in states}
    for a in actors[~actors["government"].astype(bool)].to_dict("records"):
        state, actor = a["state"], str(a["actor"])
        if isinstance(state, str) and actor in pos and gov_of[state] in pos:
            (x0, y0), (x1, y1) = pos[actor], pos[gov_of[state]]
            ax.plot([x0, x1], [y0, y1], color="#999999", linewidth=0.5, linestyle=":",
                    zorder=1)
    for ch in channels.to_dict("records"):
        level = int(levels.get(ch["channel"], ch["initial_level"]))
        top = max(int(ch["top_level"]), 1)
        via = ch["via"]
        ends = [ch["actor_a"], via, ch["actor_b"]] if isinstance(via, str) else [
            ch["actor_a"], ch["actor_b"]]
        xs = [pos[e][0] for e in ends]
        ys = [pos[e][1] for e in ends]
        ax.plot(xs, ys, color=track_colour(str(ch["track"]), tracks),
                linewidth=0.8 + 2.7 * level / top if level > 0 else 0.8,
                linestyle="-" if level > 0 else (0, (3, 2)), alpha=0.9 if level > 0 else 0.6,
                zorder=2, gid=f"channel:{ch['channel']}:{level}")
    for k, state in enumerate(states):
        members = actors[actors["state"] == state]
        xy = np.array([pos[a] for a in members["actor"]])
        ax.scatter(xy[:, 0], xy[:, 1], s=28, color=colour(k % 7 + 1 if k % 7 != 2 else 7),
                   edgecolor="white", linewidth=0.5, zorder=3)
        gx, gy = pos[gov_of[state]]
        ax.scatter([gx], [gy], s=150, marker="s", color=colour(k % 7 + 1 if k % 7 != 2 else 7),
                   edgecolor="black", linewidth=1.0, zorder=4, gid=f"government:{state}")
        ax.annotate(state, (gx, gy), xytext=(0, 11), textcoords="offset points", ha="center",
                    fontsize=8, fontweight="bold")
    free = actors[~actors["state"].map(lambda s: isinstance(s, str))]
    for a in free["actor"]:
        ax.scatter(*pos[a], s=60, marker="D", color="#FFFFFF", edgecolor="black", zorder=4)
        ax.annotate(a, pos[a], xytext=(0, -12), textcoords="offset points", ha="center",
                    fontsize=7)
    handles = [Line2D([], [], color=track_colour(str(t), tracks), linewidth=2.5,
                      label=f"Track {t}") for t in tracks]
    handles += [Line2D([], [], color="#666666", linewidth=1, linestyle=(0, (3, 2)),
                       label="closed"),
                Line2D([], [], marker="s", color="black", linestyle="none", markersize=7,
                       markerfacecolor="white", label="government"),
                Line2D([], [], marker="D", color="black", linestyle="none", markersize=6,
                       markerfacecolor="white", label="third party")]
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              title="width = level")
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"{runs.scenario_name}: channels at {runs.time_unit} {step} "
                 f"(replication {replication})")
    return fig
