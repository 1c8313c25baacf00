"""Sweep outcomes: the array-only summary equals the results tables' summary, and aggregations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from diplosim.engine.model import DiplomacyModel
from diplosim.experiment.outcomes import SUMMARY_METRICS, aggregate, summary_arrays
from diplosim.experiment.spec import OutcomeSpec
from diplosim.results.tables import summarize
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _pair(scenario_path: Path, seed: int, overrides: dict[str, object]
          ) -> tuple[DiplomacyModel, DiplomacyModel]:
    scenario = load_scenario(scenario_path).with_overrides(overrides)
    models = (DiplomacyModel(scenario, rng=seed, collect=False),
              DiplomacyModel(scenario, rng=seed, collect=False))
    for m in models:
        m.run()
    return models


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_summary_arrays_equal_the_summary_table_of_every_scenario(path: Path) -> None:
    for seed in (0, 1):
        a, b = _pair(path, seed, {})
        table, _ = summarize(a)
        fast = summary_arrays(b)
        assert set(fast) == SUMMARY_METRICS
        for metric in SUMMARY_METRICS:
            np.testing.assert_array_equal(table[metric].to_numpy(dtype=float), fast[metric],
                                          err_msg=f"{path.stem} seed {seed}: {metric}")


def test_summary_arrays_count_agreements_and_breakdowns_like_the_talks_table() -> None:
    # A high breakdown hazard: agreements are reached and then break down.
    overrides = {"negotiation.durability.base_hazard": 0.6}
    seen = 0.0
    for seed in range(4):
        a, b = _pair(ROOT / "scenarios" / "track2_transfer.yaml", seed, overrides)
        table, _ = summarize(a)
        fast = summary_arrays(b)
        for metric in ("talks", "agreements", "first_agreement", "agreement_breakdowns"):
            np.testing.assert_array_equal(table[metric].to_numpy(dtype=float), fast[metric])
        seen += float(np.nansum(fast["agreement_breakdowns"]))
    assert seen > 0, "the check needs runs in which an agreement broke down"


@pytest.mark.parametrize(("how", "when", "expected"), [
    ("final", None, 0.2), ("mean", None, 0.5), ("max", None, 0.9), ("min", None, 0.2),
    ("first", {"op": "<", "value": 0.5}, 1.0), ("first", {"op": ">=", "value": 0.9}, 3.0),
    ("first", {"op": ">", "value": 5.0}, float("nan")),
])
def test_aggregations_over_steps(how: str, when: dict[str, object] | None,
                                 expected: float) -> None:
    series = np.array([0.6, 0.3, np.nan, 0.9, 0.5, 0.2])
    spec = OutcomeSpec.model_validate({"name": "x", "metric": "tension", "aggregate": how,
                                       "when": when})
    np.testing.assert_allclose(aggregate(series, spec), expected)
