"""``diplosim calibrate --joint`` and ``--loco``: the shared set fitted to every real case and
the record; outputs, bad input, the case targets' distance by hand, an interrupted fit resumed
to the same numbers (slow), the study resumed fold by fold (slow), and recovery of known shared
values from synthetic cases (slow)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.analysis import calibration, episodes
from diplosim.analysis import scores as sc
from diplosim.analysis.abc_fit import Prior, run_abc
from diplosim.analysis.cases import BY_NAME, CASES, CaseRuns, case_distance, prediction_table
from diplosim.analysis.joint_fit import JointModel, joint_distance, record_document
from diplosim.cli import main
from diplosim.results import posterior as post
from diplosim.results.replicate import replication_seeds
from diplosim.scenario import load_scenario, scenario_from_dict
from diplosim.scenario.shared import parameter_set

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src")}
TINY = ["calibrate", "--joint", "--population", "6", "--generations", "2", "--reps", "1",
        "--episodes", "20", "--draws", "3", "--backend", "serial",
        "--prior", "parameters.tension.drift=0.1:3:log",
        "--prior", "parameters.tension.misperception.learning=0.3:20:log"]


def test_the_distance_to_a_case_by_hand() -> None:
    cuba = BY_NAME["us_cuba"]
    start = dt.date(1961, 1, 1)
    real = (cuba.agreement - start).days / 365.25  # type: ignore[operator]
    runs = CaseRuns(first_agreement=np.array([real, real + 5.6, np.nan]),
                    connected=np.array([[1.0], [0.5], [0.9]]), span=56.0)
    # agreement: (0 + 5.6/56 + 1) / 3; window: 1 - mean(1, 0.5, 0.9)
    assert case_distance(cuba, start, runs) == pytest.approx((0 + 0.1 + 1) / 3 + 0.2)
    china = BY_NAME["us_china_track15"]
    none = CaseRuns(np.array([np.nan, 3.0, np.nan, np.nan]), np.zeros((4, 0)), 18.0)
    assert case_distance(china, dt.date(2004, 1, 1), none) == 0.25
    assert joint_distance({"a": 0.2, "b": 0.4}, {"a": 0.0, "b": 0.0}) == pytest.approx(0.3)


def test_a_prediction_row_says_inside_width_and_predicted() -> None:
    oslo = BY_NAME["oslo_1993"]
    start = dt.date(1993, 1, 4)
    real = (oslo.agreement - start).days / 365.25  # type: ignore[operator]
    years = np.linspace(real - 0.05, real + 0.05, 100)
    row = prediction_table(oslo, start, CaseRuns(years, np.zeros((100, 0)), 1.0))
    assert row["inside"] is True
    assert row["width_share"] == pytest.approx(0.09, abs=0.01)
    assert row["predicted"] is True
    late = prediction_table(oslo, start, CaseRuns(years + 0.5, np.zeros((100, 0)), 1.0))
    assert late["inside"] is False
    assert late["predicted"] is False
    wide = prediction_table(oslo, start, CaseRuns(np.linspace(0, 0.99, 100), np.zeros((100, 0)),
                                                  1.0))
    assert wide["inside"] is True
    assert wide["predicted"] is False  # the interval covers more than a third of the span
    china = BY_NAME["us_china_track15"]
    few = np.where(np.arange(100) < 8, 5.0, np.nan)
    assert prediction_table(china, dt.date(2004, 1, 1),
                            CaseRuns(few, np.zeros((100, 0)), 18.0))["predicted"] is True


def test_the_record_template_takes_the_set() -> None:
    doc = record_document("pooled")
    scenario = scenario_from_dict(doc)
    pooled = parameter_set("pooled")
    assert scenario.spec.tension.drift == pooled["tension"]["drift"]
    assert scenario.spec.rates == "per_year"
    monthly = load_scenario(ROOT / "scenarios" / "us_ruptures_calibrated.yaml").spec
    yearly = scenario.spec.tension.regime_change
    assert 1 - (1 - yearly) ** (1 / 12) == pytest.approx(monthly.tension.regime_change)
    assert scenario.spec.tension.baseline == monthly.tension.baseline  # the population's own


def test_a_small_joint_fit_writes_its_folder(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "joint"
    assert main([*TINY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "first agreement, predicted from posterior draws" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "abc.db", "figures", "generations.parquet", "parameters.yaml", "posterior.parquet",
        "predictive.parquet", "predictive_draws.parquet", "provenance.json"]
    posterior = pd.read_parquet(out / "posterior.parquet")
    # the fitted values, then the structure's fixed ones (today's: neither mandates nor
    # political changes), so that runs under the posterior take the structure too
    assert list(posterior.columns) == ["parameters.tension.drift",
                                       "parameters.tension.misperception.learning",
                                       "parameters.structure.mandates",
                                       "parameters.structure.political_changes", "weight"]
    assert (posterior["parameters.structure.mandates"] == 0).all()
    predictive = pd.read_parquet(out / "predictive.parquet")
    assert sorted(predictive["case"]) == sorted(c.name for c in CASES)
    assert predictive["fitted"].all()
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["status"] == "complete"
    assert provenance["fit"] == "joint"
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "cases.png", "marginals.png", "pairs.png"]
    # the set with the medians is a set; a case runs under the fit's posterior
    text = (out / "parameters.yaml").read_text()
    assert text.startswith("# The parameter set 'pooled' with the posterior medians")
    fitted = post.read_posterior(out)
    cuba = load_scenario(ROOT / "scenarios" / "us_cuba.yaml")
    drawn = fitted.scenario_for(cuba, 0)
    assert drawn.spec.tension.drift == pytest.approx(
        float(posterior.iloc[0]["parameters.tension.drift"]))
    run_out = tmp_path / "cuba"
    assert main(["run", str(ROOT / "scenarios" / "us_cuba.yaml"), "--posterior", str(out),
                 "--reps", "2", "--steps", "24", "--no-plots", "--quiet",
                 "--out", str(run_out)]) == 0
    # the held-out study's scores of this fit (training cases only: no test looks at what the
    # model makes of the test cases)
    scored = tmp_path / "heldout"
    assert main(["heldout", str(out), "--cases", "oslo_1993,us_china_track15", "--draws", "4",
                 "--out", str(scored)]) == 0
    assert "Held-out study: scores" in capsys.readouterr().out
    scores = pd.read_parquet(scored / "scores.parquet")
    assert list(scores["case"]) == ["oslo_1993", "us_china_track15"]
    assert not scores["held_out"].any()
    assert (scores["structure"] == "today").all()
    china = scores.iloc[1]
    assert china["outcome_years"] is None or np.isnan(china["outcome_years"])
    # reference (a): none with the share of the other cases that reach none
    from diplosim.analysis.heldout import ALL

    others = [c for name, c in ALL.items() if name != "us_china_track15"]
    none = sum(c.agreement is None for c in others) / len(others)
    assert china["crps_uniform"] == pytest.approx(sc.crps(sc.uniform_reference(
        china["span_years"], none), None))
    assert (scored / "report.md").read_text().startswith("# Held-out study")
    assert main(["heldout", str(out), "--cases", "atlantis", "--out",
                 str(tmp_path / "h2")]) == 2


def test_a_fit_of_another_structure_fixes_it_in_its_posterior(tmp_path: Path) -> None:
    """--structure mandates: every simulation of the fit takes the set's structure switched on,
    and the posterior carries it as a column, so that runs under the posterior take it too."""
    out = tmp_path / "mandates"
    assert main([*TINY, "--generations", "1", "--structure", "mandates", "--out",
                 str(out)]) == 0
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert (posterior["parameters.structure.mandates"] == 1).all()
    assert (posterior["parameters.structure.political_changes"] == 0).all()
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["structure"] == "mandates"
    drawn = post.read_posterior(out).scenario_for(
        load_scenario(ROOT / "scenarios" / "us_cuba.yaml"), 0)
    assert drawn.spec.channels["mission"].mandate == ["consular", "migration"]
    today = load_scenario(ROOT / "scenarios" / "us_cuba.yaml")  # the shipped set: today's
    assert today.spec.channels["mission"].mandate is None


def test_a_fit_of_staged_talks_fits_the_stage_rate_and_runs_take_it(tmp_path: Path) -> None:
    """--structure staged: the stages' rate is fitted with the shared values, the posterior
    fixes staged talks on, and a case drawn from it passes the set's stages at the drawn rate."""
    out = tmp_path / "staged"
    assert main([*TINY, "--generations", "1", "--structure", "staged", "--out", str(out),
                 "--prior", "parameters.stages.rate=0.1:20:log"]) == 0
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert (posterior["parameters.structure.staged"] == 1).all()
    rates = posterior["parameters.stages.rate"]
    assert rates.between(0.1, 20.0).all()
    assert rates.nunique() > 1
    drawn = post.read_posterior(out).scenario_for(
        load_scenario(ROOT / "scenarios" / "oslo_1993.yaml"), 0)
    assert drawn.spec.negotiation is not None
    assert drawn.spec.negotiation.stages is not None
    assert drawn.spec.negotiation.stages.count == 3
    assert drawn.spec.negotiation.stages.rate == pytest.approx(rates.iloc[0])
    today = load_scenario(ROOT / "scenarios" / "oslo_1993.yaml")
    assert today.spec.negotiation is not None
    assert today.spec.negotiation.stages is None


