"""Figures a reviewer can read: legends off the data, groups apart, dates on calendar runs."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from diplosim.plotting import (
    plot_channel_timeline,
    plot_outcome_vs_parameter,
    plot_survival,
    plot_time_series,
)
from diplosim.plotting.style import EXTRA_TRACK_COLOURS, GROUP_COLOURS, track_colour
from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.runset import RunSet, combine, read_runset, write_runset
from diplosim.results.tables import simulate
from diplosim.scenario import load_scenario

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]


def runset(name: str, reps: int, folder: Path) -> RunSet:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    seeds = replication_seeds(3, reps)
    tables = combine([simulate(scenario, rng=s) for s in seeds], [seed_label(s) for s in seeds])
    start = scenario.spec.start.isoformat() if scenario.spec.start else None
    write_runset(folder / name, tables, {"scenario": {
        "name": name, "time_unit": scenario.spec.time_unit, "start": start}}, csv=False)
    return read_runset(folder / name)


@pytest.fixture(scope="module")
def flagship(tmp_path_factory: pytest.TempPathFactory) -> RunSet:
    return runset("mission_closure", 4, tmp_path_factory.mktemp("f"))


@pytest.fixture(scope="module")
def cuba(tmp_path_factory: pytest.TempPathFactory) -> RunSet:
    return runset("us_cuba", 2, tmp_path_factory.mktemp("c"))


def legend_outside_axes(fig: Figure) -> bool:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        if box.overlaps(ax.get_window_extent(renderer)):
            return False
    return True


def test_survival_legend_beside_the_curves_and_groups_apart(flagship: RunSet) -> None:
    fig = plot_survival(flagship)
    assert legend_outside_axes(fig)
    curves = [line for line in fig.axes[0].get_lines() if str(line.get_gid()).startswith("km:")]
    colours = [to_hex(c.get_color()) for c in curves]
    assert len(colours) == len(set(colours)) == 5
    # no two oranges: Okabe–Ito's orange and vermillion are never both among the kinds
    assert not {"#e69f00", "#d55e00"} <= set(colours)


def test_time_series_legend_off_the_bands(flagship: RunSet) -> None:
    assert legend_outside_axes(plot_time_series(flagship))


def test_response_curve_legend_off_the_runs_and_says_what_is_missing() -> None:
    import pandas as pd

    runs = pd.DataFrame({"x": [0, 0, 1, 1], "y": [1.0, float("nan"), 2.0, 3.0],
                         "status": "ok"})
    fig = plot_outcome_vs_parameter(runs, "x", "y")
    assert legend_outside_axes(fig)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "runs (n=3; 1 of 4 undefined, not shown)" in labels


def test_nine_tracks_have_nine_colours() -> None:
    tracks = [str(t) for t in range(1, 10)]
    colours = {track_colour(t, tracks) for t in tracks}
    assert len(colours) == 9
    assert set(GROUP_COLOURS).isdisjoint({"#F0E442"})  # no yellow lines on white
    assert len(set(EXTRA_TRACK_COLOURS)) == len(EXTRA_TRACK_COLOURS)


def test_calendar_runs_show_years(cuba: RunSet) -> None:
    fig = plot_time_series(cuba)
    labels = [t.get_text() for t in fig.axes[2].get_xticklabels()]
    assert {"1970", "1980", "1990", "2000", "2010"} <= set(labels)
    assert fig.axes[2].get_xlabel() == "date"


def test_timeline_lists_each_dated_event_once(cuba: RunSet) -> None:
    fig = plot_channel_timeline(cuba)
    notes = next(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("events"))
    # a dated event keeps its own date; what the model makes names its step's period
    assert "1961-01-03: relations broken; Swiss protecting power" in notes
    assert "2015-07-20: embassies reopen" in notes
    assert re.search(r"\d+\. (19|20)\d\d-\d\d: agreement usa-cuba", notes)
    assert notes.count("interests sections open") == 1  # ceiling and level set together: once
