"""Bargaining solutions and outcome measures on finite deal sets.

All functions take utility points as an ``(n_deals, n_parties)`` array (see
:func:`~diplosim.negotiation.utilities.utility_matrix`) and work by vectorised NumPy. On a
fully discrete outcome space they are exact; on continuous issues they are exact on the grid of
deals the caller passes (finer grids approach the continuous solution).

- Pareto frontier: deals no other deal weakly improves for all and strictly for one.
- Nash (1950): the individually rational deal maximising ``prod_i (u_i - d_i)``.
- Kalai & Smorodinsky (1975): the Pareto deal where every party's gain over disagreement is the
  same fraction of its ideal gain ``I_i - d_i`` (``I_i``: the best utility ``i`` can get in an
  individually rational deal). On a finite set this is the deal maximising
  ``min_i (u_i - d_i) / (I_i - d_i)``, ties broken by the Nash product.
- Social welfare: ``sum_i u_i`` (utilitarian).
- Distances (Euclidean, in utility space) of an agreement to the Nash point and to the nearest
  Pareto deal, as used by the automated-negotiation community (GENIUS/ANAC: Baarslag et al. 2013;
  NegMAS: Mohammad et al. 2021).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from diplosim.negotiation.issues import FloatArray

TOL = 1e-12


@dataclass(frozen=True)
class BargainingSolution:
    """A solution point: the deal's row in the deal set and its utilities."""

    index: int
    utilities: tuple[float, ...]
    value: float  # Nash product or Kalai-Smorodinsky ratio, as applicable


def _points(points: ArrayLike) -> FloatArray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError("utility points must be a non-empty (n_deals, n_parties) array")
    return p


def _disagreement(d: ArrayLike, n: int) -> FloatArray:
    out = np.asarray(d, dtype=np.float64).reshape(-1)
    if out.shape != (n,):
        raise ValueError(f"disagreement point must have {n} entries")
    return out


def individually_rational(points: ArrayLike, disagreement: ArrayLike) -> NDArray[np.bool_]:
    """Mask of deals every party weakly prefers to disagreement."""
    p = _points(points)
    return np.all(p >= _disagreement(disagreement, p.shape[1]) - TOL, axis=1)


def pareto_frontier(points: ArrayLike) -> NDArray[np.intp]:
    """Indices of the Pareto-optimal deals (maximisation), sorted by party 0's utility, highest
    first. Deals with identical utility vectors are all kept."""
    p = _points(points)
    n, m = p.shape
    order = np.lexsort(tuple(-p[:, j] for j in reversed(range(m))))
    if m == 2:
        # Sorted by u0 desc then u1 desc: a deal is optimal iff its u1 beats every earlier u1
        # among deals with strictly higher u0 (or ties the best with equal u0).
        keep: list[int] = []
        best = -np.inf
        i = 0
        while i < n:
            j = i
            u0 = p[order[i], 0]
            while j < n and p[order[j], 0] == u0:
                j += 1
            top = p[order[i], 1]
            if top > best:
                keep.extend(int(order[t]) for t in range(i, j) if p[order[t], 1] == top)
                best = top
            i = j
        return np.asarray(keep, dtype=np.intp)
    dominated = np.zeros(n, dtype=bool)
    for start in range(0, n, 512):
        block = p[start : start + 512]
        ge = np.all(p[None, :, :] >= block[:, None, :], axis=2)
        gt = np.any(p[None, :, :] > block[:, None, :], axis=2)
        dominated[start : start + 512] = np.any(ge & gt, axis=1)
    return np.asarray([int(i) for i in order if not dominated[i]], dtype=np.intp)


def nash_point(points: ArrayLike, disagreement: ArrayLike) -> BargainingSolution | None:
    """The Nash bargaining solution on a finite deal set (Nash 1950, *Econometrica* 18(2)).

    Maximises ``prod_i (u_i - d_i)`` over individually rational deals; ties go to the lowest
    index. ``None`` if no deal is individually rational.
    """
    p = _points(points)
    d = _disagreement(disagreement, p.shape[1])
    ok = individually_rational(p, d)
    if not ok.any():
        return None
    prod = np.prod(np.clip(p - d, 0.0, None), axis=1)
    prod[~ok] = -np.inf
    i = int(np.argmax(prod))
    return BargainingSolution(i, tuple(float(v) for v in p[i]), float(prod[i]))


