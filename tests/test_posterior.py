"""Runs under a posterior (``diplosim run --posterior FIT``): one parameter set per replication,
drawn from the fit's weighted particles, seeded by the replication — reproducible, each
replication its own draw, every replication its single run under the drawn values; a file that
is not a fit's posterior is refused (exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.cli import main
from diplosim.io.errors import InputError
from diplosim.io.outputs import FORMAT
from diplosim.results import replication_seeds, simulate
from diplosim.results.posterior import read_posterior
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"
PARTICLES = pd.DataFrame({"tension.drift": [0.01, 0.2, 0.05],
                          "tension.noise": [0.0, 0.05, 0.02],
                          "weight": [0.4, 0.4, 0.2]})


def fit_folder(where: Path, posterior: pd.DataFrame = PARTICLES, status: str = "complete",
               kind: str = "calibration") -> Path:
    where.mkdir(parents=True)
    (where / "provenance.json").write_text(json.dumps(
        {"format": FORMAT, "kind": kind, "status": status, "versions": {}}))
    posterior.to_parquet(where / "posterior.parquet", index=False)
    return where


def run(tmp_path: Path, name: str, fit: Path, reps: int = 12, seed: int = 3) -> Path:
    out = tmp_path / name
    assert main(["run", str(FLAGSHIP), "--reps", str(reps), "--seed", str(seed), "--steps", "40",
                 "--posterior", str(fit), "--out", str(out), "--no-plots", "--quiet"]) == 0
    return out


def test_each_replication_draws_its_own_parameters_reproducibly(tmp_path: Path) -> None:
    fit = fit_folder(tmp_path / "fit")
    first, second = run(tmp_path, "a", fit), run(tmp_path, "b", fit)
    pa = json.loads((first / "provenance.json").read_text())["posterior"]
    pb = json.loads((second / "provenance.json").read_text())["posterior"]
    assert pa["draws"] == pb["draws"]  # the same seed, the same draws
    pd.testing.assert_frame_equal(pd.read_parquet(first / "summary.parquet"),
                                  pd.read_parquet(second / "summary.parquet"))
    particles = [d["particle"] for d in pa["draws"]]
    assert len(particles) == 12
    assert set(particles) == {0, 1, 2}  # replications differ in their draws
    # a replication draws the same particle however many replications run
    fewer = run(tmp_path, "c", fit, reps=5)
    pc = json.loads((fewer / "provenance.json").read_text())["posterior"]
    assert [d["particle"] for d in pc["draws"]] == particles[:5]


def test_a_replication_is_its_single_run_under_the_drawn_values(tmp_path: Path) -> None:
    fit = fit_folder(tmp_path / "fit")
    out = run(tmp_path, "a", fit, reps=4)
    draws = json.loads((out / "provenance.json").read_text())["posterior"]["draws"]
    summary = pd.read_parquet(out / "summary.parquet")
    scenario = load_scenario(FLAGSHIP, {"steps": 40})
    for draw, seed in zip(draws, replication_seeds(3, 4), strict=True):
        values = {p: draw[p] for p in ("tension.drift", "tension.noise")}
        alone = simulate(scenario.with_overrides(values), rng=seed).summary
        got = summary[summary["replication"] == draw["replication"]]
        np.testing.assert_array_equal(got["final_tension"].to_numpy(),
                                      alone["final_tension"].to_numpy())


def test_draws_follow_the_weights() -> None:
    post = read_posterior_frame(pd.DataFrame({"tension.drift": [0.1, 0.2], "weight": [9, 1]}))
    picks = np.array(post.draw(replication_seeds(1, 2000)))
    assert 0.87 < (picks == 0).mean() < 0.93


def read_posterior_frame(frame: pd.DataFrame) -> object:
    from diplosim.results.posterior import _posterior

    return _posterior(frame, "test", "")


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p / "missing", "no such fit folder"),
    (lambda p: fit_folder(p / "f", kind="run"), "not the output of a fit"),
    (lambda p: fit_folder(p / "f", status="running"), "not complete"),
    (lambda p: fit_folder(p / "f", PARTICLES.drop(columns="weight")), "no weight column"),
    (lambda p: fit_folder(p / "f", PARTICLES.assign(weight=0.0)), "not all zero"),
    (lambda p: fit_folder(p / "f", PARTICLES.assign(weight=-1.0)), "non-negative"),
    (lambda p: fit_folder(p / "f", PARTICLES[["weight"]]), "no parameters"),
    (lambda p: fit_folder(p / "f", PARTICLES.assign(**{"tension.drift": "x"})), "numbers"),
    (lambda p: fit_folder(p / "f", PARTICLES.rename(columns={"tension.drift": "tension.drfit"})),
     "does not fit the scenario"),
    (lambda p: fit_folder(p / "f", PARTICLES.assign(**{"tension.drift": 3.0})),
     "does not fit the scenario"),
])
def test_a_bad_posterior_is_refused(tmp_path: Path, make: object, words: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fit = make(tmp_path)  # type: ignore[operator]
    out = tmp_path / "out"
    assert main(["run", str(FLAGSHIP), "--reps", "3", "--steps", "20", "--posterior", str(fit),
                 "--out", str(out), "--no-plots", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_fit_file_inside_the_folder_is_accepted(tmp_path: Path) -> None:
    fit = fit_folder(tmp_path / "fit")
    assert read_posterior(fit / "posterior.parquet").paths == ["tension.drift", "tension.noise"]
    with pytest.raises(InputError):
        read_posterior(fit / "provenance.json")


@pytest.mark.slow
def test_a_real_fit_drives_its_template(tmp_path: Path) -> None:
    """A small fit of the rupture template, then runs of the template under its posterior."""
    fit = tmp_path / "fit"
    assert main(["calibrate", "--fit", "--template", "us_ruptures", "--population", "12",
                 "--generations", "2", "--episodes", "60", "--draws", "4", "--backend",
                 "serial", "--prior", "tension.drift=0.005:0.3:log", "--prior",
                 "tension.baseline=0.2:0.8", "--out", str(fit)]) == 0
    out = tmp_path / "runs"
    assert main(["run", "us_ruptures", "--reps", "6", "--posterior", str(fit), "--out",
                 str(out), "--no-plots", "--quiet", "--steps", "60"]) == 0
    draws = json.loads((out / "provenance.json").read_text())["posterior"]["draws"]
    posterior = pd.read_parquet(fit / "posterior.parquet")
    for d in draws:
        assert d["tension.drift"] == posterior["tension.drift"].iloc[d["particle"]]


EXPERIMENT = """\
name: under_posterior
scenario: {scenario}
steps: 30
replications: 6
seed: 4
posterior: {fit}
parameters:
  - {{path: channels.backchannel.close_threshold, name: bc, values: [0.9, 0.97]}}