def test_a_fit_of_red_lines_fits_its_three_sizes_and_runs_take_them(tmp_path: Path) -> None:
    """--structure red_lines: mandates on, the three sizes fitted with the shared values; a
    case drawn from the posterior has win-sets of the drawn sizes."""
    out = tmp_path / "red_lines"
    assert main([*TINY, "--generations", "1", "--structure", "red_lines", "--out", str(out),
                 "--prior", "parameters.red_lines.relaxation=0.01:1:log",
                 "--prior", "parameters.red_lines.leader_step=0:0.5",
                 "--prior", "parameters.red_lines.ratifier_margin=0:0.3"]) == 0
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert (posterior["parameters.structure.red_lines"] == 1).all()
    assert (posterior["parameters.structure.mandates"] == 1).all()
    for name, low, high in (("relaxation", 0.01, 1.0), ("leader_step", 0.0, 0.5),
                            ("ratifier_margin", 0.0, 0.3)):
        values = posterior[f"parameters.red_lines.{name}"]
        assert values.between(low, high).all(), name
    drawn = post.read_posterior(out).scenario_for(
        load_scenario(ROOT / "scenarios" / "us_cuba.yaml"), 0)
    assert drawn.spec.negotiation is not None
    win_sets = drawn.spec.negotiation.win_sets
    assert win_sets is not None
    assert win_sets.relaxation == pytest.approx(
        posterior["parameters.red_lines.relaxation"].iloc[0])
    today = load_scenario(ROOT / "scenarios" / "us_cuba.yaml")
    assert today.spec.negotiation is not None
    assert today.spec.negotiation.win_sets is None


