"""Designs: the table of points (one row per point, one column per parameter) and run seeds.

Latin hypercube and Sobol points use the root seed, so the same experiment gives the same points.
Sobol (Saltelli) and Morris samples come from SALib; their rows are kept in SALib's order, which
its analysers need. Non-uniform real parameters are sampled on the unit interval and mapped through
the distribution's inverse CDF (truncated to the bounds).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diplosim.experiment.spec import DesignKind, ExperimentSpec, ParameterSpec, ParameterType
from diplosim.io.errors import InputError, Problem
from diplosim.io.extras import require


@dataclass(frozen=True)
class Design:
    """Points of an experiment; ``problem`` is the SALib problem for Sobol and Morris designs."""

    kind: DesignKind
    points: pd.DataFrame  # index: point_id; columns: parameter columns
    parameters: tuple[ParameterSpec, ...]
    problem: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    def overrides(self, point_id: int) -> dict[str, Any]:
        """The scenario overrides (dotted path → value) of one point."""
        row = self.points.iloc[point_id]
        return {p.path: _native(row[p.column]) for p in self.parameters}


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def run_seed(root: int, point_id: int, replication: int) -> np.random.SeedSequence:
    """The seed of one run: ``SeedSequence(root).spawn(...)[point_id].spawn(...)[replication]``."""
    return np.random.SeedSequence(root, spawn_key=(point_id, replication))


def build_design(spec: ExperimentSpec, source: str = "<experiment>",
                 lines: dict[str, int] | None = None) -> Design:
    """The parameter points of an experiment: its grid, sample (Latin hypercube, Sobol,
    Morris) or listed points, in a fixed order; problems are located in ``source``
    (``lines`` maps field paths to lines)."""
    params = tuple(spec.parameters)
    kind = spec.design.kind
    problem = None
    if kind is DesignKind.GRID:
        axes = [_grid_values(p) for p in params]
        rows = list(itertools.product(*axes))
        frame = pd.DataFrame(rows, columns=[p.column for p in params])
    elif kind is DesignKind.LIST:
        frame = _list_points(spec, source, lines or {})
    elif kind is DesignKind.LHS:
        assert isinstance(spec.design.points, int)
        from scipy.stats import qmc  # scipy.stats costs ~0.5 s to import: only where it is used

        unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(spec.seed)).random(
            spec.design.points)
        frame = _from_unit(params, unit)
    else:
        problem = {
            "num_vars": len(params),
            "names": [p.column for p in params],
            "bounds": [[p.low, p.high] for p in params],
        }
        assert isinstance(spec.design.points, int)
        unit_problem = {**problem, "bounds": [[0.0, 1.0]] * len(params)}
        require("sensitivity", f"a {kind.value} design")
        if kind is DesignKind.SOBOL:
            from SALib.sample import sobol as sobol_sample

            unit = sobol_sample.sample(unit_problem, spec.design.points,
                                       calc_second_order=spec.design.second_order,
                                       seed=spec.seed)
        else:
            from SALib.sample import morris as morris_sample

            unit = morris_sample.sample(unit_problem, spec.design.points,
                                        num_levels=spec.design.levels, seed=spec.seed)
        frame = _from_unit(params, np.asarray(unit, dtype=float))
    frame.index.name = "point_id"
    frame = frame.reset_index(drop=True)
    frame.index.name = "point_id"
    info = {"second_order": spec.design.second_order, "levels": spec.design.levels}
    return Design(kind=kind, points=frame, parameters=params, problem=problem, info=info)


def _grid_values(p: ParameterSpec) -> list[Any]:
    if p.values is not None:
        return list(p.values)
    assert p.levels is not None
    assert p.low is not None
    assert p.high is not None
    values = np.linspace(p.low, p.high, p.levels)
    if p.type is ParameterType.INTEGER:
        return sorted({round(v) for v in values})
    return [float(v) for v in values]


def _from_unit(params: tuple[ParameterSpec, ...], unit: np.ndarray) -> pd.DataFrame:
    """Map points of the unit cube to parameter values."""
    unit = np.clip(unit, 0.0, np.nextafter(1.0, 0.0))
    columns: dict[str, Any] = {}
    for j, p in enumerate(params):
        u = unit[:, j]
        if p.type is ParameterType.CATEGORICAL:
            assert p.values is not None
            idx = np.floor(u * len(p.values)).astype(int)
            columns[p.column] = [p.values[i] for i in idx]
            continue
        assert p.low is not None
        assert p.high is not None
        if p.type is ParameterType.INTEGER:
            columns[p.column] = (p.low + np.floor(u * (p.high - p.low + 1))).astype(np.int64)
            continue
        columns[p.column] = _real(p, u)
    return pd.DataFrame(columns)


def _real(p: ParameterSpec, u: np.ndarray) -> np.ndarray:
    assert p.low is not None
    assert p.high is not None
    d = p.distribution
    if d is None or d.kind == "uniform":
        return p.low + u * (p.high - p.low)
    from scipy import stats

    if d.kind == "normal":
        assert d.mean is not None
        assert d.sd is not None
        a, b = (p.low - d.mean) / d.sd, (p.high - d.mean) / d.sd
        return np.asarray(stats.truncnorm.ppf(u, a, b, loc=d.mean, scale=d.sd), dtype=float)
    assert d.mode is not None
    c = (d.mode - p.low) / (p.high - p.low)
    return np.asarray(stats.triang.ppf(u, c, loc=p.low, scale=p.high - p.low), dtype=float)


def _list_points(spec: ExperimentSpec, source: str, lines: dict[str, int]) -> pd.DataFrame:
    assert isinstance(spec.design.points, list)
    by_key = {**{p.path: p for p in spec.parameters}, **{p.column: p for p in spec.parameters}}
    rows = []
    for i, point in enumerate(spec.design.points):
        where = f"design.points.{i}"
        row: dict[str, Any] = {}
        for key, value in point.items():
            p = by_key.get(key)
            if p is None:
                raise InputError([Problem("not a parameter of this experiment", path=where,
                                          value=key, has_value=True, line=lines.get(where),
                                          allowed=", ".join(q.path for q in spec.parameters))],
                                 source=source)
            row[p.column] = value
        missing = [p.path for p in spec.parameters if p.column not in row]
        if missing:
            raise InputError([Problem(f"point gives no value for {missing[0]}", path=where,
                                      line=lines.get(where),
                                      allowed="one value for every parameter")], source=source)
        rows.append(row)
    return pd.DataFrame(rows, columns=[p.column for p in spec.parameters])
