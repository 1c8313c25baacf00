"""Proper scores of forecasts of a case's first agreement, and forecasts that use no model
(docs/validity.md, the rules of the held-out study).

A forecast of a case of span ``S`` years is a distribution over the first agreement's time in
``[0, S]`` or *none* (no agreement within the span). It is held as weighted atoms
(:class:`Forecast`: an ensemble of replications, or the lag reference) or as the uniform
reference; ``F(x)`` is the probability of an agreement by ``x``, and ``1 - F(S)`` that of none.

- :func:`crps` — the continuous ranked probability score on the span, in units of the span:
  ``(1/S) ∫₀ˢ (F(x) - 1{y ≤ x})² dx`` (none: the indicator is 0 throughout), the
  threshold-weighted CRPS of Gneiting & Ranjan (2011), proper for an outcome censored at the end.
- :func:`log_score` — ``-ln p`` of the outcome's period (20 equal periods and none), the
  forecast mixed with 1% of the uniform over the 21 (a floor).
- :func:`interval` — the 90% central interval, and whether an outcome falls in it.
- :func:`uniform_reference`, :func:`lag_reference` — references (a) and (b).
- :func:`skill` — ``1 - mean score / mean reference score`` with a bootstrap interval over cases.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
PERIODS = 20
FLOOR = 0.01


@dataclass(frozen=True)
class Forecast:
    """Atoms at ``times`` (years from the case's start; NaN or beyond the span: none) with
    ``weights`` summing to 1, on a case of span ``span`` years; ``uniform`` (the uniform
    reference) adds ``1 - none`` spread evenly over the span instead of atoms."""

    span: float
    times: FloatArray
    weights: FloatArray
    uniform: float = 0.0  # probability spread uniformly over the span

    @classmethod
    def ensemble(cls, times: Sequence[float] | FloatArray, span: float) -> Forecast:
        """The empirical distribution of replications' first agreements (NaN: none)."""
        t = np.asarray(times, dtype=float)
        if t.size == 0:
            raise ValueError("a forecast needs at least one replication")
        if not span > 0:
            raise ValueError(f"the span must be positive, got {span}")
        return cls(span, t, np.full(t.size, 1.0 / t.size))

    @property
    def _within(self) -> NDArray[np.bool_]:
        return np.isfinite(self.times) & (self.times <= self.span) & (self.times >= 0)

    @property
    def none(self) -> float:
        """Probability of no agreement within the span."""
        return float(1.0 - self.uniform - self.weights[self._within].sum())

    def cdf(self, x: float | FloatArray) -> FloatArray:
        """``F(x)``: the probability of a first agreement by ``x`` (within the span)."""
        x = np.asarray(x, dtype=float)
        inside = self._within
        atoms = self.times[inside]
        w = self.weights[inside]
        order = np.argsort(atoms)
        cum = np.concatenate([[0.0], np.cumsum(w[order])])
        f = cum[np.searchsorted(atoms[order], x, side="right")]
        return np.asarray(f + self.uniform * np.clip(x / self.span, 0.0, 1.0), dtype=float)


def _outcome(y: float | None, span: float) -> float:
    """The outcome on the time line: none (or past the end) is +inf."""
    if y is None or not math.isfinite(y) or y > span:
        return math.inf
    if y < 0:
        raise ValueError(f"an outcome before the case's start: {y}")
    return float(y)


def crps(forecast: Forecast, y: float | None) -> float:
    """The CRPS on the span, in units of the span (see the module), computed exactly: between
    consecutive atoms and the outcome the atoms' part of ``F`` is constant and the uniform part
    linear, so each piece integrates in closed form."""
    s = forecast.span
    out = _outcome(y, s)
    inside = forecast._within
    cuts = np.unique(np.concatenate([[0.0, s], forecast.times[inside],
                                     [out] if out <= s else []]))
    total = 0.0
    c = forecast.uniform / s
    for a, b in itertools.pairwise(cuts):
        # on [a, b): F(x) = k + c x with k the atoms at or before a; H(x) = 1{x >= y}
        k = float(forecast.cdf(a)) - c * a
        h = 1.0 if out <= a else 0.0
        d0, d1 = k + c * a - h, k + c * b - h  # F - H at the two ends (linear between)
        total += (b - a) * (d0 * d0 + d0 * d1 + d1 * d1) / 3.0
    return total / s


def log_score(forecast: Forecast, y: float | None, periods: int = PERIODS,
              floor: float = FLOOR) -> float:
    """``-ln p``: ``p`` the forecast's probability of the outcome's period (``periods`` equal
    periods of the span, or none), mixed with ``floor`` of the uniform over the periods and
    none."""
    s = forecast.span
    out = _outcome(y, s)
    edges = np.linspace(0.0, s, periods + 1)
    if out > s:
        p = forecast.none
    else:
        k = min(int(np.searchsorted(edges, out, side="right")) - 1, periods - 1)
        lo = float(forecast.cdf(edges[k] - 1e-12)) if k > 0 else 0.0
        p = float(forecast.cdf(edges[k + 1] if k < periods - 1 else s)) - lo
    return -math.log((1.0 - floor) * max(p, 0.0) + floor / (periods + 1))


def interval(forecast: Forecast, level: float = 0.9) -> tuple[float, float]:
    """The central ``level`` interval (its quantiles; +inf for none, placed after the end)."""
    lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    return _quantile(forecast, lo_q), _quantile(forecast, hi_q)


def _quantile(forecast: Forecast, q: float) -> float:
    s = forecast.span
    if float(forecast.cdf(s)) < q - 1e-12:
        return math.inf
    grid = np.unique(np.concatenate([forecast.times[forecast._within], [0.0, s]]))
    f = forecast.cdf(grid)
    i = int(np.searchsorted(f, q - 1e-12))  # first grid point with F >= q
    if forecast.uniform == 0.0 or i == 0:
        return float(grid[min(i, len(grid) - 1)])
    # with a uniform part F is continuous between atoms: invert on the piece before grid[i]
    a = grid[i - 1]
    start = float(forecast.cdf(a))
    return float(a + (q - start) * s / forecast.uniform) if q > start else float(a)


def inside(forecast: Forecast, y: float | None, level: float = 0.9) -> bool:
    """Whether the outcome falls in the central interval (none: when its top is none)."""
    lo, hi = interval(forecast, level)
    out = _outcome(y, forecast.span)
    return bool(lo <= out <= hi)


def width(forecast: Forecast, level: float = 0.9) -> float:
    """The central interval's part within the span, in units of the span."""
    lo, hi = interval(forecast, level)
    s = forecast.span
    return max(0.0, min(hi, s) - min(lo, s)) / s


def uniform_reference(span: float, none: float) -> Forecast:
    """Reference (a): probability ``none`` of no agreement, else uniform over the span."""
    if not 0.0 <= none <= 1.0:
        raise ValueError(f"a probability of none in [0, 1], got {none}")
    return Forecast(span, np.zeros(0), np.zeros(0), uniform=1.0 - none)


def lag_reference(span: float, opening: float, lags: Sequence[float], none: float) -> Forecast:
    """Reference (b): probability ``none`` of no agreement, else the first official channel's
    ``opening`` plus one of the other cases' ``lags``, each equally likely (past the end of the
    span: none)."""
    if not 0.0 <= none <= 1.0:
        raise ValueError(f"a probability of none in [0, 1], got {none}")
    lag = np.asarray(lags, dtype=float)
    if lag.size == 0:
        return Forecast(span, np.array([np.nan]), np.array([1.0]))
    times = np.concatenate([opening + lag, [np.nan]])
    weights = np.concatenate([np.full(lag.size, (1.0 - none) / lag.size), [none]])
    return Forecast(span, times, weights)


@dataclass(frozen=True)
class Skill:
    """``1 - mean(scores) / mean(reference)`` over cases, with a bootstrap interval."""

    value: float
    low: float
    high: float
    cases: int


def skill(scores: Sequence[float] | FloatArray, reference: Sequence[float] | FloatArray,
          resamples: int = 10_000,
          level: float = 0.9, seed: int = 0) -> Skill:
    """Skill against a reference, and its ``level`` percentile interval from ``resamples``
    bootstrap resamples of the cases (the same resample for both)."""
    s = np.asarray(scores, dtype=float)
    r = np.asarray(reference, dtype=float)
    if s.shape != r.shape or s.size == 0:
        raise ValueError("one score and one reference score per case, at least one case")
    value = 1.0 - s.mean() / r.mean()
    idx = np.random.default_rng(seed).integers(0, s.size, size=(resamples, s.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = 1.0 - s[idx].mean(axis=1) / r[idx].mean(axis=1)
    boot = boot[np.isfinite(boot)]
    lo, hi = np.quantile(boot, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return Skill(float(value), float(lo), float(hi), int(s.size))
