"""Components of the core one by one, reproducibility, the CLI end to end, Mesa's batch_run."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from diplosim import cli
from diplosim.engine.model import DiplomacyModel
from diplosim.engine.network import Connectivity
from diplosim.io.errors import InputError
from diplosim.io.overrides import apply_overrides, parse_assignment
from diplosim.io.yamlio import parse_yaml
from diplosim.results.replicate import replication_seeds, seed_from_label, seed_label
from diplosim.results.runset import read_runset, write_runset
from diplosim.results.tables import TABLES, channel_spells, simulate
from diplosim.scenario import load_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

# --- overrides and YAML -----------------------------------------------------------------

def test_parse_assignment_reads_yaml_values() -> None:
    assert parse_assignment("a.b=0.9") == ("a.b", 0.9)
    assert parse_assignment("a=true") == ("a", True)
    assert parse_assignment("a=[1, 2]") == ("a", [1, 2])
    assert parse_assignment("a=embassy") == ("a", "embassy")
    assert parse_assignment("a=") == ("a", "")
    with pytest.raises(InputError, match=r"dotted\.path=value"):
        parse_assignment("novalue")


def test_apply_overrides_copies_and_sets_nested_and_list_fields() -> None:
    doc = {"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]}
    out = apply_overrides(doc, {"a.b": 2, "l.1.x": 5, "new.key": "v"})
    assert out == {"a": {"b": 2}, "l": [{"x": 1}, {"x": 5}], "new": {"key": "v"}}
    assert doc == {"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]}  # untouched
    with pytest.raises(InputError, match=r"an index from 0 to 1"):
        apply_overrides(doc, {"l.7.x": 1})
    with pytest.raises(InputError, match="cannot set a field inside a int"):
        apply_overrides(doc, {"a.b.c": 1})


def test_yaml_lines_of_dotted_paths() -> None:
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n", "t.yaml")
    assert doc.line_of("a.b") == 2
    assert doc.line_of("a.c.1.d") == 5
    assert doc.line_of("a.c.1.zzz") == 5  # nearest ancestor


# --- tension and channels, against hand-derived values -----------------------------------

def test_tension_relaxes_to_its_baseline_geometrically(
        two_state: Callable[..., str], quiet: str) -> None:
    text = two_state("  initial: 0.3\n  baseline: 0.5\n" + quiet.format(drift=0.1))
    dyads = simulate(scenario_from_text(text, "u.yaml"), rng=0).dyads
    t = np.arange(21)
    expected = 0.5 - (0.5 - 0.3) * 0.9**t  # T_t = B - (B - T_0)(1 - drift)^t
    assert np.allclose(dyads["tension"].to_numpy(), expected, atol=1e-12)


def test_channel_hysteresis_with_deterministic_thresholds(
        two_state: Callable[..., str], quiet: str) -> None:
    # T: 0.3, then 0.9 at step 5 (above 0.8: closes), 0.65 at 8 (between the thresholds: stays
    # closed), 0.45 at 12 (below 0.5: reopens).
    events = ("  - {at: 5, type: shock, dyad: [A, B], magnitude: 0.6}\n"
              "  - {at: 8, type: shock, dyad: [A, B], magnitude: -0.25}\n"
              "  - {at: 12, type: shock, dyad: [A, B], magnitude: -0.2}\n")
    text = two_state("  initial: 0.3\n  baseline: 0.3\n" + quiet.format(drift=0.0), events)
    res = simulate(scenario_from_text(text, "u.yaml"), rng=0)
    changes = res.level_changes[res.level_changes["step"] > 0]
    assert changes[["step", "level"]].to_numpy().tolist() == [[5, 0], [12, 1]]
    closed = res.dyads["mission_closed"].to_numpy()
    assert closed.tolist() == [0] * 5 + [1] * 7 + [0] * 9
    spells = res.spells
    assert spells["opened"].tolist() == [0, 12]
    assert spells["closed"].iloc[0] == 5
    assert spells["censored"].tolist() == [False, True]
    assert spells["duration"].tolist() == [5, 8]  # the open spell is censored at step 20


def test_events_set_levels_on_the_ladder() -> None:
    res = simulate(load_scenario(FLAGSHIP).with_overrides({"tension.noise": 0.0,
                                                            "channels.embassy.noise": 0.0}), rng=1)
    lc = res.level_changes
    at28 = lc[(lc["step"] == 28) & lc["channel"].str.startswith("embassy")]
    assert set(at28["level"]) <= {0}  # the break closes both embassies (if still open)
    at36 = lc[(lc["step"] == 36) & (lc["channel"] == "embassy_in_south")]
    assert at36["level"].tolist() == [1]  # interests section under the protecting power


def test_channel_spells_from_level_history() -> None:
    assert channel_spells([(0, 3), (4, 2), (6, 0), (9, 1)]) == [(0, 6, [3, 2]), (9, None, [1])]
    assert channel_spells([(0, 0)]) == []
    assert channel_spells([(0, 0), (2, 1), (2, 1)]) == [(2, None, [1])]


# --- connectivity against networkx -------------------------------------------------------

def random_network(seed: int) -> str:
    rng = np.random.default_rng(seed)
    actors, links = [], []
    for s in ("A", "B"):
        for i in range(4):
            access = rng.choice([1.0, 0.2])
            actors.append(f"    - {{id: {s}{i}, state: {s}, kind: x, tracks: ['1'], "
                          f"access: {access}}}")
    actors.append("    - {id: third, state: null, kind: facilitator, tracks: ['1']}")
    for k in range(int(rng.integers(3, 12))):
        a, b = int(rng.integers(4)), int(rng.integers(4))
        via = ", via: third" if rng.random() < 0.3 else ""
        links.append(f"      - {{id: c{k}, between: [A{a}, B{b}]{via}}}")
    return ("name: net\nsteps: 5\nstates: [{id: A}, {id: B}]\nactors:\n  list:\n"
            + "\n".join(actors) + "\nchannels:\n  line:\n    track: '1'\n"
            "    close_threshold: 0.99\n    reopen_threshold: 0.5\n    links:\n"
            + "\n".join(links) + "\nmetrics: {min_access: 0.5}\n")


@pytest.mark.parametrize("seed", range(12))
def test_redundancy_is_the_minimum_cut_computed_by_networkx(seed: int) -> None:
    sc = scenario_from_text(random_network(seed), "net.yaml")
    c = sc.compiled
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 2, c.n_channels)
    connected, redundancy = Connectivity(c, 0.5).compute(level)
    # independent construction: contract usable access links by hand, count parallel channels
    node = {a: (c.state_ids[c.actor_state[i]] if c.actor_access[i] >= 0.5 else a)
            for i, a in enumerate(c.actor_ids)}
    graph = nx.Graph()
    graph.add_nodes_from(["A", "B"])
    for ch in range(c.n_channels):
        if level[ch] > 0:
            u, v = node[c.actor_ids[c.channel_a[ch]]], node[c.actor_ids[c.channel_b[ch]]]
            cap = graph.get_edge_data(u, v, {"capacity": 0})["capacity"]
            graph.add_edge(u, v, capacity=cap + 1)
    expected = nx.maximum_flow_value(graph, "A", "B") if nx.has_path(graph, "A", "B") else 0
    assert int(redundancy[0]) == expected
    assert bool(connected[0]) == nx.has_path(graph, "A", "B")


# --- seeds, reproducibility, results folders ---------------------------------------------

def test_replication_seeds_are_reproducible_distinct_and_labelled() -> None:
    a, b = replication_seeds(5, 3), replication_seeds(5, 3)
    assert [s.generate_state(2).tolist() for s in a] == [s.generate_state(2).tolist() for s in b]
    assert len({tuple(s.generate_state(2)) for s in a}) == 3
    assert seed_label(a[2]) == "5/2"
    assert seed_from_label("5/2").generate_state(2).tolist() == a[2].generate_state(2).tolist()


def test_same_seed_same_tables_and_different_seeds_differ() -> None:
    sc = load_scenario(FLAGSHIP).with_overrides({"steps": 90})
    seed, other = replication_seeds(1, 2)
    first, again, third = simulate(sc, rng=seed), simulate(sc, rng=seed), simulate(sc, rng=other)
    for name in TABLES:
        pd.testing.assert_frame_equal(first.table(name), again.table(name))
    assert not first.dyads["tension"].equals(third.dyads["tension"])


def test_results_folder_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    good = {"a": pd.DataFrame({"x": [1, 2]})}
    out = write_runset(tmp_path / "r", good, {"scenario": {"name": "s"}})
    assert read_runset(out).a.equals(good["a"])
    broken = {"a": pd.DataFrame({"x": [1, 2]}), "b": pd.DataFrame({"y": [object(), 1]})}
    with pytest.raises(Exception):  # noqa: B017,PT011 - pyarrow's error for an unstorable column
        write_runset(tmp_path / "r", broken, {"scenario": {"name": "s"}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no half-written folder
    assert read_runset(tmp_path / "r").a.equals(good["a"])  # the old results are intact


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_scenario_builds_and_steps(path: Path) -> None:
    model = DiplomacyModel(path, rng=3)
    for _ in range(5):
        model.step()
    assert model.t == 5
    assert 0.0 <= float(model.tension.tension.min()) <= 1.0


# --- Mesa habits ------------------------------------------------------------------------------

@pytest.fixture
def start_method() -> Iterator[None]:
    """mesa.batch_run forces the 'spawn' start method on the whole process: restore it."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


