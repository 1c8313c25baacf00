"""A SolaraViz page for any scenario: the channel network, the time series, the talks.

``explorer(scenario_or_model)`` returns the page as a solara element: ``diplosim viz`` serves it,
and a notebook shows it by leaving it as a cell's last value. Step, Play/Pause and Reset are
Mesa's (``mesa.visualization.SolaraViz``); the sliders are dotted paths of the scenario
(declared under ``explore.parameters`` in the scenario, or chosen from its numeric fields by
:func:`default_parameters`) and apply on Reset, which builds a new model with them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from diplosim.engine.model import DiplomacyModel
from diplosim.plotting.network import draw_network, layout
from diplosim.plotting.style import (
    CLOSURE_SHADE,
    calendar_axis,
    colour,
    new_grid,
    style,
    time_label,
    track_colour,
    track_order,
)
from diplosim.results.tables import actor_table, channel_table
from diplosim.scenario import Scenario
from diplosim.scenario.dates import period_of
from diplosim.scenario.parameters import Slider, default_parameters, value_at


class ExplorerModel(DiplomacyModel):
    """``DiplomacyModel`` as SolaraViz rebuilds it on Reset.

    SolaraViz passes Mesa's own ``scenario`` object when it re-creates a model; the diplosim
    scenario travels as ``diplosim_scenario`` and Mesa's is ignored. Everything else is
    ``DiplomacyModel``: ``rng`` and dotted-path overrides."""

    def __init__(self, diplosim_scenario: Scenario, scenario: object = None, *,
                 rng: Any = None, **overrides: Any) -> None:
        super().__init__(diplosim_scenario, rng=rng, **overrides)


def model_params(scenario: Scenario, sliders: Sequence[Slider], seed: int) -> dict[str, Any]:
    return {"diplosim_scenario": scenario, "rng": seed,
            **{s.path: s.user_param() for s in sliders}}


def focus_dyad(model: DiplomacyModel) -> int:
    """The dyad the charts follow: the talks' dyad, else the first with a mission, else 0."""
    c = model.diplomacy_scenario.compiled
    if c.negotiation is not None:
        return int(c.negotiation.dyad)
    with_mission = np.unique(c.channel_dyad[c.kinds.mission[c.channel_kind]]) if (
        c.n_channels) else np.zeros(0, dtype=np.int64)
    return int(with_mission[0]) if with_mission.size else 0


def status_text(model: DiplomacyModel, sliders: Sequence[Slider] = ()) -> str:
    """Time, open channels, closed missions, and the values the model runs with."""
    spec = model.diplomacy_scenario.spec
    when = f"{spec.time_unit} {model.t} of {model.horizon}"
    if spec.start is not None:
        when += f" ({period_of(model.t, spec.start, spec.time_unit)})"
    open_now = int(np.count_nonzero(model.channels.level))
    closed = int(model.last_mission_closed.sum())
    text = (f"{spec.name} — {when}; {open_now:,} of {model.channels.level.size:,} channels "
            f"open; missions closed in {closed} of {model.n_dyads} dyads")
    if sliders:
        doc = spec.model_dump(by_alias=True)
        text += "\nrunning with: " + ", ".join(
            f"{s.path} = {value_at(doc, s.path):g}" for s in sliders)
    return text


def talks_text(model: DiplomacyModel) -> str:
    talks = model.talks
    if talks is None:
        return "No Track 1 talks in this scenario (no negotiation section)."
    held = len(talks.records)
    agreed = sum(bool(r["agreed"]) for r in talks.records)
    lines = [f"Track 1 talks, dyad {talks.label} — held {held}, agreements {agreed}"]
    if talks.session is not None and talks.current is not None:
        lines.append(f"- talks open since step {talks.current['opened']}: round "
                     f"{talks.session.round} of {talks.neg.plan.spec.deadline}")
    elif talks.in_force is not None:
        rec = talks.in_force["record"]
        deal = {k: round(v, 3) if isinstance(v, float) else v
                for k, v in json.loads(rec["deal"]).items()}
        lines.append(f"- agreement in force since step {rec['ended']}: {deal}")
    else:
        m = float(model.tension.misperception[talks.dyad])
        r = talks.spec.ripeness
        lines.append(f"- no talks running; ripe: {talks.ripe(m)} (misperception {m:.2f}, way "
                     f"out at ≤ {r.way_out:g}; hurting at tension ≥ {r.hurting:g})")
    for rec in talks.records[-3:]:
        lines.append(f"- talks {rec['talks']}: opened {rec['opened']}, ended {rec['ended']}, "
                     f"{rec['outcome']}")
    return "\n".join(lines)


