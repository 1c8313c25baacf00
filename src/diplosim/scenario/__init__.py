"""Scenario files: schema, loading, validation, calendars (``dates``), compilation to arrays.

May import ``negotiation`` (session plans) and ``io``; never the engine or anything above it.
"""

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
