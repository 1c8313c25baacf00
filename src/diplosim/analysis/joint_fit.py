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
from diplosim.analysis.abc_fit import Prior, _path, simulate_episodes_many
from diplosim.analysis.cases import BY_NAME, Case, CaseRuns, case_distance, summarise_runs
from diplosim.io import examples
from diplosim.io.errors import InputError
from diplosim.io.yamlio import read_yaml
from diplosim.results.replicate import replication_seeds
from diplosim.results.tables import run_batches
from diplosim.scenario import Scenario, scenario_from_dict
from diplosim.scenario.rates import YEARS_PER_STEP
from diplosim.scenario.shared import PREFIX, SHARED_PATHS
from diplosim.scenario.variants import Variants

RECORD_TEMPLATE = "us_ruptures_calibrated"
FIT_BATCH = 1024  # replications a fit steps together (fewer where their records are large)

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


#: The competing structures of docs/validity.md: the set's values each one fixes (the set's
#: ``structure`` section), and the sizes it fits besides :data:`JOINT_PRIORS`.
STRUCTURES: dict[str, dict[str, float]] = {
    "today": {PREFIX + "structure.mandates": 0.0, PREFIX + "structure.political_changes": 0.0},
    "mandates": {PREFIX + "structure.mandates": 1.0,
                 PREFIX + "structure.political_changes": 0.0},
    "political_changes": {PREFIX + "structure.mandates": 0.0,
                          PREFIX + "structure.political_changes": 1.0},
    "staged": {PREFIX + "structure.mandates": 0.0, PREFIX + "structure.political_changes": 0.0,
               PREFIX + "structure.staged": 1.0},
    "red_lines": {PREFIX + "structure.mandates": 1.0,
                  PREFIX + "structure.political_changes": 0.0,
                  PREFIX + "structure.red_lines": 1.0},
}
STRUCTURE_PRIORS: dict[str, tuple[Prior, ...]] = {
    "political_changes": tuple(
        Prior(PREFIX + f"politics.{kind}", -0.4, 0.4, label=f"{kind.replace('_', ' ')}")
        for kind in ("conciliatory_leader", "hardline_leader", "patron_withdraws",
                     "war_abroad_ends")),
    "staged": (Prior(PREFIX + "stages.rate", 0.1, 20.0, "loguniform", label="stage rate / year"),),
    # docs/validity.md, "Talks that can fail": priors fixed from their meaning before any run
    "red_lines": (
        Prior(PREFIX + "red_lines.relaxation", 0.01, 1.0, "loguniform",
              label="red-line relaxation / year of hurting"),
        Prior(PREFIX + "red_lines.leader_step", 0.0, 0.5, label="red lines: leader step"),
        Prior(PREFIX + "red_lines.ratifier_margin", 0.0, 0.3, label="ratifier margin")),
}


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
    population = ("the record's population of partner states (what the rupture fit found), "
                  "not a case")
    for path in ("states", "actors", "tension.initial", "tension.baseline",
                 "tension.misperception.initial"):
        section, *rest = path.split(".")
        cur = doc.get(section)
        for part in rest:
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is not None:
            doc["case_specific"][path] = population
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
    fixed: Mapping[str, float] = field(default_factory=dict)  # values every simulation takes
    # besides the fitted ones (a structure: STRUCTURES)
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
        """The case ``name`` under the structure's values and ``params``: the case compiled
        once with the structure's values, each set's values put into it
        (:class:`~diplosim.scenario.variants.Variants`: the same scenario as building it anew,
        checked on the case's first set)."""
        key = f"{name}#variants"
        if key not in self._cache:
            fixed = {_path(k): float(v) for k, v in self.fixed.items()}
            self._cache[key] = Variants(self.base(name).with_overrides(fixed))
        variants: Variants = self._cache[key]
        return variants.variant({_path(k): float(v) for k, v in params.items()})

    def target(self, name: str) -> Case:
        return (self.targets or BY_NAME)[name]

    def simulate_case(self, name: str, params: Mapping[str, float],
                      seeds: Sequence[Any]) -> CaseRuns:
        return self.simulate_cases(name, [params], [list(seeds)])[0]

    def simulate_cases(self, name: str, params: Sequence[Mapping[str, float]],
                       seeds: Sequence[Sequence[Any]],
                       scenarios: Sequence[Scenario] | None = None) -> list[CaseRuns]:
        """Case ``name`` under each parameter set (``seeds[k]``: set k's replications), every
        set's replications on one batch axis (:func:`~diplosim.results.tables.run_batches`),
        summarised from the batch's arrays without tables. ``scenarios``: the sets' scenarios
        of the case, if already built."""
        if scenarios is None:
            scenarios = [self.scenario(name, p) for p in params]
        variants = [s for s, own in zip(scenarios, seeds, strict=True) for _ in own]
        flat = [seed for own in seeds for seed in own]
        target = self.target(name)
        first = np.full(len(flat), np.nan)
        connected = np.zeros((len(flat), len(target.windows)))
        span = 0.0
        # summarised as they run; lean: the targets read connected and the talks' records only
        for chunk, batch in run_batches(scenarios[0], flat, variants, lean=True,
                                        most=FIT_BATCH):
            runs = summarise_runs(target, [batch.replication(r) for r in range(len(chunk))])
            first[chunk], connected[chunk], span = runs.first_agreement, runs.connected, runs.span
        out, at = [], 0
        for own in seeds:
            part = slice(at, at + len(own))
            out.append(CaseRuns(first[part], connected[part], span))
            at += len(own)
        return out

    def discrepancies(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        return self.discrepancies_many([params], [seed])[0]

    def discrepancies_many(self, params: Sequence[Mapping[str, float]],
                           seeds: Sequence[int]) -> list[dict[str, float]]:
        """One simulation per parameter set (set k with root seed ``seeds[k]``), the sets on
        the batch axis case by case: entry k equals what set k alone gives with its seed. A
        set the schema refuses is as far from the record as can be (every discrepancy inf)."""
        out: list[dict[str, float]] = [{} for _ in params]
        valid = []
        built: dict[int, dict[str, Scenario]] = {}  # each set's scenarios, built once
        for k, p in enumerate(params):
            try:
                built[k] = {name: self.scenario(name, p) for name in (
                    *self.cases, *(("record",) if self.observed is not None else ()))}
                valid.append(k)
            except InputError:
                out[k] = dict.fromkeys((*self.cases, "record"), math.inf)
        if not valid:
            return out
        streams = {k: replication_seeds(seeds[k], self.reps * len(self.cases) + 1)
                   for k in valid}
        for i, name in enumerate(self.cases):
            start = self.base(name).spec.start
            assert start is not None
            runs = self.simulate_cases(
                name, [params[k] for k in valid],
                [streams[k][i * self.reps:(i + 1) * self.reps] for k in valid],
                [built[k][name] for k in valid])
            for k, r in zip(valid, runs, strict=True):
                out[k][name] = case_distance(self.target(name), start, r)
        if self.observed is not None and self.follow_up is not None:
            records = simulate_episodes_many(
                [built[k]["record"] for k in valid], self.episodes,
                [int(streams[k][-1].generate_state(1)[0]) for k in valid], self.follow_up)
            for k, record in zip(valid, records, strict=True):
                out[k]["record"] = ep.distance(dict(record.summary()), dict(self.observed))
        return out

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """One simulation, seeded from NumPy's global stream (pyabc's). The fit itself runs
        rounds of proposals at once (:class:`diplosim.analysis.abc_fit.Batched`)."""
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 - pyabc's global stream
        return self.discrepancies(params, seed)

    def __getstate__(self) -> dict[str, Any]:
        """Sent to workers without the scenarios it has built (they build their own)."""
        return {**self.__dict__, "_cache": {}}

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
    params = [{p: float(posterior.iloc[row][p]) for p in paths} for row in rows]
    runs = model.simulate_cases(name, params, [[s] for s in seeds])  # the draws on one axis
    return CaseRuns(np.array([r.first_agreement[0] for r in runs]),
                    np.array([r.connected[0] for r in runs]).reshape(draws, -1),
                    runs[0].span if runs else 0.0)
