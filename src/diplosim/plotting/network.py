"""The channel network at one step: states as groups, actors as nodes, channels as edges."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from diplosim.plotting.style import colour, new_figure, styled, track_colour, track_order
from diplosim.results.runset import RunSet


def levels_at(runs: RunSet, step: int, replication: int = 0) -> pd.Series:
    """Each channel's level at ``step`` (the last change at or before it)."""
    lc = runs.level_changes
    lc = lc[(lc["replication"] == replication) & (lc["step"] <= step)]
    return lc.sort_values("step", kind="stable").groupby("channel")["level"].last()


def governments(actors: pd.DataFrame) -> dict[str, str]:
    """Each state's government actor (the actor flagged ``government``)."""
    gov = actors[actors["government"].astype(bool)]
    return {str(s): str(a) for s, a in zip(gov["state"], gov["actor"], strict=True)
            if isinstance(s, str)}


def layout(actors: pd.DataFrame, channels: pd.DataFrame | None = None, seed: int = 0,
           sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Stable positions: states on a circle, each government at its state's centre and the
    state's other actors on an arc facing the other states; actors of no state (third parties)
    in the middle. ``seed`` rotates the arrangement reproducibly; the same actors and channels
    always get the same positions.

    With ``channels``, each arc is ordered to reduce crossings: a few sweeps of the barycentre
    heuristic (Sugiyama et al. 1981) sort a state's actors by where their channel partners sit
    along the arc's direction.
    """
    rng = np.random.default_rng(seed)
    turn = float(rng.uniform(0, 2 * math.pi))
    states = sorted({s for s in actors["state"] if isinstance(s, str)})
    gov = governments(actors)
    big = 3.0 if len(states) > 1 else 0.0
    pos: dict[str, tuple[float, float]] = {}
    arcs: dict[str, tuple[float, float, float, list[str]]] = {}
    for k, state in enumerate(states):
        angle = turn + 2 * math.pi * k / max(len(states), 1)
        cx, cy = big * math.cos(angle), big * math.sin(angle)
        if state in gov:
            pos[gov[state]] = (cx, cy)
        members = sorted(str(a) for a, st in zip(actors["actor"], actors["state"], strict=True)
                         if st == state and str(a) != gov.get(state))
        arcs[state] = (cx, cy, angle, members)
    free = sorted(str(a) for a, s in zip(actors["actor"], actors["state"], strict=True)
                  if not isinstance(s, str))
    for j, a in enumerate(free):
        phi = turn + math.pi / 2 + 2 * math.pi * j / max(len(free), 1)
        r = 0.0 if len(free) == 1 else 0.6
        pos[a] = (r * math.cos(phi), r * math.sin(phi))

    def place(state: str) -> None:
        cx, cy, angle, members = arcs[state]
        for j, a in enumerate(members):
            frac = (j + 0.5) / max(len(members), 1) - 0.5
            phi = angle + math.pi + 0.8 * math.pi * frac
            r = 1.1 + 0.35 * (j % 2)
            pos[a] = (cx + r * math.cos(phi), cy + r * math.sin(phi))

    for state in states:
        place(state)
    partners: dict[str, list[str]] = {}
    if channels is not None:
        for a, b, via in zip(channels["actor_a"], channels["actor_b"], channels["via"],
                             strict=True):
            a_, b_ = str(a), str(b)
            near_a = str(via) if isinstance(via, str) else b_
            near_b = str(via) if isinstance(via, str) else a_
            partners.setdefault(a_, []).append(near_a)
            partners.setdefault(b_, []).append(near_b)
    for _ in range(sweeps if partners else 0):
        for state in states:
            cx, cy, angle, members = arcs[state]
            # the arc runs counter-clockwise from angle + pi - 0.4 pi: its tangent direction
            tx, ty = -math.sin(angle + math.pi), math.cos(angle + math.pi)

            def along(a: str, cx: float = cx, cy: float = cy, tx: float = tx,
                      ty: float = ty) -> float:
                xs = [pos[p] for p in partners.get(a, []) if p in pos]
                if not xs:
                    return math.inf
                return float(np.mean([(x - cx) * tx + (y - cy) * ty for x, y in xs]))

            members.sort(key=lambda a: (along(a), a))
            place(state)
    return pos


#: Channels drawn one by one up to this many; above it, bundled per dyad and kind.
MAX_DRAWN_CHANNELS = 1500


@styled
def plot_network(runs: RunSet, step: int | None = None, replication: int = 0,
                 ax: Axes | None = None, seed: int = 0) -> Figure:
    """Channels at ``step`` (default: the first mission closure, else the last step).

    Colour = track, width = level, dashed = closed; squares = governments; dotted grey = access
    links of actors to their own government. Above ``MAX_DRAWN_CHANNELS`` channels, each dyad's
    channels of one kind are drawn as one line between the governments (width = share open) and
    the title says so."""
    fig, ax = new_figure(ax, (6.5, 5.5))
    if step is None:
        s = runs.summary[runs.summary["replication"] == replication]
        first = s["first_mission_closure"].dropna()
        step = int(first.min()) if len(first) else int(runs.dyads["step"].max())
    levels = levels_at(runs, step, replication)
    channels = runs.channels
    current = np.array([int(levels.get(c, i)) for c, i in zip(
        channels["channel"], channels["initial_level"], strict=True)], dtype=np.int64)
    pos = layout(runs.actors, channels, seed)
    note = draw_network(ax, runs.actors, channels, current, pos)
    ax.set_title(f"{runs.scenario_name}: channels at {runs.time_unit} {step} "
                 f"(replication {replication})" + (f"\n{note}" if note else ""))
    return fig


def draw_network(ax: Axes, actors: pd.DataFrame, channels: pd.DataFrame,
                 levels: np.ndarray, pos: dict[str, tuple[float, float]],
                 max_channels: int = MAX_DRAWN_CHANNELS) -> str:
    """Draw actors and channels (``levels`` in the order of ``channels``) on ``ax``; return a
    note saying what was thinned ("" when every channel is drawn)."""
    tracks = track_order(channels["track"].unique())
    states = sorted({s for s in actors["state"] if isinstance(s, str)})
    gov_of = governments(actors)
    thinned = len(channels) > max_channels
    note = ""
    if thinned:
        note = _draw_bundles(ax, channels, levels, pos, gov_of, tracks)
    else:
        for a in actors[~actors["government"].astype(bool)].to_dict("records"):
            state, actor = a["state"], str(a["actor"])
            if isinstance(state, str) and actor in pos and gov_of.get(state) in pos:
                (x0, y0), (x1, y1) = pos[actor], pos[gov_of[state]]
                ax.plot([x0, x1], [y0, y1], color="#999999", linewidth=0.5, linestyle=":",
                        zorder=1)
        for ch, level in zip(channels.to_dict("records"), levels, strict=True):
            level = int(level)
            top = max(int(ch["top_level"]), 1)
            via = ch["via"]
            ends = [ch["actor_a"], via, ch["actor_b"]] if isinstance(via, str) else [
                ch["actor_a"], ch["actor_b"]]
            xs = [pos[e][0] for e in ends]
            ys = [pos[e][1] for e in ends]
            ax.plot(xs, ys, color=track_colour(str(ch["track"]), tracks),
                    linewidth=0.8 + 2.7 * level / top if level > 0 else 0.8,
                    linestyle="-" if level > 0 else (0, (3, 2)),
                    alpha=0.9 if level > 0 else 0.6,
                    zorder=2, gid=f"channel:{ch['channel']}:{level}")
    many = len(states) > 12
    for k, state in enumerate(states):
        tone = colour(k % 7 + 1 if k % 7 != 2 else 7)
        if not thinned:
            members = actors[actors["state"] == state]
            xy = np.array([pos[a] for a in members["actor"]])
            ax.scatter(xy[:, 0], xy[:, 1], s=28, color=tone, edgecolor="white",
                       linewidth=0.5, zorder=3)
        if state not in gov_of:
            continue
        gx, gy = pos[gov_of[state]]
        ax.scatter([gx], [gy], s=40 if many else 150, marker="s", color=tone,
                   edgecolor="black", linewidth=1.0, zorder=4, gid=f"government:{state}")
        ax.annotate(state, (gx, gy), xytext=(0, 11), textcoords="offset points", ha="center",
                    fontsize=6 if many else 8, fontweight="bold")
    if not thinned:
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
                       markerfacecolor="white", label="government")]
    if not thinned:
        handles.append(Line2D([], [], marker="D", color="black", linestyle="none",
                              markersize=6, markerfacecolor="white", label="third party"))
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              title="width = share open" if thinned else "width = level")
    ax.set_aspect("equal")
    ax.set_axis_off()
    return note


def _draw_bundles(ax: Axes, channels: pd.DataFrame, levels: np.ndarray,
                  pos: dict[str, tuple[float, float]], gov_of: dict[str, str],
                  tracks: list[str]) -> str:
    """One line per dyad and channel kind between the two governments, in one collection."""
    frame = pd.DataFrame({"dyad": channels["dyad"].to_numpy(), "kind": channels["kind"],
                          "track": channels["track"].astype(str),
                          "open": np.asarray(levels) > 0})
    bundles = frame.groupby(["dyad", "kind", "track"], sort=True)["open"].agg(["mean", "size"])
    bundles = bundles.reset_index()
    segments: list[list[tuple[float, float]]] = []
    colours: list[str] = []
    widths: list[float] = []
    styles: list[Any] = []
    kinds = sorted(bundles["kind"].unique())
    share_open = bundles["mean"].to_numpy(dtype=float)
    for dyad, kind, track, share in zip(bundles["dyad"], bundles["kind"], bundles["track"],
                                        share_open, strict=True):
        a, b = str(dyad).split("-", 1)
        if a not in gov_of or b not in gov_of:
            continue
        (x0, y0), (x1, y1) = pos[gov_of[a]], pos[gov_of[b]]
        # kinds of one dyad side by side: a small offset perpendicular to the line
        k = kinds.index(kind) - (len(kinds) - 1) / 2
        dx, dy = y1 - y0, x0 - x1
        norm = math.hypot(dx, dy) or 1.0
        off = 0.04 * k / norm
        segments.append([(x0 + dx * off, y0 + dy * off), (x1 + dx * off, y1 + dy * off)])
        colours.append(track_colour(str(track), tracks))
        widths.append(0.3 + 2.5 * float(share))
        styles.append("solid" if share > 0 else (0, (3, 2)))
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths,
                                     linestyles=styles, alpha=0.6, zorder=2, gid="bundles"))
    ax.autoscale_view()
    return (f"thinned: {len(channels):,} channels drawn as {len(segments):,} lines, one per "
            f"dyad and kind (actors not drawn)")
