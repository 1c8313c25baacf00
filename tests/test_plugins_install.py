"""The example plug-in package as a user meets it: installed with pip into a fresh environment
beside the built wheel, then the commands of docs/extending.md ("Try the example") run as
written — list, validate, run, sweep, schema — and a batch equals its single runs there. Before
the package is installed, its scenario is a located error that says what to install.

Builds a fresh virtual environment from the package index (a minute or two): marked slow, CI
runs it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from tests.test_release import make_venv, sh

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

BATCH_EQUALS_SINGLE_RUNS = """
import pandas as pd
from diplosim.engine.batch import Batch
from diplosim.results import replication_seeds
from diplosim.results.tables import TABLES, collect, simulate
from diplosim.scenario import load_scenario
base = load_scenario("examples/plugins/scenarios/spoilers.yaml")
variants = [base, base.with_overrides({"dynamics.spoilers.strength": 0.5,
                                       "events.0.params.shift": 0.1})]
seeds = replication_seeds(5, 2)
batch = Batch(base, seeds, variants)
batch.run()
for r, (seed, v) in enumerate(zip(seeds, variants)):
    single, got = simulate(v, rng=seed), collect(batch.replication(r), seed=seed)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(single, t), getattr(got, t), check_exact=True)
print("batch = single runs")
"""


def documented_commands() -> list[list[str]]:
    """The commands of the first bash block under "## Try the example" in docs/extending.md."""
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    section = text.split("## Try the example", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def test_the_example_package_installs_beside_the_wheel_and_its_commands_run(
        tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    sh([sys.executable, "-m", "build", "--wheel", "--outdir", dist, ROOT], cwd=tmp_path)
    bin_ = make_venv(tmp_path / "env")
    pip = [bin_ / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    sh([*pip, next(dist.glob("*.whl"))], cwd=tmp_path)
    work = tmp_path / "work"  # the example's files, nothing else of the repository
    shutil.copytree(ROOT / "examples" / "plugins", work / "examples" / "plugins",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    diplosim = bin_ / "diplosim"
    scenario = "examples/plugins/scenarios/spoilers.yaml"

    missing = sh([diplosim, "validate", scenario], cwd=work, status=2)
    assert "line 58: dynamics.spoilers: no dynamics term 'spoilers'" in missing
    assert "pip install diplosim-example-plugins>=0.1" in missing
    assert "Traceback" not in missing

    outputs = []
    for argv in documented_commands():
        if argv[:2] == ["pip", "install"]:
            outputs.append(sh([*pip, *argv[2:]], cwd=work))
        else:
            assert argv[0] == "diplosim", argv
            outputs.append(sh([diplosim, *argv[1:]], cwd=work))
    listing = outputs[1]
    for name in ("stepwise", "new_leader", "spoilers", "diplosim-example-plugins 0.1.0"):
        assert name in listing
    assert f"{scenario}: ok" in outputs[2]
    assert "agreement reached" in outputs[3]
    run = json.loads((work / "results" / "spoilers" / "provenance.json").read_text())
    used = {(p["group"], p["name"], p["version"]) for p in run["scenario"]["plugins"]}
    assert used == {("diplosim.dynamics", "spoilers", "0.1.0"),
                    ("diplosim.events", "new_leader", "0.1.0"),
                    ("diplosim.strategies", "stepwise", "0.1.0")}
    assert run["scenario"]["overrides"] == {"dynamics.spoilers.strength": 0.3}
    sweep = work / "results" / "spoiler_strength"
    points = json.loads((sweep / "provenance.json").read_text())
    assert points["status"] == "complete"
    assert [p["name"] for p in points["scenario"]["plugins"]] == ["spoilers", "new_leader",
                                                                  "stepwise"]
    schema = json.loads(outputs[5])
    assert "attack_hazard" in schema["properties"]["dynamics"]["properties"]["spoilers"][
        "properties"]
    assert "batch = single runs" in sh([bin_ / "python", "-c", BATCH_EQUALS_SINGLE_RUNS],
                                       cwd=work)
