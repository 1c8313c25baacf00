"""The citation file and the changelog stay in step with the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_citation_names_the_version_licence_and_the_data() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert cff.get(key), key
    assert str(cff["version"]) == version
    assert cff["license"] == "MIT"
    data = cff["references"][0]
    assert data["license"] == "CC-BY-4.0"
    assert data["authors"][0]["family-names"] == "Kenkel"


def test_changelog_has_the_released_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{version}]" in text
