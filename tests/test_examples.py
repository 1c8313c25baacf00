"""The bundled example library: `diplosim examples`, bare names on the command line, `diplosim
init`, and the experiments' relative scenario paths. (The wheel that carries the library is
tested in tests/test_wheel.py; init's refusals with the other safety tests.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from diplosim.cli import main
from diplosim.experiment import load_experiment, run_sweep
from diplosim.io import examples
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"scenario": ROOT / "scenarios", "experiment": ROOT / "experiments",
           "session": ROOT / "examples" / "negotiation"}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside the repository, as a user of an install has."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_catalogue_is_the_top_level_folders() -> None:
    found = {(e.kind, e.name) for e in examples.catalogue()}
    expected = {(kind, p.stem) for kind, folder in FOLDERS.items()
                for p in folder.glob("*.yaml")}
    assert found == expected
    assert all(e.summary for e in examples.catalogue()), "every example's header says what it is"
    assert examples.folder("scenario") == ROOT / "scenarios"  # a clone: the one copy


def test_summary_is_the_header_first_sentence(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("# Ruptures of U.S. missions, 1945-2024: a template. More text\n# here.\n#\n"
                 "# Second paragraph.\nname: x\n")
    assert examples.summary_of(f) == "Ruptures of U.S. missions, 1945-2024: a template."
    f.write_text("name: x\n# late comment\n")
    assert examples.summary_of(f) == ""


def test_path_and_lookup_error() -> None:
    assert examples.path("us_cuba") == ROOT / "scenarios" / "us_cuba.yaml"
    assert examples.path("us_cuba.yaml") == ROOT / "scenarios" / "us_cuba.yaml"
    assert examples.path("rubinstein_pie", "session").parent == FOLDERS["session"]
    with pytest.raises(LookupError, match=r"no bundled scenario named 'atlantis'.*us_cuba"):
        examples.path("atlantis")
    with pytest.raises(LookupError):
        examples.path("../scenarios/us_cuba")  # names only, never paths


def test_examples_command_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for e in examples.catalogue():
        assert f"  {e.name}" in out
    assert "scenarios (" in out
    assert "experiments (" in out
    assert "sessions (" in out
    assert main(["examples", "--kind", "session", "--paths"]) == 0
    out = capsys.readouterr().out
    assert "scenarios (" not in out
    assert "rubinstein_pie" in out
    assert str(FOLDERS["session"] / "rubinstein_pie.yaml") in out


def test_a_bare_name_runs_the_bundled_file(elsewhere: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "mission_closure", "--reps", "1", "--steps", "10", "--no-plots",
                 "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "no file 'mission_closure' here; using the bundled scenario mission_closure" in err
    assert (elsewhere / "results" / "mission_closure" / "provenance.json").is_file()
    assert main(["validate", "us_cuba", "oslo_1993.yaml"]) == 0
    assert main(["negotiate", "rubinstein_pie", "--json"]) == 0


def test_a_file_of_that_name_comes_first(elsewhere: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "scenarios" / "track2_transfer.yaml").read_text()
    (elsewhere / "mission_closure").write_text(text)  # the user's own file, no suffix
    assert main(["validate", "mission_closure"]) == 0
    captured = capsys.readouterr()
    assert "bundled" not in captured.err
    assert "mission_closure: ok" in captured.out or "track2_transfer" in captured.out


def test_an_unknown_name_is_a_clear_error(elsewhere: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "mission_clousre"]) == 2
    err = capsys.readouterr().err
    assert "mission_clousre: no such file (did you mean mission_closure (bundled" in err


@pytest.mark.parametrize("path", sorted(FOLDERS["experiment"].glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_experiments_find_their_scenarios(path: Path, elsewhere: Path) -> None:
    experiment = load_experiment(examples.path(path.stem, "experiment"))
    assert experiment.scenario.name  # its relative scenario path resolved and loaded


def test_init_writes_a_starter_study_that_runs(elsewhere: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "study"]) == 0
    study = elsewhere / "study"
    assert sorted(p.name for p in study.iterdir()) == [
        "README.md", "experiment.yaml", "mission_closure.yaml"]
    assert (study / "mission_closure.yaml").read_bytes() == (
        ROOT / "scenarios" / "mission_closure.yaml").read_bytes()
    assert oct(study.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    readme = (study / "README.md").read_text()
    assert "diplosim run mission_closure.yaml" in readme
    assert "diplosim sweep experiment.yaml" in readme
    spec = yaml.safe_load((study / "experiment.yaml").read_text())
    assert [p["path"] for p in spec["parameters"]] == [
        "channels.hotline.close_threshold", "channels.backchannel.close_threshold"]
    experiment = load_experiment(study / "experiment.yaml")
    os.chdir(study)
    report = run_sweep(experiment, out=Path("results") / experiment.name, backend="serial",
                       progress=False)
    assert (report.total, report.ran, report.failed, report.complete) == (45, 45, 0, True)
    assert main(["init", "study2", "--from", str(study / "mission_closure.yaml")]) == 0
    assert not list(elsewhere.glob(".study*"))  # no staging folder left


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("name", sorted(p.stem for p in FOLDERS["scenario"].glob("*.yaml")))
def test_init_from_every_bundled_scenario(name: str, elsewhere: Path) -> None:
    assert main(["init", "s", "--from", name]) == 0
    experiment = load_experiment(elsewhere / "s" / "experiment.yaml")
    assert 1 <= len(experiment.spec.parameters) <= 2
    scenario = load_scenario(elsewhere / "s" / f"{name}.yaml")
    for p in experiment.spec.parameters:  # each swept path exists and takes both ends
        for value in (p.low, p.high) if p.values is None else p.values:
            scenario.with_overrides({p.path: value})


def test_init_into_an_empty_folder(elsewhere: Path) -> None:
    (elsewhere / "empty").mkdir()
    assert main(["init", "empty", "--from", "oslo_1993"]) == 0
    assert (elsewhere / "empty" / "oslo_1993.yaml").is_file()
