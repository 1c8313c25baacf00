"""Linear-additive preferences with salience weights, ideal points, reservation values, discounting.

A party's utility for a deal ``x`` (Keeney & Raiffa 1976; Raiffa 1982, ch. 10)::

    u(x) = sum_k w_k * v_k(x_k),          sum_k w_k = 1,  w_k >= 0  (salience)

    v_k(x_k) = 1 - |x_k - a_k| / max(a_k - low_k, high_k - a_k)     (ideal point a_k)
    v_k(x_k) = s_k[x_k]                                              (explicit option scores)

so ``v_k`` is 1 at the ideal point and 0 at the farthest end of the issue, and ``u`` lies in
[0, 1] with 1 at the party's ideal deal. Discrete issues measure distance along the order of their
options, or take an explicit score in [0, 1] per option. The *reservation value* ``r`` is the
utility of no agreement (the disagreement point of Nash 1950, the BATNA of Fisher & Ury 1981).
A deal agreed at round ``t`` is worth ``delta**t * u(x)`` with discount factor ``delta``
(Rubinstein 1982); measures of a bargaining problem use the undiscounted ``u``.

A party's *red lines* (``limits``, one :class:`Limit` per bounded issue; docs/model.md 3.5c)
cut its acceptable set: a deal outside it is worth ``OUTSIDE`` (-1), below every reservation,
so the party neither accepts it nor, conceding from its best deal, offers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from diplosim.negotiation.issues import FloatArray, IssueKind, Label, OutcomeSpace

TOL = 1e-9  # a deal on a red line's bound is inside it


#: The utility of a deal outside a party's acceptable set (its red lines): below any reservation.
OUTSIDE = -1.0


@dataclass(frozen=True)
class Limit:
    """A red line on issue ``issue`` (its index), in internal coordinates: values below ``low``
    or above ``high`` (continuous issues) and the options ``excluded`` (discrete) are not
    acceptable."""

    issue: int
    low: float = -np.inf
    high: float = np.inf
    excluded: tuple[int, ...] = ()

    def accepts(self, x: FloatArray) -> NDArray[np.bool_]:
        """Which of the deals ``x`` (``(n_deals, n_issues)``) this line lets through."""
        v = x[:, self.issue]
        ok = (v >= self.low - TOL) & (v <= self.high + TOL)
        if self.excluded:
            ok &= ~np.isin(np.rint(v), self.excluded)
        return ok


@dataclass(frozen=True)
class LinearAdditiveUtility:
    """One party's preferences over an :class:`OutcomeSpace`.

    ``weights`` (normalised to sum 1), ``ideal`` (internal coordinates) and ``scores`` (``None`` or
    one score per option) have one entry per issue. Prefer :meth:`create`, which takes mappings by
    issue name and option label.
    """

    space: OutcomeSpace
    weights: tuple[float, ...]
    ideal: tuple[float, ...]
    scores: tuple[tuple[float, ...] | None, ...] = ()
    reservation: float = 0.0
    discount: float = 1.0
    limits: tuple[Limit, ...] = ()  # red lines: deals outside are worth OUTSIDE

    def __post_init__(self) -> None:
        k = len(self.space.issues)
        if len(self.weights) != k or len(self.ideal) != k:
            raise ValueError(f"need one weight and one ideal point per issue ({k})")
        if not self.scores:
            object.__setattr__(self, "scores", (None,) * k)
        if len(self.scores) != k:
            raise ValueError(f"need one scores entry (or None) per issue ({k})")
        w = np.asarray(self.weights, dtype=np.float64)
        if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum, got {self.weights}")
        object.__setattr__(self, "weights", tuple(float(v) for v in w / w.sum()))
        for issue, a, s in zip(self.space.issues, self.ideal, self.scores, strict=True):
            if not issue.low <= a <= issue.high:
                raise ValueError(f"ideal point {a} of {issue.name!r} is outside the issue")
            if s is not None:
                if issue.kind is not IssueKind.DISCRETE or len(s) != len(issue.options):
                    raise ValueError(f"scores of {issue.name!r} need one value per option")
                if not all(0.0 <= v <= 1.0 for v in s):
                    raise ValueError(f"scores of {issue.name!r} must lie in [0, 1]")
        if not 0.0 <= self.reservation < 1.0:
            raise ValueError(f"reservation must be in [0, 1), got {self.reservation}")
        if not 0.0 < self.discount <= 1.0:
            raise ValueError(f"discount must be in (0, 1], got {self.discount}")

    def with_reservation(self, reservation: float,
                         limits: tuple[Limit, ...] = ()) -> LinearAdditiveUtility:
        """``dataclasses.replace(self, reservation=reservation, limits=limits)``, the same
        numbers (the weights normalised once more, as ``__post_init__`` does), without checking
        again the fields this utility passed: the talks open sessions with it."""
        if not 0.0 <= reservation < 1.0:
            raise ValueError(f"reservation must be in [0, 1), got {reservation}")
        w = np.asarray(self.weights, dtype=np.float64)
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(weights=tuple(float(v) for v in w / w.sum()), reservation=reservation,
                      limits=limits)
        out = object.__new__(LinearAdditiveUtility)
        for name, value in values.items():
            object.__setattr__(out, name, value)
        return out

    @classmethod
    def create(
        cls,
        space: OutcomeSpace,
        weights: Mapping[str, float],
        ideal: Mapping[str, Label] | None = None,
        *,
        scores: Mapping[str, Mapping[Label, float]] | None = None,
        reservation: float = 0.0,
        discount: float = 1.0,
    ) -> LinearAdditiveUtility:
        """Build from ``{issue: weight}``, ``{issue: ideal value}``, ``{issue: {option: score}}``.

        Issues left out of ``weights`` weigh 0. Every issue with a positive weight needs an ideal
        point or (discrete issues) scores.
        """
        ideal = dict(ideal or {})
        scores = dict(scores or {})
        unknown = [n for n in (*weights, *ideal, *scores) if n not in space.names]
        if unknown:
            raise ValueError(f"unknown issues {unknown}; the issues are {list(space.names)}")
        w: list[float] = []
        a: list[float] = []
        s: list[tuple[float, ...] | None] = []
        for issue in space.issues:
            wk = float(weights.get(issue.name, 0.0))
            if issue.name in scores:
                table = scores[issue.name]
                bad = [o for o in table if o not in issue.options]
                if bad or len(table) != len(issue.options):
                    raise ValueError(f"scores of {issue.name!r} must give each option once")
                sk = tuple(float(table[o]) for o in issue.options)
                s.append(sk)
                a.append(float(np.argmax(sk)))
            elif issue.name in ideal:
                s.append(None)
                a.append(issue.encode(ideal[issue.name]))
            elif wk > 0:
                raise ValueError(f"issue {issue.name!r} has a weight but no ideal point")
            else:
                s.append(None)
                a.append(issue.low)
            w.append(wk)
        return cls(space, tuple(w), tuple(a), tuple(s), float(reservation), float(discount))

    @cached_property
    def _per_issue(self) -> tuple[tuple[int, float, float, FloatArray | None], ...]:
        """Per issue, what :meth:`values` reads: (index, ideal, farthest distance, scores)."""
        return tuple((k, a, max(a - issue.low, issue.high - a),
                      None if s is None else np.asarray(s, dtype=np.float64))
                     for k, (issue, a, s) in enumerate(
                         zip(self.space.issues, self.ideal, self.scores, strict=True)))

    @cached_property
    def _weights(self) -> FloatArray:
        return np.asarray(self.weights, dtype=np.float64)

    def values(self, points: ArrayLike) -> FloatArray:
        """Per-issue values ``v_k`` of deals, shape ``(n_deals, n_issues)``."""
        x = np.atleast_2d(np.asarray(points, dtype=np.float64))
        out = np.empty_like(x)
        for k, a, far, s in self._per_issue:
            if s is not None:
                out[:, k] = s[np.clip(np.rint(x[:, k]).astype(np.intp), 0, len(s) - 1)]
            else:
                out[:, k] = 1.0 if far == 0 else 1.0 - np.abs(x[:, k] - a) / far
        return out

    def evaluate(self, points: ArrayLike) -> FloatArray:
        """Undiscounted utilities of a batch of deals, shape ``(n_deals,)`` (``OUTSIDE`` where a
        deal crosses one of the party's ``limits``)."""
        u = self.values(points) @ self._weights
        if not self.limits:
            return u
        return np.where(self.acceptable(points), u, OUTSIDE)

    def acceptable(self, points: ArrayLike) -> NDArray[np.bool_]:
        """Which deals lie inside every one of the party's ``limits``."""
        x = np.atleast_2d(np.asarray(points, dtype=np.float64))
        ok = np.ones(len(x), dtype=bool)
        for limit in self.limits:
            ok &= limit.accepts(x)
        return ok

    def __call__(self, deal: ArrayLike) -> float:
        """Undiscounted utility of one deal vector (the numbers of :meth:`evaluate`, computed
        per issue in Python floats: the same IEEE operations, then the same product)."""
        x = np.asarray(deal, dtype=np.float64)
        if x.ndim != 1 or len(x) != len(self._per_issue):
            return float(self.evaluate(deal)[0])
        v = x.tolist()
        for limit in self.limits:
            xk = v[limit.issue]
            if (not limit.low - TOL <= xk <= limit.high + TOL
                    or (limit.excluded and round(xk) in limit.excluded)):
                return OUTSIDE
        return self.value_within(v)

    def value_within(self, deal: Sequence[float]) -> float:
        """The utility of one deal (a list of its coordinates) as if it lay within the party's
        red lines: :meth:`__call__`'s number for a deal inside them."""
        row = [s[min(max(round(deal[k]), 0), len(s) - 1)] if s is not None
               else (1.0 if far == 0 else 1.0 - abs(deal[k] - a) / far)
               for k, a, far, s in self._per_issue]
        return float((np.array([row]) @ self._weights)[0])

    def discounted(self, deal: ArrayLike, round_: int) -> float:
        """``delta**round * u(deal)``: the deal's worth when agreed at ``round_`` (from 0)."""
        return float(self.discount**round_ * self(deal))

    def ideal_deal(self) -> FloatArray:
        """A deal giving utility 1 (the ideal point on every issue)."""
        return np.asarray(self.ideal, dtype=np.float64)


def utility_matrix(utilities: Sequence[LinearAdditiveUtility], points: ArrayLike) -> FloatArray:
    """Utilities of every party for every deal, shape ``(n_deals, n_parties)``."""
    return np.stack([u.evaluate(points) for u in utilities], axis=1)
