"""experiments/fits/run_study.sh, end to end at a tiny budget: both seeds of one structure are
fitted, checked and scored; run again, the complete fits are skipped and the scores re-made."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "fits" / "run_study.sh"
TINY = ["--population", "10", "--generations", "1", "--reps", "1", "--episodes", "10",
        "--draws", "5"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=1200)


def test_without_a_folder_it_prints_its_usage_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "resumable command" in done.stderr


def test_a_complete_fit_of_another_structure_or_seed_is_refused_not_skipped(tmp_path: Path) -> None:
    fit = tmp_path / "study" / "today_1945"
    fit.mkdir(parents=True)
    (fit / "provenance.json").write_text(json.dumps(
        {"format": "diplosim/1", "kind": "calibration", "fit": "joint", "status": "complete",
         "structure": "today", "root_seed": 7}))
    done = run(str(tmp_path / "study"), "--structures", "today")
    assert done.returncode == 2
    refused = "holds a complete fit of structure 'today', seed 7, not 'today', seed 1945"
    assert refused in done.stderr
    assert sorted(p.name for p in fit.iterdir()) == ["provenance.json"]  # nothing written


@pytest.mark.slow
def test_the_study_runs_skips_what_is_complete_and_scores_every_fit(tmp_path: Path) -> None:
    out = tmp_path / "study"
    first = run(str(out), "--structures", "today", *TINY)
    assert first.returncode == 0, first.stderr[-2000:]
    for seed in (1945, 7):
        provenance = json.loads((out / f"today_{seed}" / "provenance.json").read_text())
        assert provenance["status"] == "complete"
        assert provenance["structure"] == "today"
        assert provenance["root_seed"] == seed
    assert "seed check:" in first.stdout
    skill = pd.read_csv(out / "heldout" / "skill.csv")
    assert sorted(skill["root_seed"].unique()) == [7, 1945]
    share = pd.read_csv(out / "heldout" / "scores.csv")["agree_share"]
    assert share.between(0.0, 1.0).all()  # a share, not 1 + rounding
    again = run(str(out), "--structures", "today", *TINY)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("complete, skipped") == 2
    pd.testing.assert_frame_equal(pd.read_csv(out / "heldout" / "skill.csv"), skill)
