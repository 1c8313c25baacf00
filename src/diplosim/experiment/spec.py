"""The experiment file format: what to vary, how to sample it, what to keep.

An experiment names a scenario file, parameters addressed by dotted paths into that scenario (the
same override mechanism as ``diplosim run --set``), a design, replications, a root seed and the
outcomes to record. Everything is checked before any run starts: the schema here, then
:func:`diplosim.experiment.loader.check_against_scenario`, which applies every design
point's overrides to the scenario and validates the result exactly as ``run --set`` would.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from diplosim.io.yamlio import Document
from diplosim.results.posterior import Posterior
from diplosim.scenario import Scenario

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
    posterior: str | None = Field(
        None, description="A fit's folder (diplosim calibrate --fit), relative to the experiment "
        "file: each run draws its own parameter set from the fit's posterior, seeded by the run; "
        "the design's parameters win where both name a path.")

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

    def __init__(self, spec: ExperimentSpec, document: Document, scenario: Scenario,
                 posterior: Posterior | None = None) -> None:
        self.spec = spec
        self.document = document
        self.scenario = scenario
        self.posterior = posterior

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def source(self) -> str:
        return self.document.source

    @property
    def steps(self) -> int:
        return self.spec.steps or self.scenario.steps
