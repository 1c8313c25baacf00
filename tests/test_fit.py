"""``diplosim calibrate --fit``: outputs, reproducibility, resume, bad input; recovery of known
parameters from synthetic data made by the model itself (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.analysis import episodes as ep
from diplosim.analysis.abc_fit import Prior, run_fit, simulate_episodes
from diplosim.analysis.calibration import data_episodes
from diplosim.cli import main
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "us_ruptures.yaml"
TINY = ["calibrate", "--fit", "--template", str(TEMPLATE), "--population", "12",
        "--generations", "2", "--episodes", "60", "--draws", "4", "--backend", "serial",
        "--prior", "tension.drift=0.005:0.3:log", "--prior", "tension.baseline=0.2:0.8"]


def test_a_small_fit_writes_its_folder_reproducibly(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fit"
    assert main([*TINY, "--out", str(out), "--until", "1989-12-31",
                 "--predict-since", "1990-01-01"]) == 0
    printed = capsys.readouterr().out
    assert "predictive check, out of sample (10 episodes" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "abc.db", "calibrated.yaml", "figures", "generations.parquet", "posterior.parquet",
        "predictive.parquet", "provenance.json"]
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == ["tension.drift", "tension.baseline", "weight"]
    assert post["weight"].sum() == pytest.approx(1.0)
    assert post["tension.baseline"].between(0.2, 0.8).all()
    checks = pd.read_parquet(out / "predictive.parquet")
    assert set(checks["check"]) == {"in_sample", "out_of_sample"}
    assert checks["p_value"].between(0, 1).all()  # posterior predictive, sized for the data
    assert "predictive p " in printed
    calibrated = load_scenario(out / "calibrated.yaml")  # a valid scenario
    assert calibrated.name == "us_ruptures_calibrated"
    assert "Posterior median [90% interval]" in (out / "calibrated.yaml").read_text()
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "marginals.png", "pairs.png", "survival_in_sample.png",
        "survival_out_of_sample.png"]
    # the same root seed, serially: the same posterior
    again = tmp_path / "again"
    assert main([*TINY, "--out", str(again), "--until", "1989-12-31"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(again / "posterior.parquet"), post)
    # a second fit into the folder needs --resume; resuming continues to --generations in all
    assert main([*TINY, "--out", str(out)]) == 2
    assert "already holds results of a fit" in capsys.readouterr().err
    assert main([*TINY, "--out", str(out), "--resume", "--until", "1989-12-31",
                 "--generations", "4"]) == 0
    gens = pd.read_parquet(out / "generations.parquet")
    assert len(gens) == 4


@pytest.mark.parametrize(("argv", "expect"), [
    (["--prior", "tension.drift=0.5:0.1"], "a prior must look like PATH=LOW:HIGH"),
    (["--prior", "tension.drif=0.1:0.5"], "unknown field 'drif'"),
    (["--prior", "tension.drift=0:0.5:log"], "LOW > 0 with log"),
    (["--population", "0"], "--population"),
    (["--since", "2030-01-01"], "only 0 episodes are kept"),
    (["--causes", "war"], "unknown cause"),
    (["--until", "19x9"], "not a date"),
])
def test_bad_fit_options_are_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], expect: str) -> None:
    assert main([*TINY, "--out", str(tmp_path / "f"), *argv]) == 2
    assert expect in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


@pytest.mark.slow
def test_the_fit_recovers_known_parameters_from_synthetic_data(tmp_path: Path) -> None:
    """Synthetic episodes from the template with known values, censored like the real record;
    fitting three of them (the others fixed at the truth), each 90% interval covers the truth."""
    truth = {"tension.baseline": 0.45, "tension.drift": 0.03, "tension.regime_change": 0.004}
    fixed = {"tension.baseline_concentration": 3.0, "tension.noise": 0.04,
             "channels.mission.reopen_threshold.0": 0.6,
             "channels.mission.reopen_threshold.1": 0.45}
    template = load_scenario(TEMPLATE, fixed)
    follow = ep.follow_up_years(data_episodes())
    synthetic = simulate_episodes(template.with_overrides(truth), 300, 11, follow)
    priors = (Prior("tension.baseline", 0.1, 0.9), Prior("tension.drift", 0.003, 0.3, "loguniform"),
              Prior("tension.regime_change", 1e-4, 0.03, "loguniform"))
    fit = run_fit(template, synthetic, follow, tmp_path / "abc.db", priors=priors,
                  population=100, generations=6, episodes=300, seed=5, backend="process",
                  workers=2)
    intervals = fit.intervals(0.9)
    for path, value in truth.items():
        lo, hi = intervals[path]
        assert lo <= value <= hi, (path, value, lo, hi)
    width = {p: np.log(intervals[p][1] / intervals[p][0]) for p in truth}
    assert width["tension.drift"] < np.log(100)  # narrower than the prior (0.003 to 0.3)


def test_predictive_p_values_are_sized_for_the_data() -> None:
    """Ten episodes from the template itself (the posterior a point mass at their parameters)
    give unremarkable p-values; ten that all end within a month do not."""
    from diplosim.analysis.abc_fit import FitResult, predictive_check

    template = load_scenario(TEMPLATE)
    params = {"tension.drift": 0.03, "tension.baseline": 0.45}
    fit = FitResult(posterior=pd.DataFrame({**{k: [v] for k, v in params.items()},
                                            "weight": [1.0]}),
                    generations=pd.DataFrame(),
                    priors=tuple(Prior(p, 0.0, 1.0) for p in params))
    def table(years: np.ndarray, restored: np.ndarray, interests: np.ndarray) -> pd.DataFrame:
        start = pd.Timestamp("1990-01-01")
        return pd.DataFrame({"years": years, "restored": restored, "interests": interests,
                             "start": start, "observed_until": start + pd.Timedelta(days=10957)})

    own = simulate_episodes(template.with_overrides(params), 40, 3, np.full(40, 30.0))
    like = table(own.years[:10], own.restored[:10], own.interests[:10])
    p_like = predictive_check(template, fit, like, draws=20, episodes=120, seed=1).p_values
    unlike = table(np.full(10, 0.05), np.ones(10, bool), np.zeros(10, bool))
    p_unlike = predictive_check(template, fit, unlike, draws=20, episodes=120, seed=1).p_values
    assert set(p_like) == {"km_gap", "restored_share", "interests_share"}
    assert min(p_like.values()) >= 0.05, p_like
    assert p_unlike["km_gap"] <= 0.05, p_unlike
