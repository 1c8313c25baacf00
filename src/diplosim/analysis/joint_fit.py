"""One model for every case: the shared parameter set fitted to the real cases and the record.

The parameters are values of a shared parameter set (:mod:`diplosim.scenario.shared`), named by
dotted paths with the prefix ``parameters.``; every real case that names the set, and the rupture
template, take them at once. One ABC-SMC simulation (:class:`JointModel`) runs, for a proposed
set, ``reps`` replications of each case (in one batch per case) and ``episodes`` rupture episodes,
and returns one discrepancy per case (:func:`diplosim.analysis.cases.case_distance`) and one for
the record (:func:`diplosim.analysis.episodes.distance`, the largest Kaplan–Meier gap plus the
differences of the shares restored and with an interests section). The distance of a simulation
to the record is the mean of these discrepancies: each case and the record weigh the same.

The record's template is ``us_ruptures_calibrated`` with its shared values taken from the set: it
keeps what the rupture fit found of the population of partner states (the baselines' mean and
concentration, the rate of regime change, converted to a year, and the reopening thresholds).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diplosim.analysis import episodes as ep
from diplosim.analysis.abc_fit import Prior, _path, simulate_episodes
from diplosim.analysis.cases import BY_NAME, Case, CaseRuns, case_distance, summarise
from diplosim.io import examples
from diplosim.io.errors import InputError
from diplosim.io.yamlio import read_yaml
from diplosim.results.replicate import replication_seeds
from diplosim.results.tables import simulate_many
from diplosim.scenario import Scenario, scenario_from_dict
from diplosim.scenario.rates import YEARS_PER_STEP
from diplosim.scenario.shared import PREFIX, SHARED_PATHS

RECORD_TEMPLATE = "us_ruptures_calibrated"

#: The default priors of the joint fit: per-year rates on log scales around the pooled set
#: (the eight cases' own values converted to a year), and the two ripeness thresholds.
JOINT_PRIORS: tuple[Prior, ...] = (
    Prior(PREFIX + "tension.drift", 0.05, 5.0, "loguniform", label="drift / year"),
    Prior(PREFIX + "tension.noise", 0.01, 0.4, "loguniform", label="tension noise / sqrt year"),
    Prior(PREFIX + "tension.deescalation", 0.05, 5.0, "loguniform",
          label="de-escalation / year"),
    Prior(PREFIX + "tension.misperception.learning", 0.1, 30.0, "loguniform",
          label="learning / year"),
    Prior(PREFIX + "tension.misperception.transfer", 0.1, 30.0, "loguniform",
          label="transfer / year"),
    Prior(PREFIX + "negotiation.ripeness.way_out", 0.2, 0.8, label="ripeness: way out"),
)


def record_document(set_name: str) -> dict[str, Any]:
    """The rupture template with its shared values taken from the set ``set_name``."""
    doc: dict[str, Any] = copy.deepcopy(dict(read_yaml(examples.path(RECORD_TEMPLATE)).data))
    years = YEARS_PER_STEP[doc["time_unit"]]
    tension = doc.setdefault("tension", {})
    for path in SHARED_PATHS:
        section, *rest = path.split(".")
        cur = doc.get(section)
        for part in rest[:-1]:
            cur = cur.get(part) if isinstance(cur, dict) else None
        if isinstance(cur, dict):
            cur.pop(rest[-1], None)
    # the template's regime change is a probability per month: the same hazard per year
    tension["regime_change"] = -math.expm1(math.log1p(-tension.get("regime_change", 0.0))
                                           / years)
    doc["name"] = f"{RECORD_TEMPLATE}_shared"
    doc["parameters"] = set_name
    doc["case_specific"] = {"events.0.magnitude": "each episode begins at the break: tension "
                            "is raised to its maximum, not by the size of a kind of event"}
    doc.pop("rates", None)
    return doc


@dataclass
class JointModel:
    """One ABC simulation of the joint fit (picklable: sent to worker processes)."""

    set_name: str
    cases: tuple[str, ...]
    reps: int
    follow_up: np.ndarray | None = None  # the record's episodes' follow-up (None: no record)
    observed: Mapping[str, object] | None = None  # the record's summary
    episodes: int = 200
    targets: Mapping[str, Case] | None = None  # what each case is compared with (default: the
    # record, diplosim.analysis.cases.CASES; synthetic targets in the recovery test)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def base(self, name: str) -> Scenario:
        if name not in self._cache:
            if name == "record":
                self._cache[name] = scenario_from_dict(record_document(self.set_name),
                                                       source=f"{RECORD_TEMPLATE} (shared)")
            else:  # the case's facts, with this fit's set
                path = examples.path(name)
                doc = dict(read_yaml(path).data)
                doc["parameters"] = self.set_name
                self._cache[name] = scenario_from_dict(doc, source=str(path))
        scenario: Scenario = self._cache[name]
        return scenario

    def scenario(self, name: str, params: Mapping[str, float]) -> Scenario:
        return self.base(name).with_overrides({_path(k): float(v) for k, v in params.items()})

    def target(self, name: str) -> Case:
        return (self.targets or BY_NAME)[name]

    def simulate_case(self, name: str, params: Mapping[str, float],
                      seeds: Sequence[Any]) -> CaseRuns:
        scenario = self.scenario(name, params)
        return summarise(self.target(name), simulate_many(scenario, list(seeds)))

    def discrepancies(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        seeds = replication_seeds(seed, self.reps * len(self.cases) + 1)
        out: dict[str, float] = {}
        for k, name in enumerate(self.cases):
            runs = self.simulate_case(name, params, seeds[k * self.reps:(k + 1) * self.reps])
            start = self.base(name).spec.start
            assert start is not None
            out[name] = case_distance(self.target(name), start, runs)
        if self.observed is not None and self.follow_up is not None:
            record = simulate_episodes(self.scenario("record", params), self.episodes,
                                       int(seeds[-1].generate_state(1)[0]), self.follow_up)
            out["record"] = ep.distance(dict(record.summary()), dict(self.observed))
        return out

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 - pyabc's global stream
        try:
            return self.discrepancies(params, seed)
        except InputError:  # a proposal the schema refuses: as far from the record as can be
            return dict.fromkeys((*self.cases, "record"), math.inf)

    def zero(self) -> dict[str, float]:
        """The observed "summary": every discrepancy 0."""
        keys = (*self.cases, *(("record",) if self.observed is not None else ()))
        return dict.fromkeys(keys, 0.0)


def joint_distance(x: Mapping[str, float], y: Mapping[str, float]) -> float:
    """The mean discrepancy (``y`` is the record's: all zero)."""
    return float(np.mean([abs(float(x[k]) - float(y[k])) for k in y]))


def predict(model: JointModel, name: str, posterior: Any, *, draws: int,
            seed: int) -> CaseRuns:
    """One replication of case ``name`` under each of ``draws`` parameter sets drawn (by weight)
    from ``posterior`` (one column per fitted path, and ``weight``)."""
    rng = np.random.default_rng(seed)
    w = posterior["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(posterior), size=draws, p=w / w.sum())
    paths = [c for c in posterior.columns if c != "weight"]
    seeds = replication_seeds(seed, draws)
    first, connected, span = [], [], 0.0
    for i, row in enumerate(rows):
        params = {p: float(posterior.iloc[row][p]) for p in paths}
        runs = model.simulate_case(name, params, [seeds[i]])
        first.append(runs.first_agreement[0])
        connected.append(runs.connected[0])
        span = runs.span
    return CaseRuns(np.array(first), np.array(connected).reshape(draws, -1), span)