design: {{kind: grid}}
outcomes:
  - {{name: tension, metric: tension, aggregate: final}}
"""


def test_an_experiment_draws_per_run_and_resumes_to_the_same_numbers(tmp_path: Path) -> None:
    from diplosim.experiment import load_experiment, read_sweep, run_sweep

    fit_folder(tmp_path / "fit")
    exp_file = tmp_path / "exp.yaml"
    exp_file.write_text(EXPERIMENT.format(scenario=FLAGSHIP, fit="fit"))
    experiment = load_experiment(exp_file)
    run_sweep(experiment, tmp_path / "a", backend="serial", progress=False)
    run_sweep(experiment, tmp_path / "b", backend="process", workers=2, progress=False)
    a, b = read_sweep(tmp_path / "a").runs, read_sweep(tmp_path / "b").runs
    cols = ["run_id", "particle", "tension"]
    pd.testing.assert_frame_equal(a.sort_values("run_id")[cols].reset_index(drop=True),
                                  b.sort_values("run_id")[cols].reset_index(drop=True))
    assert set(a["particle"]) == {0, 1, 2}
    assert a.groupby("point_id")["tension"].nunique().min() > 1
    # each run is its single run under its particle and its point
    scenario = load_scenario(FLAGSHIP, {"steps": 30})
    from diplosim.experiment.design import run_seed

    row = a.sort_values("run_id").iloc[7]
    values = {**PARTICLES.drop(columns="weight").iloc[int(row["particle"])].to_dict(),
              "channels.backchannel.close_threshold": row["bc"]}
    alone = simulate(scenario.with_overrides(values),
                     rng=run_seed(4, int(row["point_id"]), int(row["replication"])))
    assert alone.dyads[alone.dyads["step"] == 30]["tension"].iloc[0] == row["tension"]


def test_an_experiment_naming_a_bad_posterior_is_located(tmp_path: Path) -> None:
    from diplosim.experiment import load_experiment

    fit_folder(tmp_path / "fit", PARTICLES.drop(columns="weight"))
    exp_file = tmp_path / "exp.yaml"
    for fit, words in (("fit", "no weight column"), ("nowhere", "no such fit folder")):
        exp_file.write_text(EXPERIMENT.format(scenario=FLAGSHIP, fit=fit))
        with pytest.raises(InputError) as caught:
            load_experiment(exp_file)
        problem = caught.value.problems[0]
        assert problem.path == "posterior"
        assert problem.line == 6
        assert words in problem.message


def test_a_fifo_in_place_of_the_posterior_is_refused_at_once(tmp_path: Path) -> None:
    import os

    fit = fit_folder(tmp_path / "fit")
    (fit / "posterior.parquet").unlink()
    os.mkfifo(fit / "posterior.parquet")
    with pytest.raises(InputError) as caught:
        read_posterior(fit)  # would block if it opened the FIFO
    assert "not a regular file" in str(caught.value)


def test_a_posterior_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    fit = fit_folder(tmp_path / "fit")
    (fit / "posterior.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError) as caught:
        read_posterior(fit)
    assert "cannot read posterior.parquet" in str(caught.value)