def test_the_say_no_table_means_the_shares_by_outcome_over_held_out_cases() -> None:
    from diplosim.analysis.heldout import say_no_table

    frame = pd.DataFrame({
        "structure": "red_lines", "root_seed": 7, "held_out": [True, True, True, False],
        "outcome_years": [None, 2.0, None, None], "agree_share": [0.2, 0.9, 0.4, 1.0]})
    row = say_no_table(frame).iloc[0]
    assert row["cases_none"] == 2
    assert row["mean_share_none"] == pytest.approx(0.3)
    assert (row["min_share_none"], row["max_share_none"]) == (0.2, 0.4)
    assert row["cases_agreed"] == 1
    assert row["mean_share_agreed"] == pytest.approx(0.9)


def test_the_skill_table_reads_the_held_out_cases_only() -> None:
    from diplosim.analysis.heldout import skill_table

    frame = pd.DataFrame({
        "structure": "today", "root_seed": 1945, "held_out": [True, True, True, False],
        "crps": [0.1, 0.2, 0.3, 9.0], "crps_uniform": [0.2, 0.4, 0.6, 1.0],
        "crps_lag": [0.1, 0.2, 0.3, 1.0], "log": [1.0, 1.0, 1.0, 9.0],
        "log_uniform": [2.0, 2.0, 2.0, 1.0], "log_lag": [1.0, 1.0, 1.0, 1.0],
        "inside": [True, False, True, False], "width": [0.5, 0.5, 0.2, 1.0]})
    table = skill_table(frame, resamples=200).set_index(["score", "reference"])
    assert table.loc[("crps", "uniform"), "skill"] == pytest.approx(0.5)
    assert table.loc[("crps", "lag"), "skill"] == pytest.approx(0.0)
    assert table.loc[("log", "uniform"), "skill"] == pytest.approx(0.5)
    assert (table["cases"] == 3).all()
    assert table.loc[("crps", "uniform"), "coverage"] == pytest.approx(2 / 3)
    assert table.loc[("crps", "uniform"), "mean_width"] == pytest.approx(0.4)


