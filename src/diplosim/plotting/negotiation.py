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
    """Offers of two parties in their utility plane, in order, with the frontier and Nash."""
    fig, ax = new_figure(ax, (5.2, 5.0))
    i, j = parties
    names = result.parties
    u = setting.deal_utilities
    ax.scatter(u[:, i], u[:, j], s=4, color="#CCCCCC", linewidth=0, label="possible deals",
               zorder=1)
    front = u[setting.frontier]
    front = front[np.argsort(front[:, i])]
    ax.plot(front[:, i], front[:, j], color="black", linewidth=1.2, label="Pareto frontier",
            zorder=2, gid="frontier")
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
        ax.scatter([nu[i]], [nu[j]], marker="*", s=180, color=colour(5), edgecolor="black",
                   zorder=5, label="Nash point", gid="nash")
    if result.agreed:
        ax.scatter([result.utilities[i]], [result.utilities[j]], marker="X", s=110,
                   color=colour(2), edgecolor="black", zorder=6,
                   label=f"agreement (round {result.agreement_round})", gid="agreement")
    ax.set_xlabel(f"utility of {names[i]}")
    ax.set_ylabel(f"utility of {names[j]}")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    outcome = "agreement" if result.agreed else f"no agreement ({result.reason})"
    ax.set_title(title or f"{result.protocol}: {outcome} after {result.rounds} rounds")
    return fig
