"""Figures show the results: data read back from the artists equal the tables they draw."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images

from diplosim.analysis.survival import closure_durations, kaplan_meier
from diplosim.negotiation.session import build_session, load_session
from diplosim.plotting import (
    plot_channel_timeline,
    plot_heatmap,
    plot_morris,
    plot_negotiation,
    plot_network,
    plot_outcome_vs_parameter,
    plot_sobol,
    plot_survival,
    plot_time_series,
    save,
    write_run_figures,
)
from diplosim.plotting.network import levels_at
from diplosim.plotting.runs import at_risk, closure_spans, survival_frame
from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.runset import RunSet, combine, read_runset, write_runset
from diplosim.results.tables import simulate
from diplosim.scenario import load_scenario

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).parent / "baseline"
UPDATE = bool(os.environ.get("DIPLOSIM_UPDATE_BASELINES"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> RunSet:
    scenario = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    seeds = replication_seeds(2026, 4)
    results = [simulate(scenario, rng=s) for s in seeds]
    tables = combine(results, [seed_label(s) for s in seeds])
    out = tmp_path_factory.mktemp("runs") / "flagship"
    write_runset(out, tables, {"scenario": {"name": scenario.name, "time_unit": "week"}},
                 csv=False)
    return read_runset(out)


def test_time_series_median_band_and_closure_shading(runs: RunSet) -> None:
    fig = plot_time_series(runs)
    tension_ax = fig.axes[0]
    d = runs.dyads[runs.dyads["dyad"] == "north-south"]
    median = d.groupby("step")["tension"].median()
    line = tension_ax.get_lines()[0]
    assert np.allclose(line.get_xdata(), median.index)
    assert np.allclose(line.get_ydata(), median.to_numpy())
    band = next(c for c in tension_ax.collections if isinstance(c, PolyCollection))
    upper = band.get_paths()[0].vertices[:, 1].max()
    assert upper == pytest.approx(d.groupby("step")["tension"].quantile(0.75).max())
    # shading: steps where at least half the replications have the missions closed
    share = d.groupby("step")["mission_closed"].mean()
    closed = share.index[share >= 0.5]
    spans = closure_spans(runs, "north-south")
    assert spans[0][0] == closed.min()
    shaded = [p for p in tension_ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(shaded) == len(spans)
    assert "mission_closure" in fig.get_suptitle()
    assert "weeks" in fig.axes[2].get_xlabel()


def test_kaplan_meier_matches_the_hand_computed_estimate() -> None:
    # times 2, 3, 3, 5 closed; 4 and 6 still open at the end (censored)
    km = kaplan_meier(np.array([2, 3, 3, 5, 4, 6]), np.array([1, 1, 1, 1, 0, 0], bool))
    assert km["time"].tolist() == [0, 2, 3, 4, 5, 6]
    expected = [1, 5 / 6, 5 / 6 * 3 / 5, 0.5, 0.5 * 1 / 2, 0.25]
    assert np.allclose(km["survival"], expected, atol=1e-12)
    assert km["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert ((km["lower"] <= km["survival"] + 1e-12) & (km["survival"] <= km["upper"] + 1e-12)).all()


def test_survival_curves_are_monotone_with_censoring_marks_where_the_data_say(
        runs: RunSet) -> None:
    fig = plot_survival(runs)
    ax = fig.axes[0]
    km = survival_frame(runs)
    last = runs.spells["replication"].map(runs.dyads.groupby("replication")["step"].max())
    durations = closure_durations(runs.spells, last)
    for kind in km["group"].unique():
        curve = next(line for line in ax.get_lines() if line.get_gid() == f"km:{kind}")
        y = np.asarray(curve.get_ydata(), dtype=float)
        assert (np.diff(y) <= 1e-12).all(), f"{kind} survival must not increase"
        marks = next(line for line in ax.get_lines() if line.get_gid() == f"censored:{kind}")
        censored_times = sorted(set(durations.loc[(durations["kind"] == kind)
                                                  & ~durations["event"], "time"]))
        assert sorted(np.asarray(marks.get_xdata(), dtype=float)) == censored_times
        n = int((durations["kind"] == kind).sum())
        assert curve.get_label() == f"{kind} (n={n})"
    table = fig.axes[1]
    shown = {t.get_gid(): t.get_text() for t in table.texts if t.get_gid()}
    for key, text in shown.items():
        _, kind, t = key.split(":")
        curve = km[km["group"] == kind]
        assert int(text) == at_risk(curve, float(t))
        d = durations[durations["kind"] == kind]
        assert int(text) == int((d["time"] >= float(t)).sum())


def test_channel_timeline_bars_cover_exactly_the_open_spells(runs: RunSet) -> None:
    fig = plot_channel_timeline(runs, replication=1)
    ax = fig.axes[0]
    spells = runs.spells[runs.spells["replication"] == 1]
    last = int(runs.dyads.loc[runs.dyads["replication"] == 1, "step"].max())
    drawn: dict[str, float] = {}
    for coll in ax.collections:
        gid = coll.get_gid() or ""
        if ":" in gid:
            channel = gid.split(":")[0]
            for path in coll.get_paths():
                xs = path.vertices[:, 0]
                drawn[channel] = drawn.get(channel, 0.0) + float(xs.max() - xs.min())
    open_time = (spells["closed"].fillna(last) - spells["opened"]).groupby(
        spells["channel"]).sum()
    for channel, total in open_time.items():
        assert drawn.get(str(channel), 0.0) == pytest.approx(total)
    assert len(ax.get_yticklabels()) == len(runs.channels)
    events = runs.events[runs.events["replication"] == 1]
    marked = sorted(float(line.get_gid().split(":")[1]) for line in ax.get_lines()
                    if (line.get_gid() or "").startswith("event:"))
    expected = sorted(events.drop_duplicates(["step", "type", "label"])["step"].astype(float))
    assert marked == expected


def test_network_layout_groups_states_and_orders_arcs_to_cut_crossings(runs: RunSet) -> None:
    from diplosim.plotting.network import governments, layout

    actors, channels = runs.actors, runs.channels
    pos = layout(actors, channels, seed=0)
    assert set(pos) == set(actors["actor"])
    assert layout(actors, channels, seed=0) == pos  # stable
    assert layout(actors, channels, seed=1) != pos  # the seed turns the picture
    gov = governments(actors)
    for state, actor in gov.items():  # each actor is nearer its own government than another's
        for member in actors.loc[actors["state"] == state, "actor"]:
            mine = np.hypot(*np.subtract(pos[member], pos[actor]))
            others = [np.hypot(*np.subtract(pos[member], pos[g])) for s, g in gov.items()
                      if s != state]
            assert mine < min(others)

    def crossings(positions: dict[str, tuple[float, float]]) -> int:
        segs = [(np.array(positions[a]), np.array(positions[b])) for a, b, v in
                zip(channels["actor_a"], channels["actor_b"], channels["via"], strict=True)
                if not isinstance(v, str)]

        def cross(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> bool:
            def side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
                return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
            return (side(p, q, r) * side(p, q, s) < 0) and (side(r, s, p) * side(r, s, q) < 0)

        return sum(cross(*segs[i], *segs[j]) for i in range(len(segs))
                   for j in range(i + 1, len(segs)))

    assert crossings(pos) < crossings(layout(actors, channels, seed=0, sweeps=0))


def test_network_draws_every_channel_at_its_level(runs: RunSet) -> None:
    step = 30
    fig = plot_network(runs, step=step, replication=0)
    ax = fig.axes[0]
    levels = levels_at(runs, step, 0)
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    for channel, level in levels.items():
        line = lines[f"channel:{channel}:{level}"]
        assert (line.get_linestyle() == "-") == (level > 0)
    governments = [c for c in ax.collections if (c.get_gid() or "").startswith("government:")]
    assert len(governments) == 2
    again = plot_network(runs, step=step, replication=0)
    first = [tuple(line.get_xydata().ravel()) for line in ax.get_lines()]
    second = [tuple(line.get_xydata().ravel()) for line in again.axes[0].get_lines()]
    assert first == second  # stable layout


def sweep_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for a in (0.1, 0.2, 0.3):
        for b in (1, 2):
            for rep in range(4):
                rows.append({"a": a, "b": b, "replication": rep, "status": "ok",
                             "y": a * 10 + b + rng.normal(0, 0.1)})
    rows.append({"a": 0.3, "b": 2, "replication": 9, "status": "failed", "y": np.nan})
    return pd.DataFrame(rows)


def test_sweep_response_and_heatmap_show_the_means_over_replications() -> None:
    frame = sweep_frame()
    ok = frame[frame["status"] == "ok"]
    fig = plot_outcome_vs_parameter(frame, "a", "y")
    means_line = fig.axes[0].get_lines()[0]
    assert np.allclose(means_line.get_ydata(), ok.groupby("a")["y"].mean().to_numpy())
    heat = plot_heatmap(frame, "a", "b", "y")
    image = next(im for im in heat.axes[0].get_images() if im.get_gid() == "heatmap")
    expected = ok.groupby(["b", "a"])["y"].mean().unstack().to_numpy()
    assert np.allclose(np.asarray(image.get_array()), expected)


def test_sampled_designs_are_summarised_in_equal_count_bins() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 60)
    frame = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 0.05, 60), "status": "ok"})
    fig = plot_outcome_vs_parameter(frame, "x", "y")
    line = fig.axes[0].get_lines()[0]
    order = np.argsort(x)
    bins = np.array_split(order, 10)
    assert np.allclose(line.get_xdata(), [x[b].mean() for b in bins])
    assert np.allclose(line.get_ydata(), [frame["y"].to_numpy()[b].mean() for b in bins])
    assert "10 equal-count bins" in fig.axes[0].get_legend().get_texts()[1].get_text()


SOBOL = pd.DataFrame({"outcome": "y", "parameter": ["x1", "x2", "x3"], "S1": [0.31, 0.44, 0.0],
                      "S1_conf": [0.05, 0.05, 0.02], "ST": [0.56, 0.44, 0.24],
                      "ST_conf": [0.06, 0.04, 0.03]})
MORRIS = pd.DataFrame({"outcome": "y", "parameter": ["x1", "x2", "x3"], "mu": [2, -1, 0.1],
                       "mu_star": [2.0, 1.0, 0.3], "mu_star_conf": [0.2, 0.1, 0.05],
                       "sigma": [0.1, 0.0, 0.5]})


def test_sensitivity_bars_and_morris_plane_hold_the_indices() -> None:
    fig = plot_sobol(SOBOL, "y")
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    s1 = [p.get_height() for p in bars[0]]
    st = [p.get_height() for p in bars[1]]
    assert np.allclose(s1, SOBOL["S1"])
    assert np.allclose(st, SOBOL["ST"])
    morris = plot_morris(MORRIS, "y")
    pts = morris.axes[0].get_lines()[0].get_xydata()
    assert np.allclose(pts, MORRIS[["mu_star", "sigma"]].to_numpy())


def test_negotiation_trace_in_utility_space() -> None:
    plan = load_session(ROOT / "examples" / "negotiation" / "boulware_vs_conceder.yaml")
    session = build_session(plan, 1)
    result = session.run()
    fig = plot_negotiation(result, session.setting)
    ax = fig.axes[0]
    frame = result.trace_frame()
    a, b = result.parties[:2]
    nash = next(c for c in ax.collections if c.get_gid() == "nash")
    assert np.allclose(nash.get_offsets()[0], session.setting.nash.utilities[:2])  # type: ignore[union-attr]
    for party in frame.loc[frame["action"] == "offer", "party"].unique():
        line = next(line for line in ax.get_lines() if line.get_gid() == f"offers:{party}")
        mine = frame[(frame["party"] == party) & (frame["action"] == "offer")]
        assert np.allclose(line.get_xdata(), mine[f"u.{a}"])
        assert np.allclose(line.get_ydata(), mine[f"u.{b}"])
    frontier = next(line for line in ax.get_lines() if line.get_gid() == "frontier")
    fx = np.asarray(frontier.get_xdata(), dtype=float)
    fy = np.asarray(frontier.get_ydata(), dtype=float)
    assert (np.diff(fx) >= 0).all()
    assert (np.diff(fy) <= 1e-12).all()  # a Pareto frontier trades one utility for the other


def test_negotiation_with_three_parties_projects_the_frontier_as_points() -> None:
    plan = load_session(ROOT / "examples" / "negotiation" / "multilateral_climate.yaml")
    session = build_session(plan, None)
    result = session.run()
    fig = plot_negotiation(result, session.setting, title="multilateral_climate")
    ax = fig.axes[0]
    frontier = next(c for c in ax.collections if c.get_gid() == "frontier")
    u = session.setting.deal_utilities[session.setting.frontier]
    assert sorted(map(tuple, np.round(frontier.get_offsets(), 12))) == sorted(
        map(tuple, np.round(u[:, :2], 12)))
    offered = {line.get_gid() for line in ax.get_lines() if line.get_gid()}
    assert offered == {f"offers:{p}" for p in result.parties}
    assert ax.get_title().startswith("multilateral_climate\n")


def check_baseline(fig: Figure, name: str, tmp_path: Path) -> None:
    expected = BASELINE / f"{name}.png"
    if UPDATE or not expected.exists():
        if not UPDATE:
            pytest.fail(f"no baseline {expected}; run with DIPLOSIM_UPDATE_BASELINES=1")
        save(fig, expected)
        return
    actual = save(fig, tmp_path / f"{name}.png")
    diff = compare_images(str(expected), str(actual), tol=5)
    assert diff is None, diff


def test_baseline_sensitivity_bars(tmp_path: Path) -> None:
    check_baseline(plot_sobol(SOBOL, "y", title="Sobol indices of y"), "sobol_bars", tmp_path)


def test_baseline_survival(runs: RunSet, tmp_path: Path) -> None:
    check_baseline(plot_survival(runs), "flagship_survival", tmp_path)


def test_saved_files_are_byte_identical_for_the_same_results(runs: RunSet,
                                                              tmp_path: Path) -> None:
    for fmt in ("svg", "pdf", "png"):
        first = save(plot_network(runs, step=30), tmp_path / f"a.{fmt}").read_bytes()
        second = save(plot_network(runs, step=30), tmp_path / f"b.{fmt}").read_bytes()
        assert first == second, fmt


def test_run_draws_from_memory_the_figures_read_back_from_its_files(tmp_path: Path) -> None:
    """diplosim run draws its figures from the tables in memory while a thread writes the
    files: the figures are byte for byte those drawn from the folder read back, and every
    table is written."""
    from diplosim.cli import main

    out = tmp_path / "run"
    assert main(["run", str(ROOT / "scenarios" / "mission_closure.yaml"), "--reps", "3",
                 "--quiet", "--out", str(out)]) == 0
    again = write_run_figures(out, tmp_path / "again")
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(p.name for p in again)
    for path in again:
        assert (out / "figures" / path.name).read_bytes() == path.read_bytes(), path.name
    tables = read_runset(out).tables
    assert set(tables) == {p.stem for p in (out / "csv").glob("*.csv")}
    for name, frame in tables.items():
        assert len(frame) == len(pd.read_csv(out / "csv" / f"{name}.csv")), name


def test_baseline_network(runs: RunSet, tmp_path: Path) -> None:
    check_baseline(plot_network(runs, step=30, replication=0), "flagship_network", tmp_path)


def test_cli_plot_run_folder_sweep_folder_and_session(runs: RunSet, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "diplosim", "plot"]
    done = subprocess.run([*cmd, str(runs.path), "--kind", "survival", "--format", "svg",
                           "--out", str(tmp_path / "figs")], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "figs" / "survival.svg").read_text()
    assert "<svg" in svg
    bad = subprocess.run([*cmd, str(runs.path), "--kind", "pie"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2
    assert "allowed: time_series, survival, timeline, network" in bad.stderr
    assert "Traceback" not in bad.stderr
    session = ROOT / "examples" / "negotiation" / "zeuthen_border.yaml"
    neg = subprocess.run([*cmd, str(session), "--out", str(tmp_path / "neg")], capture_output=True,
                         text=True, env=env)
    assert neg.returncode == 0, neg.stderr
    assert (tmp_path / "neg" / "negotiation.png").exists()
    nowhere = subprocess.run([*cmd, str(tmp_path / "figs")], capture_output=True, text=True,
                             env=env)
    assert nowhere.returncode == 2
    assert "not a results folder" in nowhere.stderr


def write_sweep_folder(path: Path) -> None:
    """A small grid sweep in the store's own format (as diplosim sweep writes it)."""
    from diplosim.experiment.store import SweepStore, write_parquet
    from diplosim.io.outputs import write_json

    frame = sweep_frame()
    frame.insert(0, "run_id", range(len(frame)))
    frame["point_id"] = frame.groupby(["a", "b"]).ngroup()
    store = SweepStore(path)
    store.prepare()
    store.write_part(frame, None)
    write_parquet(path / "design.parquet",
                  frame[["point_id", "a", "b"]].drop_duplicates("point_id"))
    write_json(path / "provenance.json", {
        "format": "diplosim/1", "kind": "sweep", "experiment": {"name": "toy"},
        "design": {"kind": "grid"},
        "parameters": [{"path": "x.a", "column": "a", "type": "real"},
                       {"path": "x.b", "column": "b", "type": "integer"}],
        "outcomes": [{"name": "y", "metric": "y", "aggregate": "value"}],
        "status": "complete"})
    SOBOL.to_csv(path / "sensitivity_sobol.csv", index=False)


