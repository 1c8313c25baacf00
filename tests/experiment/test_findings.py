"""The research experiments of docs/findings.md: every file is valid against its scenario, and
the findings table is built from a small sweep of one of them (with its text shortened)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diplosim.experiment.loader import load_experiment

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_is_valid(path: Path) -> None:
    experiment = load_experiment(path)  # checks every parameter path against the scenario
    assert experiment.spec.outcomes


def test_findings_table_from_a_small_sweep(tmp_path: Path) -> None:
    text = (ROOT / "experiments" / "track2_agreement.yaml").read_text()
    grid = "values: [0.0, 0.2, 0.555, 3.0, 10.0, 30.0]"
    assert grid in text  # the transfer grid of docs/findings.md, cut to two values here
    text = text.replace(grid, "values: [0.0, 3.0]").replace("replications: 20", "replications: 2")
    text = text.replace("../scenarios/", str(ROOT / "scenarios") + "/")
    experiment = tmp_path / "small.yaml"
    experiment.write_text(text)
    out = tmp_path / "out"
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "diplosim"), "sweep", str(experiment), "--out", str(out),
                    "--quiet"], check=True)
    table = subprocess.run([sys.executable, str(ROOT / "experiments" / "findings_tables.py"),
                            str(out)], check=True, capture_output=True, text=True).stdout
    assert "| transfer | track2_access | agreements |" in table
    rows = [line for line in table.splitlines() if line.startswith(("| 0 |", "| 3 |"))]
    assert len(rows) == 6  # 2 transfer values x 3 access values
    # no transfer: the governments never see a way out in 1993 (docs/findings.md, question 2)
    assert all("— (0)" in row for row in rows if row.startswith("| 0 |"))
