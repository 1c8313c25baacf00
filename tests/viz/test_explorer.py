"""The browser app's parts without a browser: sliders, the model SolaraViz rebuilds, the
network (thinned for large scenarios), the charts, the talks, the command's errors, and the
example notebook (executed with nbclient)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from diplosim.engine.model import DiplomacyModel
from diplosim.io.errors import InputError
from diplosim.scenario import load_scenario, scenario_from_text
from diplosim.scenario.parameters import default_parameters
from diplosim.viz.explorer import (
    ExplorerModel,
    NetworkCache,
    charts_figure,
    model_params,
    network_figure,
    status_text,
    talks_text,
)

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"


def test_default_sliders_are_valid_ranges() -> None:
    scenario = load_scenario(FLAGSHIP)
    sliders = default_parameters(scenario)
    paths = [s.path for s in sliders]
    assert paths[0] == "channels.hotline.close_threshold"
    assert "tension.noise" in paths
    for s in sliders:
        assert s.low <= s.value <= s.high
        assert abs(round(s.value / s.step) * s.step - s.value) < 1e-9  # the slider can hold it
    hotline = sliders[0]
    assert hotline.low == pytest.approx(0.61)  # above its reopening threshold (0.6)


def test_declared_sliders_and_bad_paths() -> None:
    text = FLAGSHIP.read_text() + "\nexplore:\n  parameters:\n    - {path: tension.drift, " \
        "low: 0, high: 0.2}\n    - {path: negotiation.cooldown}\n"
    sliders = default_parameters(scenario_from_text(text))
    assert [(s.path, s.low, s.high) for s in sliders] == [("tension.drift", 0.0, 0.2),
                                                           ("negotiation.cooldown", 0.0, 8.0)]
    assert sliders[1].integer
    bad = FLAGSHIP.read_text() + "\nexplore:\n  parameters:\n    - {path: tension.drfit}\n"
    with pytest.raises(InputError) as info:
        scenario_from_text(bad, source="x.yaml")
    assert info.value.problems[0].path == "explore.parameters.0.path"


def test_reset_builds_the_model_the_sliders_describe() -> None:
    """SolaraViz re-creates the model with its fixed and slider values and Mesa's own scenario
    object; the result equals DiplomacyModel with the same overrides, step by step."""
    from mesa.experimental.scenarios import Scenario as MesaScenario

    scenario = load_scenario(FLAGSHIP)
    params = model_params(scenario, default_parameters(scenario), seed=7)
    kwargs = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    kwargs["tension.noise"] = 0.05
    rebuilt = ExplorerModel(scenario=MesaScenario(), **kwargs)
    direct = DiplomacyModel(scenario, rng=7, **{k: v for k, v in kwargs.items()
                                                if k not in ("diplosim_scenario", "rng")})
    for _ in range(40):
        rebuilt.step()
        direct.step()
    np.testing.assert_array_equal(rebuilt.recorder.tension, direct.recorder.tension)
    assert rebuilt.diplomacy_scenario.spec.tension.noise == 0.05


def test_panels_draw_and_describe_the_model() -> None:
    model = ExplorerModel(load_scenario(FLAGSHIP), rng=1)
    model.run(40)
    fig, note = network_figure(model, NetworkCache())
    assert note == ""
    assert any(str(line.get_gid()).startswith("channel:") for line in fig.axes[0].get_lines())
    charts = charts_figure(model, 0)
    tension = next(line for line in charts.axes[0].get_lines() if line.get_gid() == "tension")
    np.testing.assert_array_equal(tension.get_ydata(), model.recorder.tension[:41, 0])
    assert "week 40 of 156" in status_text(model)
    assert talks_text(model).startswith("Track 1 talks, dyad north-south")


def test_dated_scenario_shows_the_date() -> None:
    model = ExplorerModel(load_scenario(ROOT / "scenarios" / "us_cuba.yaml"), rng=1)
    model.run(200)
    assert "month 200 of 672 (1977-08)" in status_text(model)  # the period step 200 covers
    assert "No Track 1 talks" in talks_text(
        ExplorerModel(load_scenario(ROOT / "scenarios" / "russia_west_expulsions.yaml")))


def test_many_states_are_thinned_and_quick(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate_large import large_scenario
    finally:
        sys.path.pop(0)
    path = tmp_path / "large.yaml"
    path.write_text(yaml.safe_dump(large_scenario(60, "10", 0.3)))
    model = ExplorerModel(load_scenario(path), rng=1)
    cache = NetworkCache()
    started = time.perf_counter()
    _fig, note = network_figure(model, cache)  # first draw: tables and layout
    first = time.perf_counter() - started
    model.step()
    started = time.perf_counter()
    network_figure(model, cache)
    again = time.perf_counter() - started
    assert note.startswith("thinned: 72,570 channels drawn as")
    assert "one per dyad and kind" in note
    print(f"\n60 states, 72,570 channels: first draw {first:.2f} s, next {again:.2f} s")


def test_viz_refuses_a_bad_file_like_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FLAGSHIP.read_text().replace("close_threshold: 0.86", "close_threshold: 2x"))
    done = subprocess.run([str(Path(sys.executable).parent / "diplosim"), "viz", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "channels.hotline.close_threshold" in done.stderr
    assert "line" in done.stderr


def test_example_notebook_runs() -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "examples" / "explore_scenario.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.startswith("36 ")  # the model ran 36 weeks in Python
    widgets = [o for o in outputs if o.output_type in ("display_data", "execute_result")
               and "application/vnd.jupyter.widget-view+json" in o.data]
    assert widgets  # the page, shown as a widget