def test_cli_plots_a_sweep_folder_in_one_command(tmp_path: Path) -> None:
    from diplosim.cli import main

    folder = tmp_path / "toy"
    write_sweep_folder(folder)
    assert main(["plot", str(folder)]) == 0
    assert sorted(p.name for p in (folder / "figures").iterdir()) == [
        "heatmap_y_a_b.png", "response_y_a.png", "response_y_b.png", "sobol_y.png"]
    assert main(["plot", str(folder), "--kind", "network"]) == 2


def test_cli_options_for_run_figures_are_checked(runs: RunSet, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from diplosim.cli import main

    base = ["plot", str(runs.path), "--out", str(tmp_path)]
    assert main([*base, "--dyad", "east-west"]) == 2
    assert "allowed: north-south" in capsys.readouterr().err
    assert main([*base, "--replication", "7"]) == 2
    assert main([*base, "--kind", "network", "--step", "10000"]) == 2
    assert main([*base, "--kind", "network", "--step", "40", "--replication", "2"]) == 0
    assert (tmp_path / "network.png").exists()
    scenario = ROOT / "scenarios" / "mission_closure.yaml"
    assert main(["plot", str(scenario)]) == 2
    assert "diplosim run" in capsys.readouterr().err


def test_run_writes_the_standard_figures_unless_told_not_to(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    base = [sys.executable, "-m", "diplosim", "run",
            str(ROOT / "scenarios" / "mission_closure.yaml"), "--reps", "2", "--quiet"]
    subprocess.run([*base, "--out", str(tmp_path / "a")], check=True, env=env)
    assert sorted(p.name for p in (tmp_path / "a" / "figures").iterdir()) == [
        "network.png", "survival.png", "time_series.png", "timeline.png"]
    subprocess.run([*base, "--out", str(tmp_path / "b"), "--no-plots"], check=True, env=env)
    assert not (tmp_path / "b" / "figures").exists()
