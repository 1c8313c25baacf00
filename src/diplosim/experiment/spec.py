"""The experiment file format: what to vary, how to sample it, what to keep.

An experiment names a scenario file, parameters addressed by dotted paths into that scenario (the
same override mechanism as ``diplosim run --set``), a design, replications, a root seed and the
outcomes to record. Everything is checked before any run starts: the schema here, then
:func:`check_against_scenario`, which applies every design point's overrides to the scenario and
validates the result exactly as ``run --set`` would.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from diplosim.errors import InputError, Problem
from diplosim.scenario import Scenario, load_scenario
from diplosim.validation import validate_document
from diplosim.yamlio import Document, parse_yaml, read_yaml, require_mapping

Ident = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Scalar = float | int | str | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterType(StrEnum):
    REAL = "real"
    INTEGER = "integer"
    CATEGORICAL = "categorical"


class Distribution(Strict):
    """How a real parameter is sampled by the Latin hypercube and Sobol designs.

    ``uniform`` on [low, high] (the default); ``normal`` with ``mean`` and ``sd``, truncated to
    [low, high]; ``triangular`` with its ``mode`` in [low, high].
    """

    kind: Literal["uniform", "normal", "triangular"] = Field(
        "uniform", description="Shape of the distribution sampled between low and high.")
    mean: float | None = Field(None, description="normal: mean (default mid-range).")
    sd: Annotated[float, Field(gt=0)] | None = Field(None, description="normal: its s.d.")
    mode: float | None = Field(None, description="triangular: mode (default mid-range).")

    @model_validator(mode="after")
    def _fields(self) -> Distribution:
        if self.kind == "normal" and (self.mean is None or self.sd is None):
            raise ValueError("a normal distribution needs mean and sd")
        if self.kind == "triangular" and self.mode is None:
            raise ValueError("a triangular distribution needs mode")
        return self


class ParameterSpec(Strict):
    """One varied field of the scenario.

    ``real`` and ``integer`` parameters take ``low`` and ``high`` (and, for a grid, either explicit
    ``values`` or a number of ``levels`` evenly spread over the bounds); ``categorical`` parameters
    take ``values``.
    """

    path: str = Field(min_length=1, description="dotted path into the scenario document")
    name: Ident | None = Field(default=None, description="column name (default: derived from path)")
    type: ParameterType = Field(ParameterType.REAL, description="How values are drawn/rounded.")
    low: float | None = Field(None, description="Lower bound of a range.")
    high: float | None = Field(None, description="Upper bound of a range.")
    values: list[Scalar] | None = Field(default=None, min_length=1,
                                        description="Explicit values (grid).")
    levels: Annotated[int, Field(ge=2, le=1000)] | None = Field(
        None, description="Evenly spaced values from low to high (grid).")
    distribution: Distribution | None = Field(None, description="Sampling distribution.")

    @model_validator(mode="after")
    def _consistent(self) -> ParameterSpec:
        numeric = self.type is not ParameterType.CATEGORICAL
        if numeric and (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if numeric and self.low is not None and self.high is not None:
            if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
                raise ValueError(f"low must be below high (got low={self.low}, high={self.high})")
            if self.type is ParameterType.INTEGER and (self.low != int(self.low)
                                                       or self.high != int(self.high)):
                raise ValueError("an integer parameter needs whole-number bounds")
        if not numeric:
            if self.values is None:
                raise ValueError("a categorical parameter needs values")
            if self.low is not None or self.high is not None or self.levels is not None:
                raise ValueError("a categorical parameter takes values, not low/high/levels")
            if self.distribution is not None:
                raise ValueError("a categorical parameter takes no distribution")
        if self.levels is not None and self.values is not None:
            raise ValueError("give values or levels, not both")
        if self.levels is not None and self.low is None:
            raise ValueError("levels need low and high")
        if self.values is not None and numeric:
            for v in self.values:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise ValueError(f"value {v!r} is not a number")
                if self.type is ParameterType.INTEGER and v != int(v):
                    raise ValueError(f"value {v!r} is not a whole number")
        if self.distribution is not None:
            if self.type is not ParameterType.REAL:
                raise ValueError("only real parameters take a distribution")
            if self.low is None:
                raise ValueError("a distribution needs low and high (its truncation bounds)")
            d = self.distribution
            if d.kind == "triangular" and not (self.low <= (d.mode or 0.0) <= (self.high or 0.0)):
                raise ValueError("the mode must lie in [low, high]")
        return self

    @property
    def column(self) -> str:
        return self.name or self.path.replace(".", "_")

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None


class DesignKind(StrEnum):
    GRID = "grid"
    LIST = "list"
    LHS = "lhs"
    SOBOL = "sobol"
    MORRIS = "morris"


class DesignSpec(Strict):
    """How points are chosen.

    - ``grid``: the full factorial of each parameter's ``values`` (or ``levels``).
    - ``list``: the explicit ``points`` (each a mapping from parameter path or name to a value).
    - ``lhs``: ``points`` Latin-hypercube points over the bounds (scipy.stats.qmc).
    - ``sobol``: Saltelli's scheme for Sobol indices (SALib); ``points`` is the base sample N (a
      power of two); the design has N·(2D+2) points with ``second_order`` (else N·(D+2)).
    - ``morris``: ``points`` trajectories of D+1 points on a grid of ``levels`` levels (SALib).
    """

    kind: DesignKind = Field(description="grid, a sampled design, or explicit points.")
    points: Annotated[int, Field(ge=1, le=10_000_000)] | list[dict[str, Scalar]] | None = Field(
        None, description="Sample size (lhs, sobol base, morris trajectories) or the points.")
    second_order: bool = Field(True, description="sobol: also second-order indices.")
    levels: Annotated[int, Field(ge=2, le=100)] = Field(4, description="morris: grid levels.")

    @model_validator(mode="after")
    def _points(self) -> DesignSpec:
        if self.kind is DesignKind.LIST:
            if not isinstance(self.points, list) or not self.points:
                raise ValueError("a list design needs points: a list of {parameter: value}")
        elif self.kind is DesignKind.GRID:
            if self.points is not None:
                raise ValueError("a grid design takes no points (they come from values/levels)")
        else:
            if not isinstance(self.points, int):
                raise ValueError(f"a {self.kind.value} design needs points: a positive integer")
            if self.kind is DesignKind.SOBOL and self.points & (self.points - 1):
                raise ValueError(f"sobol needs points (N) to be a power of two, got {self.points}")
        return self


Aggregate = Literal["final", "mean", "max", "min", "first", "value"]
Comparison = Literal["<", "<=", ">", ">=", "==", "!="]


class Condition(Strict):
    op: Comparison = Field(description="Comparison with the value.")
    value: float = Field(description="Threshold.")


class OutcomeSpec(Strict):
    """One number per run.

    Per-step metrics (``tension``, ``misperception``, ``participant_misperception``,
    ``communication``, ``mission_closed``, ``connected``, ``redundancy``, ``open_channels``) are
    first averaged over the tracked dyads (or taken for one ``dyad``), then aggregated over steps:
    ``final``, ``mean``, ``max``, ``min``, or ``first`` (the first step at which ``when`` holds;
    NaN if never). Per-dyad summary metrics (``continuity_during_closure``, ``mean_redundancy``,
    ``first_agreement`` …) take ``aggregate: value`` (averaged over dyads, NaN-aware).
    """

    name: Ident = Field(description="Column name in the runs table.")
    metric: str = Field(description="A per-step or per-dyad summary metric (docs/sweeps.md).")
    aggregate: Aggregate = Field("final", description="How steps are reduced to one number.")
    when: Condition | None = Field(None, description="aggregate first: the condition.")
    dyad: Annotated[list[str], Field(min_length=2, max_length=2)] | None = Field(
        None, description="One dyad (default: the mean over tracked dyads).")

    @model_validator(mode="after")
    def _aggregate(self) -> OutcomeSpec:
        if (self.aggregate == "first") != (self.when is not None):
            raise ValueError("aggregate first needs a condition when: {op, value}, and only first "
                             "takes one")
        return self


class SeriesSpec(Strict):
    """Per-step series to keep (long table: run, step, metric, value), every ``every`` steps."""

    metrics: list[str] = Field(min_length=1, description="Per-step metrics to store.")
    every: Annotated[int, Field(ge=1)] = Field(1, description="Store every n-th step.")


class ExperimentSpec(Strict):
    """A research sweep over one scenario."""

    name: Ident = Field(description="Names the results folder.")
    description: str = Field("", description="What the experiment asks.")
    scenario: str = Field(description="scenario file, relative to the experiment file")
    parameters: list[ParameterSpec] = Field(min_length=1, description="Scenario fields varied.")
    design: DesignSpec = Field(description="How parameter points are chosen.")
    replications: Annotated[int, Field(ge=1, le=100_000)] = Field(
        1, description="Runs per point.")
    seed: Annotated[int, Field(ge=0)] = Field(0, description="Root seed of all runs.")
    steps: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="Run length (default: the scenario's).")
    outcomes: list[OutcomeSpec] = Field(min_length=1, description="One number each per run.")
    series: SeriesSpec | None = Field(None, description="Per-step series to store.")
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="runs per task (default: chosen from the run count)")

    @model_validator(mode="after")
    def _names(self) -> ExperimentSpec:
        cols = [p.column for p in self.parameters]
        dup = {c for c in cols if cols.count(c) > 1}
        if dup:
            raise ValueError(f"two parameters share the column name {sorted(dup)[0]!r}; "
                             "give one a name")
        paths = [p.path for p in self.parameters]
        if len(set(paths)) != len(paths):
            raise ValueError("a parameter path appears twice")
        names = [o.name for o in self.outcomes]
        if len(set(names)) != len(names):
            raise ValueError("two outcomes share a name")
        clash = set(names) & set(cols)
        if clash:
            raise ValueError(f"outcome name {sorted(clash)[0]!r} is also a parameter column")
        kind = self.design.kind
        for p in self.parameters:
            if kind is DesignKind.GRID and p.values is None and p.levels is None:
                raise ValueError(f"parameter {p.path}: a grid needs values or levels")
            if kind in (DesignKind.LHS, DesignKind.SOBOL, DesignKind.MORRIS):
                if p.type is not ParameterType.REAL and kind is not DesignKind.LHS:
                    raise ValueError(f"parameter {p.path}: {kind.value} designs need real "
                                     "parameters with low and high")
                if p.type is not ParameterType.CATEGORICAL and not p.bounded:
                    raise ValueError(f"parameter {p.path}: a {kind.value} design needs low and "
                                     "high")
            if kind is DesignKind.MORRIS and p.distribution is not None \
                    and p.distribution.kind != "uniform":
                raise ValueError(f"parameter {p.path}: Morris samples uniformly on its grid")
        return self


class Experiment:
    """A validated experiment with its scenario loaded and every point checked."""

    def __init__(self, spec: ExperimentSpec, document: Document, scenario: Scenario) -> None:
        self.spec = spec
        self.document = document
        self.scenario = scenario

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def steps(self) -> int:
        return self.spec.steps or self.scenario.steps


def load_experiment(path: str | Path, check: bool = True) -> Experiment:
    """Read and validate an experiment file, its scenario and (``check``) every design point."""
    return _experiment(read_yaml(path), Path(path).parent, check)


def experiment_from_text(text: str, source: str = "<string>", base_dir: str | Path = ".",
                         check: bool = True) -> Experiment:
    """An experiment from YAML text; the scenario path is relative to ``base_dir``.

    ``check=False`` skips validating the parameters against the scenario, for experiments run
    with a custom evaluator instead of the diplomacy model.
    """
    return _experiment(parse_yaml(text, source), Path(base_dir), check)


def _experiment(doc: Document, base_dir: Path, check: bool) -> Experiment:
    require_mapping(doc, "experiment")
    spec = validate_document(doc, ExperimentSpec)
    scenario_path = Path(spec.scenario)
    if not scenario_path.is_absolute():
        scenario_path = base_dir / scenario_path
    if not scenario_path.is_file():
        raise InputError([Problem("no such scenario file", path="scenario", value=spec.scenario,
                                  has_value=True, line=doc.line_of("scenario"),
                                  allowed="a path relative to the experiment file")],
                         source=doc.source)
    experiment = Experiment(spec, doc, load_scenario(scenario_path))
    if check:
        check_against_scenario(experiment)
    else:
        from diplosim.experiment.design import build_design

        build_design(spec, source=doc.source, lines=doc.lines)
    return experiment


def check_against_scenario(experiment: Experiment) -> None:
    """Apply each parameter's extreme values to the scenario and validate, before any run."""
    from diplosim.experiment.design import build_design

    spec, doc = experiment.spec, experiment.document
    design = build_design(spec, source=doc.source, lines=doc.lines)
    base = experiment.scenario
    if spec.steps is not None:
        base = _checked(experiment, base, {"steps": spec.steps}, "steps")
    for i, p in enumerate(spec.parameters):
        column = design.points[p.column]
        probes = sorted(set(column.tolist()), key=str)
        picks = probes if len(probes) <= 3 else [probes[0], probes[len(probes) // 2], probes[-1]]
        for value in picks:
            _checked(experiment, base, {p.path: value}, f"parameters.{i}.path")
    _check_metrics(experiment)
    for o in spec.outcomes:
        if o.dyad is not None:
            ids = [s.id for s in base.spec.states]
            for end in o.dyad:
                if end not in ids:
                    i = spec.outcomes.index(o)
                    raise InputError([Problem("unknown state", path=f"outcomes.{i}.dyad",
                                              value=end, has_value=True,
                                              line=doc.line_of(f"outcomes.{i}.dyad"),
                                              allowed=", ".join(ids))], source=doc.source)


def _check_metrics(experiment: Experiment) -> None:
    from diplosim.experiment.outcomes import STEP_METRICS, SUMMARY_METRICS

    spec, doc = experiment.spec, experiment.document
    allowed = ", ".join(sorted(STEP_METRICS | SUMMARY_METRICS))
    problems = []
    for i, o in enumerate(spec.outcomes):
        where = f"outcomes.{i}"
        if o.metric in STEP_METRICS and o.aggregate == "value":
            problems.append(Problem(f"{o.metric} is per step: aggregate final, mean, max, min or "
                                    "first", path=f"{where}.aggregate", value=o.aggregate,
                                    has_value=True, line=doc.line_of(f"{where}.aggregate")))
        elif o.metric in SUMMARY_METRICS and o.aggregate != "value":
            problems.append(Problem(f"{o.metric} is one value per dyad", path=f"{where}.aggregate",
                                    value=o.aggregate, has_value=True, allowed="value",
                                    line=doc.line_of(f"{where}.aggregate") or doc.line_of(where)))
        elif o.metric not in STEP_METRICS | SUMMARY_METRICS:
            problems.append(Problem("unknown metric", path=f"{where}.metric", value=o.metric,
                                    has_value=True, allowed=allowed,
                                    line=doc.line_of(f"{where}.metric")))
    if spec.series is not None:
        for j, m in enumerate(spec.series.metrics):
            if m not in STEP_METRICS:
                problems.append(Problem("unknown per-step metric", path=f"series.metrics.{j}",
                                        value=m, has_value=True,
                                        allowed=", ".join(sorted(STEP_METRICS)),
                                        line=doc.line_of(f"series.metrics.{j}")))
    if problems:
        raise InputError(problems, source=doc.source)


def _checked(experiment: Experiment, base: Scenario, override: dict[str, Any],
             where: str) -> Scenario:
    try:
        return base.with_overrides(override)
    except InputError as exc:
        detail = "; ".join(p.message + (f" at {p.path}" if p.path else "") for p in exc.problems)
        (path, value), = override.items()
        raise InputError([Problem(
            f"setting scenario field {path} = {value!r} fails: {detail}",
            path=where, value=path, has_value=True,
            line=experiment.document.line_of(where),
            allowed=f"a field of {base.source} that takes this value",
        )], source=experiment.source) from None