@pytest.mark.parametrize(("argv", "expect"), [
    (["--leave-out", "atlantis"], "not a real case"),
    (["--parameters", "tuned"], "no such parameter set"),
    (["--prior", "tension.drift=0.1:1"], "the joint fit fits values of the parameter set"),
    (["--prior", "parameters.tension.baseline=0.1:0.9"], "not a value of the parameter set"),
    (["--reps", "0"], "--reps"),
    (["--fit"], "--joint and --loco fit the real cases"),
])
def test_bad_joint_options_are_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            argv: list[str], expect: str) -> None:
    assert main([*TINY, "--out", str(tmp_path / "f"), *argv]) == 2
    assert expect in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


def test_a_budget_that_ends_before_the_first_generation_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A budget too small for one generation ends in a located error, not a traceback."""
    assert main([*TINY, "--out", str(tmp_path / "f"), "--max-simulations", "8"]) == 2
    err = capsys.readouterr().err
    assert "before the first generation was complete" in err
    assert "--max-simulations" in err


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


JOINT = [sys.executable, "-m", "diplosim", *TINY]  # two generations: cut in the second


@pytest.fixture(scope="module")
def whole_fit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A serial joint fit never interrupted (shared by the interrupt tests)."""
    where = tmp_path_factory.mktemp("whole")
    done = subprocess.run([*JOINT, "--out", "whole"], cwd=where, env=ENV, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return where / "whole"


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_joint_fit_resumes_to_the_same_numbers(tmp_path: Path, whole_fit: Path,
                                                              sig: int, code: int) -> None:
    proc = subprocess.Popen([*JOINT, "--out", "cut"], cwd=tmp_path, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    try:
        assert proc.stderr is not None
        buf, deadline = "", time.monotonic() + 600
        while "t: 1," not in buf and time.monotonic() < deadline:  # generation 0 is stored
            buf += proc.stderr.read(1)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    resumed = subprocess.run([*JOINT, "--out", "cut", "--resume"], cwd=tmp_path, env=ENV,
                             capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cut" / "posterior.parquet"),
                                  pd.read_parquet(whole_fit / "posterior.parquet"))


@pytest.mark.slow
def test_the_study_runs_every_fold_and_resumes_fold_by_fold(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    argv = ["calibrate", "--loco", "--population", "4", "--generations", "1", "--reps", "1",
            "--episodes", "10", "--draws", "3", "--backend", "serial",
            "--prior", "parameters.tension.drift=0.1:3:log", "--out", str(tmp_path / "study")]
    assert main(argv) == 0
    study = pd.read_parquet(tmp_path / "study" / "loco.parquet")
    assert list(study["case"]) == [c.name for c in CASES]
    assert not study["fitted"].any()  # each row is a case its fold did not see
    for case in CASES:
        fold = json.loads((tmp_path / "study" / case.name / "provenance.json").read_text())
        assert case.name not in fold["cases"]
        assert fold["left_out"] == case.name
    assert (tmp_path / "study" / "figures" / "loco.png").exists()
    capsys.readouterr()
    assert main(argv) == 0  # every fold complete: kept, not fitted again
    assert capsys.readouterr().out.count("complete, kept") == len(CASES)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "study" / "loco.parquet"), study)


@pytest.mark.slow
def test_the_joint_fit_recovers_known_shared_values_from_synthetic_cases(tmp_path: Path
                                                                         ) -> None:
    """Synthetic cases: each case's first agreement is what the model gives, with known values
    of the set, in the median of 16 replications; fitting two shared values to three such cases
    (cases where the truth gives every replication an agreement, and the quickest to simulate),
    each 90% interval covers the truth and is narrower than its prior."""
    truth = {"parameters.tension.misperception.learning": 4.0,
             "parameters.negotiation.ripeness.way_out": 0.45}
    names = ("oslo_1993", "india_pakistan", "us_iran")
    model = JointModel("pooled", names, reps=4)
    targets = {}
    for k, name in enumerate(names):
        runs = model.simulate_case(name, truth, replication_seeds(100 + k, 16))
        start = model.base(name).spec.start
        assert start is not None
        years = float(np.nanmedian(runs.first_agreement))
        assert np.isfinite(years), name  # the truth gives each case an agreement
        real = start + dt.timedelta(days=round(years * 365.25))
        targets[name] = dataclasses.replace(BY_NAME[name], agreement=real)
    model = dataclasses.replace(model, targets=targets)
    priors = (Prior("parameters.tension.misperception.learning", 0.3, 30.0, "loguniform"),
              Prior("parameters.negotiation.ripeness.way_out", 0.2, 0.8))
    fit = run_abc(model, model.zero(), joint_distance, tmp_path / "abc.db", priors=priors,
                  population=40, generations=4, seed=3, backend="process", workers=2,
                  max_simulations=600, progress=False)
    intervals = fit.intervals(0.9)
    for path, value in truth.items():
        lo, hi = intervals[path]
        assert lo <= value <= hi, (path, value, lo, hi)
    learning = intervals["parameters.tension.misperception.learning"]
    assert np.log(learning[1] / learning[0]) < np.log(30.0 / 0.3)
    way_out = intervals["parameters.negotiation.ripeness.way_out"]
    assert way_out[1] - way_out[0] < 0.6


def test_parameter_sets_on_one_axis_give_what_each_gives_alone() -> None:
    """One simulation of the joint fit for several parameter sets at once (the cases' and the
    record's replications of every set on one batch axis) equals each set's simulation alone
    with its seed; a set the schema refuses is infinitely far and leaves the others alone."""
    table = calibration.data_episodes()
    model = JointModel("calibrated", ("oslo_1993", "us_cuba"), reps=2,
                       follow_up=episodes.follow_up_years(table),
                       observed=episodes.from_data(table).summary(), episodes=20)
    sets = [{"parameters__tension__drift": 0.5},
            {"parameters__tension__drift": 4.0,
             "parameters__negotiation__ripeness__way_out": 0.7},
            {"parameters__negotiation__ripeness__way_out": -3.0},  # refused by the schema
            {"parameters__tension__misperception__learning": 20.0}]
    together = model.discrepancies_many(sets, [11, 12, 13, 14])
    alone = [model.discrepancies(p, s) for p, s in zip(sets, [11, 12, 13, 14], strict=True)]
    assert together == alone
    assert all(math.isinf(v) for v in together[2].values())
    assert len({together[k]["us_cuba"] for k in (0, 1, 3)}) > 1  # the values matter


def test_a_batched_fit_gives_the_same_numbers_on_one_process_and_on_two(tmp_path: Path) -> None:
    """Each round's seeds are drawn in the main process before the round is split among the
    workers, so the fit does not depend on the backend or the number of workers."""
    model = JointModel("pooled", ("oslo_1993", "india_pakistan"), reps=2)
    priors = (Prior("parameters.tension.misperception.learning", 0.3, 30.0, "loguniform"),)
    fits = [run_abc(model, model.zero(), joint_distance, tmp_path / f"{backend}.db",
                    priors=priors, population=12, generations=2, seed=5, backend=backend,
                    workers=2, progress=False)
            for backend in ("serial", "process")]
    pd.testing.assert_frame_equal(fits[0].posterior, fits[1].posterior)
    pd.testing.assert_frame_equal(fits[0].generations, fits[1].generations)
    assert len(fits[0].generations) == 2


@pytest.mark.parametrize("name", ["us_cuba", "india_pakistan", "oslo_1993"])
def test_case_summaries_from_arrays_equal_those_from_tables(name: str) -> None:
    """The fit summarises each replication from the batch's arrays (summarise_runs): the same
    first agreements, connected shares and span as from its tables (summarise)."""
    from diplosim.analysis.cases import summarise, summarise_runs
    from diplosim.engine.batch import Batch
    from diplosim.results.tables import simulate_many

    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    seeds = replication_seeds(23, 4)
    batch = Batch(scenario, seeds)
    batch.run()
    from_arrays = summarise_runs(BY_NAME[name], [batch.replication(r) for r in range(4)])
    from_tables = summarise(BY_NAME[name], simulate_many(scenario, seeds))
    np.testing.assert_array_equal(from_arrays.first_agreement, from_tables.first_agreement)
    np.testing.assert_array_equal(from_arrays.connected, from_tables.connected)
    assert from_arrays.span == from_tables.span
