"""Sweeps end to end: identical on every backend, failures recorded, kill -9 and resume, SALib."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from diplosim.experiment import (
    RunContext,
    analyze,
    experiment_from_text,
    read_sweep,
    run_sweep,
)
from diplosim.io.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "mission_closure.yaml"
COMPARE = ["run_id", "point_id", "replication", "seed", "bc", "dialogues", "status", "error",
           "continuity", "peak_tension", "closed_at"]

EXPERIMENT = f"""\
name: small
scenario: {SCENARIO}
parameters:
  - {{path: channels.backchannel.close_threshold, name: bc, low: 0.84, high: 0.99, levels: 3}}
  - {{path: channels.dialogue.generate.0.count, name: dialogues, type: integer, values: [1, 3]}}
design: {{kind: grid}}
replications: 3
seed: 11
steps: 80
chunk_size: 2
outcomes:
  - {{name: continuity, metric: continuity_during_closure, aggregate: value}}
  - {{name: peak_tension, metric: tension, aggregate: max}}
  - {{name: closed_at, metric: mission_closed, aggregate: first, when: {{op: ">", value: 0}}}}
series: {{metrics: [tension, connected], every: 5}}
"""


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("sweeps") / "serial"
    exp = experiment_from_text(EXPERIMENT, "small.yaml")
    report = run_sweep(exp, out, backend="serial", progress=False)
    assert report.complete
    assert report.ran == 18
    return read_sweep(out)


def test_runs_table_holds_every_run_with_parameters_seeds_and_timings(serial: Any) -> None:
    runs = serial.runs
    assert runs["run_id"].tolist() == list(range(18))
    assert (runs["status"] == "ok").all()
    assert runs["seed"].iloc[4] == "11/1/1"  # point 1, replication 1
    assert set(runs["bc"]) == {0.84, 0.915, 0.99}
    assert (runs["seconds"] > 0).all()
    assert runs["peak_tension"].between(0, 1).all()
    assert len(serial.series) == 18 * 17  # steps 0, 5, ..., 80
    prov = serial.provenance
    assert prov["status"] == "complete"
    assert prov["root_seed"] == 11
    assert len(prov["scenario"]["sha256"]) == 64
    assert {"diplosim", "mesa", "numpy", "python"} <= set(prov["versions"])
    assert prov["experiment"]["text"] == EXPERIMENT


def test_same_results_serially_on_processes_and_on_dask(serial: Any, tmp_path: Path) -> None:
    exp = experiment_from_text(EXPERIMENT, "small.yaml")
    for backend, workers in (("process", 1), ("process", 2), ("dask", 2)):
        out = tmp_path / f"{backend}{workers}"
        run_sweep(exp, out, backend=backend, workers=workers, progress=False)
        other = read_sweep(out)
        pd.testing.assert_frame_equal(serial.runs[COMPARE], other.runs[COMPARE])
        pd.testing.assert_frame_equal(serial.series, other.series)


@pytest.mark.slow
def test_a_sweep_runs_on_an_existing_dask_scheduler(serial: Any, tmp_path: Path) -> None:
    from distributed import LocalCluster

    exp = experiment_from_text(EXPERIMENT, "small.yaml")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        report = run_sweep(exp, tmp_path / "remote", backend="dask",
                           scheduler=cluster.scheduler_address, progress=False)
        assert report.complete
        assert cluster.scheduler_address in read_sweep(tmp_path / "remote").provenance[
            "sessions"][0]["executor"]
    other = read_sweep(tmp_path / "remote")
    pd.testing.assert_frame_equal(serial.runs[COMPARE], other.runs[COMPARE])
    with pytest.raises(InputError, match="needs --backend dask"):
        run_sweep(exp, tmp_path / "x", backend="process", scheduler=cluster.scheduler_address,
                  progress=False)


def flaky(context: RunContext, overrides: Mapping[str, Any], seed: np.random.SeedSequence
          ) -> tuple[dict[str, float], None]:
    if overrides["channels.backchannel.close_threshold"] > 0.95:
        raise RuntimeError("model blew up")
    return {"continuity": 1.0, "peak_tension": 0.5, "closed_at": 3.0}, None


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    exp = experiment_from_text(EXPERIMENT, "small.yaml")
    report = run_sweep(exp, tmp_path / "s", backend="serial", progress=False, evaluator=flaky)
    assert report.complete
    assert report.failed_total == 6
    runs = read_sweep(tmp_path / "s").runs
    failed = runs[runs["status"] == "failed"]
    assert set(failed["bc"]) == {0.99}
    assert failed["error"].str.contains("RuntimeError: model blew up").all()
    assert failed["continuity"].isna().all()


def test_an_existing_store_needs_resume_and_the_same_experiment(serial: Any) -> None:
    exp = experiment_from_text(EXPERIMENT, "small.yaml")
    with pytest.raises(InputError, match="already holds results"):
        run_sweep(exp, serial.path, backend="serial", progress=False)
    changed = experiment_from_text(EXPERIMENT.replace("seed: 11", "seed: 12"), "small.yaml")
    with pytest.raises(InputError, match="experiment file changed"):
        run_sweep(changed, serial.path, backend="serial", resume=True, progress=False)
    report = run_sweep(exp, serial.path, backend="serial", resume=True, progress=False)
    assert report.ran == 0
    assert report.already == 18


@pytest.mark.slow
def test_kill_9_then_resume_equals_an_uninterrupted_sweep(serial: Any, tmp_path: Path) -> None:
    exp_file = tmp_path / "small.yaml"
    exp_file.write_text(EXPERIMENT.replace("chunk_size: 2", "chunk_size: 1"))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "diplosim", "sweep", str(exp_file), "--out", str(out),
           "--backend", "process", "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list((out / "parts").glob("runs-*.parquet"))) >= 4:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len(list((out / "parts").glob("runs-*.parquet")))
    assert 4 <= stored < 18, "the sweep should have been killed part-way"
    assert read_sweep(out).provenance["status"] == "running"
    done = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = read_sweep(out)
    assert resumed.runs["run_id"].tolist() == list(range(18))  # none missing, none twice
    pd.testing.assert_frame_equal(serial.runs[COMPARE], resumed.runs[COMPARE])
    pd.testing.assert_frame_equal(serial.series, resumed.series)
    sessions = resumed.provenance["sessions"]
    assert len(sessions) == 2
    assert sessions[1]["already_stored"] == stored


# Ishigami (1990) function with a = 7, b = 0.1 and its exact Sobol indices.
A, B = 7.0, 0.1
V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
EXACT_S1 = [V1 / V, V2 / V, 0.0]
EXACT_ST = [(V1 + V13) / V, V2 / V, V13 / V]


def ishigami(context: RunContext, overrides: Mapping[str, Any], seed: np.random.SeedSequence
             ) -> tuple[dict[str, float], None]:
    x1, x2, x3 = overrides["x1"], overrides["x2"], overrides["x3"]
    noise = np.random.default_rng(seed).normal(0, 0.01)  # replications differ a little
    return {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1) + noise}, None


def ishigami_experiment(design: str) -> str:
    bounds = f"low: {-math.pi}, high: {math.pi}"
    return (f"name: ishigami\nscenario: {SCENARIO}\nparameters:\n"
            + "".join(f"  - {{path: x{i}, {bounds}}}\n" for i in (1, 2, 3))
            + f"design: {design}\nreplications: 2\nseed: 5\n"
            "outcomes:\n  - {name: y, metric: y, aggregate: mean}\n")


def test_sobol_indices_of_the_ishigami_function_through_the_sweep_path(tmp_path: Path) -> None:
    exp = experiment_from_text(ishigami_experiment("{kind: sobol, points: 1024}"), "ish.yaml",
                               check=False)
    run_sweep(exp, tmp_path / "ish", backend="serial", progress=False, evaluator=ishigami)
    sens = analyze(read_sweep(tmp_path / "ish"), "sobol")
    first = sens.tables["sensitivity_sobol"].set_index("parameter")
    assert list(first.index) == ["x1", "x2", "x3"]
    assert np.allclose(first["S1"], EXACT_S1, atol=0.06)
    assert np.allclose(first["ST"], EXACT_ST, atol=0.06)
    assert (first["S1_conf"] > 0).all()
    s2 = sens.tables["sensitivity_sobol_s2"].set_index(["parameter_1", "parameter_2"])
    assert abs(s2.loc[("x1", "x3"), "S2"] - V13 / V) < 0.1
    assert abs(s2.loc[("x1", "x2"), "S2"]) < 0.1


def linear(context: RunContext, overrides: Mapping[str, Any], seed: np.random.SeedSequence
           ) -> tuple[dict[str, float], None]:
    return {"y": 2 * overrides["x1"] - 0.5 * overrides["x2"]}, None


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes(tmp_path: Path) -> None:
    text = ishigami_experiment("{kind: morris, points: 20, levels: 4}").replace(
        f"low: {-math.pi}, high: {math.pi}", "low: 0, high: 2")
    exp = experiment_from_text(text, "lin.yaml", check=False)
    run_sweep(exp, tmp_path / "m", backend="serial", progress=False, evaluator=linear)
    table = analyze(read_sweep(tmp_path / "m"), "morris").tables["sensitivity_morris"]
    table = table.set_index("parameter")
    # y = 2 x1 - 0.5 x2 on [0, 2]^3: every elementary effect is the slope times the range
    assert np.allclose(table["mu"], [4.0, -1.0, 0.0], atol=1e-9)
    assert np.allclose(table["mu_star"], [4.0, 1.0, 0.0], atol=1e-9)
    assert np.allclose(table["sigma"], 0.0, atol=1e-9)
    with pytest.raises(InputError, match="needs a sweep with design kind sobol"):
        analyze(read_sweep(tmp_path / "m"), "sobol")


def test_cli_sweep_analyze_and_errors(tmp_path: Path) -> None:
    exp_file = tmp_path / "sob.yaml"
    exp_file.write_text(f"""\
