"""A negotiation's offers over time in utility space, with the Pareto frontier and Nash point."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from diplosim.negotiation.context import Setting
from diplosim.negotiation.trace import NegotiationResult
from diplosim.plotting.style import colour, new_figure, styled


@styled
def plot_negotiation(result: NegotiationResult, setting: Setting, ax: Axes | None = None,
                     parties: tuple[int, int] = (0, 1), title: str = "") -> Figure:
    """Offers in two parties' utility plane, in order, with the Pareto frontier and the Nash
    point. ``title`` (e.g. the session's name) heads the figure above the protocol and outcome.
    With more than two parties the plane is a projection: the frontier is drawn as the
    efficient deals' points, and every party's offers are shown in the plotted parties' terms."""
    fig, ax = new_figure(ax, (5.2, 5.0))
    i, j = parties
    names = result.parties
    u = setting.deal_utilities
    ax.scatter(u[:, i], u[:, j], s=4, color="#CCCCCC", linewidth=0, label="possible deals",
               zorder=1)
    front = u[setting.frontier]
    front = front[np.argsort(front[:, i], kind="stable")]
    if len(names) == 2:
        ax.plot(front[:, i], front[:, j], color="black", linewidth=1.2, label="Pareto frontier",
                zorder=2, gid="frontier")
    else:  # with more parties the frontier is a surface: its deals, projected, are points
        ax.scatter(front[:, i], front[:, j], s=10, color="black", linewidth=0, zorder=2,
                   label=f"Pareto-efficient deals (all {len(names)} parties)", gid="frontier")
    r = setting.reservations
    ax.axvline(r[i], color="#888888", linewidth=0.7, linestyle=":")
    ax.axhline(r[j], color="#888888", linewidth=0.7, linestyle=":")
    frame = result.trace_frame()
    offers = frame[frame["action"].isin(["offer", "propose", "move"])]
    for k, party in enumerate(dict.fromkeys(offers["party"])):
        mine = offers[offers["party"] == party]
        ax.plot(mine[f"u.{names[i]}"], mine[f"u.{names[j]}"], marker="o", markersize=3.5,
                linewidth=0.9, color=colour(k if k != 3 else 6), alpha=0.9,
                label=f"offers by {party}", gid=f"offers:{party}")
    if setting.nash is not None:
        nu = setting.nash.utilities
        ax.scatter([nu[i]], [nu[j]], marker="*", s=120, color=colour(5), edgecolor="black",
                   linewidth=0.8, zorder=7, label="Nash point", gid="nash")
    if result.agreed:
        ax.scatter([result.utilities[i]], [result.utilities[j]], marker="X", s=170,
                   color=colour(2), edgecolor="black", zorder=6, label="agreement",
                   gid="agreement")
    ax.set_xlabel(f"utility of {names[i]}")
    ax.set_ylabel(f"utility of {names[j]}")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    outcome = "agreement" if result.agreed else f"no agreement ({result.reason})"
    rounds = f"{result.rounds} round{'' if result.rounds == 1 else 's'}"
    what = f"{result.protocol}: {outcome} after {rounds}"
    ax.set_title(f"{title}\n{what}" if title else what)
    return fig
