"""Scenario files: schema, loading, validation, compilation to arrays."""

from diplosim.scenario.loader import (
    Scenario,
    load_scenario,
    scenario_from_dict,
    scenario_from_text,
    scenario_json_schema,
)
from diplosim.scenario.schema import ScenarioSpec

__all__ = [
    "Scenario",
    "ScenarioSpec",
    "load_scenario",
    "scenario_from_dict",
    "scenario_from_text",
    "scenario_json_schema",
]
