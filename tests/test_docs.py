"""The documentation stays in step with the code: file references generated from the schemas,
and the scenario library table lists every scenario file."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplosim.commands.docgen import references

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"


@pytest.mark.parametrize("name", sorted(references()))
def test_reference_matches_the_schema(name: str) -> None:
    committed = (REFERENCE / name).read_text(encoding="utf-8")
    assert committed == references()[name], (
        f"docs/reference/{name} differs from the schema: run "
        "`python -m diplosim.commands.docgen docs/reference` and commit the result")


def test_reference_covers_every_field() -> None:
    from diplosim.scenario.schema import EventSpec, ScenarioSpec

    text = references()["scenario.md"]
    for model in (ScenarioSpec, EventSpec):
        for field, info in model.model_fields.items():
            assert f"| `{info.alias or field}` |" in text


def test_scenario_library_lists_every_scenario() -> None:
    guide = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    missing = [p.name for p in sorted((ROOT / "scenarios").glob("*.yaml"))
               if f"`{p.name}`" not in guide]
    assert not missing, f"docs/scenarios.md's library table misses {missing}"
