"""Register plug-in packages in this process without pip: a ``.dist-info`` folder (METADATA and
entry_points.txt) on ``sys.path`` is what an installed package is to ``importlib.metadata``,
which is all the registry reads. The example package's entry points are read from its own
pyproject.toml, so the tests use what ``pip install`` would register. (Installing for real, in a
fresh environment, is tests/test_plugins_install.py.)"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from diplosim.plugins import refresh

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugins"
SPOILERS = EXAMPLE / "scenarios" / "spoilers.yaml"


def example_entry_points() -> dict[str, dict[str, str]]:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    return dict(project["entry-points"])


@contextmanager
def registered(where: Path, monkeypatch: pytest.MonkeyPatch, package: str, version: str,
               entry_points: Mapping[str, Mapping[str, str]],
               source: Path | None = None) -> Iterator[None]:
    """``package`` ``version`` installed with ``entry_points`` (group -> name -> object), its
    modules importable from ``source``."""
    dist = where / f"{package.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {obj}\n" for name, obj in names.items()) + "\n"
        for group, names in entry_points.items()))
    monkeypatch.syspath_prepend(str(where))
    if source is not None:
        monkeypatch.syspath_prepend(str(source))
    refresh()
    try:
        yield
    finally:
        monkeypatch.undo()
        refresh()


@pytest.fixture
def example_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example plug-in package (examples/plugins) registered in this process."""
    with registered(tmp_path / "site", monkeypatch, "diplosim-example-plugins", "0.1.0",
                    example_entry_points(), EXAMPLE / "src"):
        yield