@pytest.mark.usefixtures("start_method")
def test_mesa_batch_run_drives_the_model_with_dotted_path_parameters() -> None:
    sc = load_scenario(FLAGSHIP)
    rows = mesa.batch_run(
        DiplomacyModel,
        parameters={"scenario": [sc], "channels.hotline.close_threshold": [0.7, 0.99],
                    "steps": [90]},
        rng=[1, 2], max_steps=90, number_processes=1, data_collection_period=-1,
        display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4
    assert {"mean_tension", "open_channels", "connected_dyads", "missions_closed"} <= set(frame)
    assert frame["Step"].max() == 90
    assert set(frame["channels.hotline.close_threshold"]) == {0.7, 0.99}


@pytest.mark.usefixtures("start_method")
def test_mesa_batch_run_overrides_take_effect() -> None:
    # the run stops at the overridden horizon (model.running), well before max_steps
    rows = mesa.batch_run(
        DiplomacyModel, parameters={"scenario": [load_scenario(FLAGSHIP)], "steps": [4, 9],
                                    "tension.noise": 0.0},
        rng=[5, 6], max_steps=200, number_processes=1, data_collection_period=-1,
        display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4
    assert (frame["Step"] == frame["steps"]).all()
    assert frame.groupby("steps")["mean_tension"].nunique().tolist() == [1, 1]  # no noise
    assert frame["open_channels"].between(0, 11).all()


# --- the command line, end to end -------------------------------------------------------------

def diplosim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diplosim", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_cli_run_writes_tables_provenance_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "res"
    done = diplosim("run", str(FLAGSHIP), "--reps", "2", "--steps", "40", "--seed", "4",
                    "--set", "channels.hotline.close_threshold=0.9", "--out", str(out),
                    "--no-plots")
    assert done.returncode == 0, done.stderr
    assert "dyad north-south" in done.stdout
    assert "continuity during closure" in done.stdout
    assert "± " in done.stdout  # spread, not just means
    for table in ("dyads", "open_channels", "spells", "events", "summary", "level_changes"):
        assert (out / f"{table}.parquet").exists()
        assert (out / "csv" / f"{table}.csv").exists()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["scenario"]["overrides"] == {"channels.hotline.close_threshold": 0.9,
                                             "steps": 40}
    assert prov["scenario"]["text"] == FLAGSHIP.read_text()
    assert len(prov["scenario"]["sha256"]) == 64
    assert prov["seeds"] == ["4/0", "4/1"]
    assert {"diplosim", "mesa", "numpy", "python"} <= set(prov["versions"])
    assert prov["started"] <= prov["finished"]
    assert "run" in prov["command"]
    summary = pd.read_parquet(out / "summary.parquet")
    assert summary["replication"].tolist() == [0, 1]
    dyads = pd.read_parquet(out / "dyads.parquet")
    assert len(dyads) == 2 * 41
    assert pd.read_csv(out / "csv" / "dyads.csv")["tension"].tolist() == pytest.approx(
        dyads["tension"].tolist(), abs=1e-12)
    assert "2 replications x 40 weeks, root seed 4" in done.stdout


def test_cli_validate_schema_help_and_console_script(tmp_path: Path) -> None:
    done = diplosim("validate", *map(str, SCENARIOS))
    assert done.returncode == 0, done.stderr
    schema = json.loads(diplosim("schema").stdout)
    assert schema["title"] == "diplosim scenario"
    assert "channels" in schema["properties"]
    helped = diplosim("--help").stdout
    for command in ("run", "validate", "schema", "negotiate", "sweep", "analyze", "plot"):
        assert command in helped
    script = Path(sys.executable).parent / "diplosim"
    assert script.exists()
    assert subprocess.run([str(script), "--version"], capture_output=True,
                          text=True).stdout.startswith("diplosim ")


def test_internal_errors_exit_1_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr("diplosim.commands.run.simulate_tables", boom)
    monkeypatch.delenv("DIPLOSIM_DEBUG", raising=False)
    status = cli.main(["run", str(FLAGSHIP), "--reps", "1", "--quiet", "--no-plots",
                       "--out", "/nonexistent-dir-never-written/x"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.strip().count("\n") == 0
    assert "internal error: RuntimeError: something broke" in err


def test_the_command_line_parses_without_the_scientific_stack() -> None:
    """`diplosim --help` and argument errors load no heavy library: each subcommand's work is
    imported only when it runs (diplosim.commands.parsers)."""
    code = ("import sys\nfrom diplosim.cli import build_parser\nbuild_parser()\n"
            "heavy = {'numpy', 'pandas', 'scipy', 'matplotlib', 'mesa', 'pydantic', 'pyabc',"
            " 'dask', 'SALib', 'pyarrow'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_version_has_one_source() -> None:
    import tomllib
    from importlib.metadata import version

    import diplosim

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert diplosim.__version__ == version("diplosim") == pyproject["project"]["version"]
    done = subprocess.run([sys.executable, "-m", "diplosim", "--version"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == f"diplosim {diplosim.__version__}"
