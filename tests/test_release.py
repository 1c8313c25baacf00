"""The release as a new user meets it: the built wheel installed into an empty environment (no
repository on the path) lists, runs and starts studies from its bundled examples; the sdist
carries the sources; CITATION.cff passes the Citation File Format's own validator.

Both build fresh virtual environments from the package index (about a minute), so they are
marked slow: CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
pytestmark = pytest.mark.slow


def make_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    return where / "bin"


def sh(argv: list[str | Path], cwd: Path, timeout: float = 900, status: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == status, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    sh([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out)
    return out


def test_the_sdist_and_wheel_carry_the_examples_once(dist: Path) -> None:
    wheel = zipfile.ZipFile(next(dist.glob(f"diplosim-{VERSION}-*.whl")))
    names = set(wheel.namelist())
    for folder, bundled in (("scenarios", "scenarios"), ("experiments", "experiments"),
                            ("examples/negotiation", "negotiation")):
        for f in (ROOT / folder).glob("*.yaml"):
            assert f"diplosim/_bundled/{bundled}/{f.name}" in names
            assert wheel.read(f"diplosim/_bundled/{bundled}/{f.name}") == f.read_bytes()
    assert "diplosim/data/us_diplomatic_missions/SOURCE.md" in names
    assert f"diplosim-{VERSION}.dist-info/licenses/LICENSE" in names
    assert not any(n.startswith(("tests/", "scenarios/", "results/")) for n in names)
    with tarfile.open(next(dist.glob(f"diplosim-{VERSION}.tar.gz"))) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "CITATION.cff",
                   "scenarios/mission_closure.yaml", "experiments/closure_continuity.yaml",
                   "src/diplosim/io/examples.py", "tests/test_release.py"):
        assert needed in members, needed
    assert not any(m.startswith(("results/", ".venv/")) for m in members)


def test_the_wheel_installs_and_runs_its_examples(dist: Path, tmp_path: Path) -> None:
    bin_ = make_venv(tmp_path / "env")
    wheel = next(dist.glob("*.whl"))
    sh([bin_ / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        wheel], cwd=tmp_path)
    home = tmp_path / "home"  # a folder with nothing of the repository in it
    home.mkdir()
    where = sh([bin_ / "python", "-c", "import diplosim, diplosim.io.examples as e; "
                "print(diplosim.__file__); print(e.folder('scenario'))"], cwd=home)
    assert str(ROOT) not in where
    assert "site-packages/diplosim/_bundled/scenarios" in where
    diplosim = bin_ / "diplosim"
    assert sh([diplosim, "--version"], cwd=home).strip() == f"diplosim {VERSION}"
    listing = sh([diplosim, "examples"], cwd=home)
    for f in (ROOT / "scenarios").glob("*.yaml"):
        assert f"  {f.stem} " in listing
    # the bare wheel: none of the extras' packages, yet it runs, plots and validates
    absent = sh([bin_ / "python", "-c", "import importlib.util as u; print([m for m in "
                 "('dask', 'distributed', 'pyabc', 'solara', 'SALib') if u.find_spec(m)])"],
                cwd=home)
    assert absent.strip() == "[]", absent
    out = sh([diplosim, "run", "us_cuba", "--reps", "2"], cwd=home)
    assert "using the bundled scenario us_cuba" in out
    assert (home / "results" / "us_cuba" / "summary.parquet").is_file()
    assert (home / "results" / "us_cuba" / "figures" / "time_series.png").is_file()
    sh([diplosim, "plot", "results/us_cuba", "--format", "svg"], cwd=home)
    assert list((home / "results" / "us_cuba" / "figures").glob("*.svg"))
    sh([diplosim, "validate", "us_cuba", "mission_closure"], cwd=home)
    refused = sh([diplosim, "viz", "us_cuba"], cwd=home, status=2).strip().splitlines()
    assert refused[-1] == ("error: diplosim viz needs the 'viz' extra (solara is not installed): "
                           "pip install 'diplosim[viz]'"), refused
    sh([diplosim, "init", "study", "--from", "oslo_1993"], cwd=home)
    study = home / "study"
    sh([diplosim, "validate", "oslo_1993.yaml"], cwd=study)
    out = sh([diplosim, "sweep", "experiment.yaml", "--backend", "serial", "--quiet"], cwd=study)
    assert (study / "results" / "oslo_1993_starter" / "provenance.json").is_file()
    out = sh([diplosim, "sweep", "backchannel_resilience", "--backend", "serial", "--quiet",
              "--out", "screening"], cwd=home)
    assert (home / "screening" / "provenance.json").is_file()
    sh([diplosim, "negotiate", "camp_david"], cwd=home)
    assert not list((tmp_path / "env").rglob("_bundled/**/results"))  # nothing written inside


def test_citation_cff_passes_cffconvert(tmp_path: Path) -> None:
    # cffconvert pins jsonschema < 4, which the project's environment cannot hold: its own venv
    bin_ = make_venv(tmp_path / "tools")
    sh([bin_ / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "cffconvert>=2.0"], cwd=tmp_path)
    out = sh([bin_ / "cffconvert", "--validate", "--infile", ROOT / "CITATION.cff"],
             cwd=tmp_path)
    assert "valid" in out.lower()
    bibtex = sh([bin_ / "cffconvert", "--infile", ROOT / "CITATION.cff", "--format", "bibtex"],
                cwd=tmp_path)
    assert "diplosim" in bibtex.lower()