def charts_figure(model: DiplomacyModel, dyad: int) -> Figure:
    """Tension, governments connected and redundancy, open channels by track — for one dyad."""
    c = model.diplomacy_scenario.compiled
    spec = model.diplomacy_scenario.spec
    rec = model.recorder
    n = rec.n
    steps = np.arange(n)
    fig, axes = new_grid(2, 2, (8.0, 5.6), sharex=True)
    with style():
        axes[0, 0].plot(steps, rec.tension[:n, dyad], color=colour(5), gid="tension")
        axes[0, 0].set_ylim(0, 1)
        axes[0, 0].set_ylabel("tension")
        tracked = list(c.tracked_dyads)
        if dyad in tracked:
            j = tracked.index(dyad)
            axes[1, 0].step(steps, rec.connected[:n, j], where="post", color=colour(4),
                            gid="connected")
            axes[1, 1].step(steps, rec.redundancy[:n, j], where="post", color=colour(4),
                            gid="redundancy")
        else:
            for ax in (axes[1, 0], axes[1, 1]):
                ax.text(0.5, 0.5, "not tracked (metrics.dyads)", transform=ax.transAxes,
                        ha="center", color="#555555")
        axes[1, 0].set_ylim(-0.05, 1.05)
        axes[1, 0].set_ylabel("governments connected")
        axes[1, 1].set_ylabel("redundancy")
        tracks = track_order(c.kinds.track)
        per_track = {t: rec.open[:n, dyad, [k for k, tk in enumerate(c.kinds.track)
                                            if str(tk) == t]].sum(axis=1) for t in tracks}
        for t, values in per_track.items():
            axes[0, 1].step(steps, values, where="post", color=track_colour(t, tracks),
                            label=f"Track {t}", gid=f"open:{t}")
        axes[0, 1].set_ylabel("open channels")
        axes[0, 1].legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        closed = rec.mission_closed[:n, dyad].astype(bool)
        for ax in axes.flat:
            if closed.any():
                ax.fill_between(steps, 0, 1, where=closed, step="post", color=CLOSURE_SHADE,
                                alpha=0.4, transform=ax.get_xaxis_transform(), linewidth=0)
            ax.set_xlim(0, max(model.horizon, 1))
        for ax in axes[1]:
            ax.set_xlabel(time_label(spec.time_unit))
            calendar_axis(ax, spec.start, spec.time_unit, model.horizon)
        fig.suptitle(f"dyad {c.dyad_labels[dyad]} (grey: missions closed)", fontsize=9)
    return fig


class NetworkCache:
    """Tables and a seeded layout per scenario, computed once (the page stays responsive)."""

    def __init__(self) -> None:
        self._key: str | None = None
        self.actors = pd.DataFrame()
        self.channels = pd.DataFrame()
        self.pos: dict[str, tuple[float, float]] = {}

    def get(self, scenario: Scenario) -> NetworkCache:
        if self._key != scenario.sha256:
            self.actors = actor_table(scenario)
            self.channels = channel_table(scenario)
            self.pos = layout(self.actors, self.channels, seed=0, sweeps=4 if len(
                self.channels) <= 5000 else 0)
            self._key = scenario.sha256
        return self


def network_figure(model: DiplomacyModel, cache: NetworkCache) -> tuple[Figure, str]:
    data = cache.get(model.diplomacy_scenario)
    fig, ax = new_grid(1, 1, (7.0, 5.2))
    with style():
        note = draw_network(ax, data.actors, data.channels, model.channels.level, data.pos)
        ax.set_title(f"channels at step {model.t}", fontsize=9)
    return fig, note


def explorer(source: Scenario | DiplomacyModel, *, seed: int | None = None,
             sliders: Sequence[Slider] | None = None, play_interval: int = 150) -> Any:
    """The page for a scenario or a model (a notebook shows it as a cell's last value)."""
    if isinstance(source, DiplomacyModel):
        scenario = source.diplomacy_scenario
        model = ExplorerModel(scenario, rng=seed if seed is not None else scenario.spec.seed)
    else:
        scenario = source
        model = ExplorerModel(scenario, rng=seed if seed is not None else scenario.spec.seed)
    chosen = list(sliders) if sliders is not None else default_parameters(scenario)
    cache = NetworkCache()

    @solara.component
    def Lines(text: str) -> None:
        # plain text: solara's Markdown would fetch a diagram library from a CDN
        with solara.Column(gap="2px"):
            for i, line in enumerate(text.splitlines()):
                solara.Text(line, style={"font-weight": "bold"} if i == 0 else {})

    @solara.component
    def Status(model: DiplomacyModel) -> None:
        update_counter.get()  # re-render when SolaraViz steps or resets the model
        Lines(status_text(model, chosen))

    @solara.component
    def Network(model: DiplomacyModel) -> None:
        update_counter.get()  # re-render when SolaraViz steps or resets the model
        fig, note = network_figure(model, cache)
        solara.FigureMatplotlib(fig, format="png")
        if note:
            solara.Info(note, dense=True)

    @solara.component
    def Charts(model: DiplomacyModel) -> None:
        update_counter.get()  # re-render when SolaraViz steps or resets the model
        labels = list(model.diplomacy_scenario.compiled.dyad_labels)
        dyad, set_dyad = solara.use_state(labels[focus_dyad(model)])
        if len(labels) > 1:
            solara.Select("dyad", values=labels, value=dyad, on_value=set_dyad)
        solara.FigureMatplotlib(charts_figure(model, labels.index(dyad)), format="png")

    @solara.component
    def TalksPanel(model: DiplomacyModel) -> None:
        update_counter.get()  # re-render when SolaraViz steps or resets the model
        Lines(talks_text(model))

    return SolaraViz(
        model,
        components=[Status, Network, Charts, TalksPanel],
        model_params=model_params(scenario, chosen, int(model._seed)),
        name=f"diplosim: {scenario.name}",
        play_interval=play_interval,
    )
