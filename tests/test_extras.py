"""What not every user needs is an extra: a command whose extra is missing names it in one line,
exits 2 and writes nothing. The packages are hidden by making ``diplosim.io.extras`` see them as
not installed; tests/test_release.py checks the same on the bare wheel, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplosim.cli import main
from diplosim.io import extras
from diplosim.io.extras import MissingExtra, require

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    hidden: set[str] = set()
    real = extras.installed
    monkeypatch.setattr(extras, "installed", lambda m: m not in hidden and real(m))
    return hidden


def one_line_exit_2(argv: list[str], extra: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"pip install 'diplosim[{extra}]'" in err
    assert "Traceback" not in err
    return err


def test_every_extra_is_installed_here() -> None:
    for extra in extras.EXTRAS:
        require(extra, "a test")


def test_require_names_the_extra_and_is_an_import_error(without: set[str]) -> None:
    without.add("pyabc")
    with pytest.raises(ImportError) as caught:
        require("calibrate", "the fit")
    assert isinstance(caught.value, MissingExtra)
    assert str(caught.value) == ("the fit needs the 'calibrate' extra (pyabc is not installed): "
                                 "pip install 'diplosim[calibrate]'")


def test_viz_without_its_extra(without: set[str], capsys: pytest.CaptureFixture[str]) -> None:
    without.add("solara")
    err = one_line_exit_2(["viz", str(ROOT / "scenarios" / "us_cuba.yaml")], "viz", capsys)
    assert err.startswith("error: diplosim viz needs the 'viz' extra")


def test_dask_backend_without_its_extra(without: set[str], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    without.add("distributed")
    out = tmp_path / "sweep"
    experiment = ROOT / "experiments" / "backchannel_resilience.yaml"
    one_line_exit_2(["sweep", str(experiment), "--backend", "dask", "--out", str(out)],
                    "dask", capsys)
    assert not out.exists()


def test_sensitivity_design_without_its_extra(without: set[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    without.add("SALib")
    out = tmp_path / "sweep"
    experiment = ROOT / "experiments" / "closure_sensitivity.yaml"
    err = one_line_exit_2(["sweep", str(experiment), "--backend", "serial", "--out", str(out)],
                          "sensitivity", capsys)
    assert "a morris design" in err
    assert not out.exists()


def test_fit_without_its_extra(without: set[str], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    without.add("pyabc")
    out = tmp_path / "fit"
    one_line_exit_2(["calibrate", "--fit", "--out", str(out)], "calibrate", capsys)
    assert not out.exists()