def nash_product(utilities: ArrayLike, disagreement: ArrayLike) -> FloatArray:
    """``prod_i (u_i - d_i)`` of each row (negative gains are kept, not clipped)."""
    p = np.atleast_2d(np.asarray(utilities, dtype=np.float64))
    return np.asarray(np.prod(p - _disagreement(disagreement, p.shape[1]), axis=1))


def ideal_point(points: ArrayLike, disagreement: ArrayLike) -> FloatArray:
    """Each party's best utility over individually rational deals (the utopia point)."""
    p = _points(points)
    ok = individually_rational(p, disagreement)
    if not ok.any():
        raise ValueError("no deal is individually rational")
    return np.asarray(p[ok].max(axis=0))


def kalai_smorodinsky_point(
    points: ArrayLike, disagreement: ArrayLike
) -> BargainingSolution | None:
    """The Kalai–Smorodinsky solution on a finite deal set (Kalai & Smorodinsky 1975,
    *Econometrica* 43(3)): the Pareto deal maximising ``min_i (u_i - d_i) / (I_i - d_i)``.

    On a continuous frontier this is where all gain ratios are equal. Ties go to the larger Nash
    product, then the lowest index. ``None`` if no deal is individually rational.
    """
    p = _points(points)
    d = _disagreement(disagreement, p.shape[1])
    ok = individually_rational(p, d)
    if not ok.any():
        return None
    ideal = p[ok].max(axis=0)
    span = np.where(ideal - d > 0, ideal - d, 1.0)
    ratio = np.min((p - d) / span, axis=1)
    ratio[~ok] = -np.inf
    best = ratio.max()
    tied = np.flatnonzero(ratio >= best - TOL)
    prod = np.prod(p[tied] - d, axis=1)
    i = int(tied[int(np.argmax(prod))])
    return BargainingSolution(i, tuple(float(v) for v in p[i]), float(ratio[i]))


def social_welfare(utilities: ArrayLike) -> float:
    """Utilitarian social welfare ``sum_i u_i``."""
    return float(np.sum(np.asarray(utilities, dtype=np.float64)))


def distance(a: ArrayLike, b: ArrayLike) -> float:
    """Euclidean distance between two utility vectors."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def distance_to_pareto(
    utilities: ArrayLike, frontier: ArrayLike, *, interpolate: bool = False
) -> float:
    """Euclidean distance from a utility vector to the Pareto frontier.

    ``frontier`` holds the utilities of the Pareto-optimal deals. By default the distance is to
    the nearest of them (exact on discrete deal sets). With ``interpolate`` (two parties,
    continuous issues) it is to the polyline through them sorted by party 0's utility, which
    removes the grid's error where the true frontier is piecewise linear (e.g. a unit pie).
    """
    f = _points(frontier)
    u = np.asarray(utilities, dtype=np.float64)
    nearest = float(np.min(np.linalg.norm(f - u, axis=1)))
    if not interpolate or f.shape[1] != 2 or len(f) < 2:
        return nearest
    f = f[np.argsort(-f[:, 0], kind="stable")]
    a, b = f[:-1], f[1:]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    safe = np.where(length2 > 0, length2, 1.0)
    t = np.clip(np.einsum("ij,ij->i", u - a, ab) / safe, 0.0, 1.0)
    proj = a + t[:, None] * ab
    return min(nearest, float(np.min(np.linalg.norm(proj - u, axis=1))))


class _HasOutcome(Protocol):
    @property
    def agreed(self) -> bool: ...

    @property
    def rounds(self) -> int: ...


def agreement_rate(results: Iterable[_HasOutcome]) -> float:
    """Fraction of sessions that ended in agreement (NaN for no sessions)."""
    flags = [r.agreed for r in results]
    return float(np.mean(flags)) if flags else float("nan")


def mean_rounds_to_agreement(results: Iterable[_HasOutcome]) -> float:
    """Mean number of rounds of the sessions that agreed (NaN if none did)."""
    rounds = [r.rounds for r in results if r.agreed]
    return float(np.mean(rounds)) if rounds else float("nan")