name: sob
scenario: {SCENARIO}
parameters:
  - {{path: channels.backchannel.close_threshold, name: bc, low: 0.84, high: 0.99}}
  - {{path: tension.deescalation, name: deesc, low: 0.02, high: 0.08}}
design: {{kind: sobol, points: 4}}
replications: 1
steps: 80
outcomes:
  - {{name: peak_tension, metric: tension, aggregate: max}}
  - {{name: agreed, metric: first_agreement, aggregate: value}}
""")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([sys.executable, "-m", "diplosim", "sweep", str(exp_file), "--out",
                          str(out), "--backend", "serial", "--csv"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "24 runs" in run.stdout
    assert (out / "csv" / "runs.csv").exists()
    ana = subprocess.run([sys.executable, "-m", "diplosim", "analyze", str(out),
                          "--sensitivity", "sobol"], capture_output=True, text=True, env=env)
    assert ana.returncode == 0, ana.stderr
    assert "sensitivity_sobol" in ana.stdout
    table = pd.read_csv(out / "sensitivity_sobol.csv")
    assert set(table.columns) >= {"outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"}
    assert (out / "sensitivity_sobol_s2.csv").exists()
    bad = subprocess.run([sys.executable, "-m", "diplosim", "sweep", str(exp_file), "--out",
                          str(out), "--backend", "serial"], capture_output=True, text=True,
                         env=env)
    assert bad.returncode == 2
    assert "already holds results" in bad.stderr
    assert "Traceback" not in bad.stderr
