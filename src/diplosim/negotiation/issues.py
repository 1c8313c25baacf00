"""Issues and outcome spaces.

An *issue* is one dimension of a negotiation (Raiffa 1982, *The Art and Science of Negotiation*):
a continuous quantity in an interval (a share of a pie, a troop ceiling) or a finite set of
options (a border regime). An *outcome* (a deal) fixes a value for every issue.

Internally a deal is a float vector with one entry per issue: the value itself for a continuous
issue, the option's index for a discrete one. :meth:`OutcomeSpace.decode` turns a vector back into
``{issue name: value or option label}``. Finite deal sets (the candidates strategies choose from
and on which measures are computed) are ``(n_deals, n_issues)`` arrays made by
:meth:`OutcomeSpace.grid`: every option of a discrete issue, ``resolution`` evenly spaced
points of a continuous one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
Label = str | int | float

MAX_GRID = 2_000_000


class IssueKind(StrEnum):
    """Whether an issue takes values in an interval or among a finite set of options."""

    CONTINUOUS = "continuous"
    DISCRETE = "discrete"


@dataclass(frozen=True)
class Issue:
    """One negotiated issue.

    Build with :meth:`continuous` or :meth:`discrete`. Discrete options are ordered as given; that
    order is what an ideal point's distance is measured along (see
    :class:`~diplosim.negotiation.utilities.LinearAdditiveUtility`).
    """

    name: str
    kind: IssueKind
    low: float = 0.0
    high: float = 1.0
    options: tuple[Label, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an issue needs a name")
        if self.kind is IssueKind.CONTINUOUS:
            if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
                raise ValueError(
                    f"issue {self.name!r}: need low < high, got {self.low}, {self.high}"
                )
            if self.options:
                raise ValueError(f"continuous issue {self.name!r} cannot have options")
        else:
            if len(self.options) < 1:
                raise ValueError(f"discrete issue {self.name!r} needs at least one option")
            if len(set(self.options)) != len(self.options):
                raise ValueError(f"discrete issue {self.name!r} has repeated options")

    @classmethod
    def continuous(cls, name: str, low: float = 0.0, high: float = 1.0) -> Issue:
        """A quantity in ``[low, high]`` (default: a share in [0, 1])."""
        return cls(name, IssueKind.CONTINUOUS, float(low), float(high))

    @classmethod
    def discrete(cls, name: str, options: Sequence[Label]) -> Issue:
        """A choice among ``options`` (their order matters for ideal-point distances)."""
        return cls(name, IssueKind.DISCRETE, 0.0, float(len(options) - 1), tuple(options))

    @property
    def span(self) -> float:
        """``high - low`` in the internal encoding (number of options minus one if discrete)."""
        return self.high - self.low

    def encode(self, value: Label) -> float:
        """Internal coordinate of ``value`` (an option's index for a discrete issue)."""
        if self.kind is IssueKind.DISCRETE:
            try:
                return float(self.options.index(value))
            except ValueError:
                raise ValueError(
                    f"issue {self.name!r}: {value!r} is not one of {list(self.options)}"
                ) from None
        if isinstance(value, str):
            raise ValueError(f"issue {self.name!r}: expected a number, got {value!r}")
        x = float(value)
        if not self.low <= x <= self.high:
            raise ValueError(f"issue {self.name!r}: {x} is outside [{self.low}, {self.high}]")
        return x

    def decode(self, x: float) -> Label:
        """Value of internal coordinate ``x`` (an option label for a discrete issue)."""
        if self.kind is IssueKind.DISCRETE:
            return self.options[round(x)]
        return float(x)

    def points(self, resolution: int) -> FloatArray:
        """The coordinates this issue contributes to a grid."""
        if self.kind is IssueKind.DISCRETE:
            return np.arange(len(self.options), dtype=np.float64)
        if resolution < 2:
            raise ValueError("resolution must be at least 2")
        return np.linspace(self.low, self.high, resolution)


@dataclass(frozen=True)
class OutcomeSpace:
    """The set of possible deals: the product of the issues' domains."""

    issues: tuple[Issue, ...]

    def __post_init__(self) -> None:
        if not self.issues:
            raise ValueError("an outcome space needs at least one issue")
        names = [i.name for i in self.issues]
        if len(set(names)) != len(names):
            raise ValueError(f"issue names must be unique, got {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.issues)

    @property
    def is_discrete(self) -> bool:
        """True when every issue is discrete (the deal set is finite and exact)."""
        return all(i.kind is IssueKind.DISCRETE for i in self.issues)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def size(self, resolution: int) -> int:
        """Number of deals in :meth:`grid` at ``resolution``."""
        n = 1
        for issue in self.issues:
            n *= len(issue.points(resolution))
        return n

    def grid(self, resolution: int = 101) -> FloatArray:
        """Every deal of the finite deal set, as an ``(n_deals, n_issues)`` array.

        Discrete issues contribute all their options, continuous ones ``resolution`` evenly
        spaced values including both ends. Rows are in lexicographic order of the issues.
        """
        axes = [issue.points(resolution) for issue in self.issues]
        n = self.size(resolution)
        if n > MAX_GRID:
            raise ValueError(
                f"the deal grid would have {n} deals (limit {MAX_GRID}); lower the resolution"
            )
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1).astype(np.float64)

    def encode(self, deal: Mapping[str, Label]) -> FloatArray:
        """Vector of a deal given as ``{issue: value}`` (every issue must be given)."""
        missing = [n for n in self.names if n not in deal]
        extra = [k for k in deal if k not in self.names]
        if missing or extra:
            raise ValueError(
                f"deal must give exactly the issues {list(self.names)}; "
                f"missing {missing}, unknown {extra}"
            )
        return np.array([i.encode(deal[i.name]) for i in self.issues], dtype=np.float64)

    def decode(self, x: ArrayLike) -> dict[str, Label]:
        """``{issue: value}`` of a deal vector (option labels for discrete issues)."""
        v = np.asarray(x, dtype=np.float64)
        return {i.name: i.decode(float(v[k])) for k, i in enumerate(self.issues)}

    def centre(self) -> FloatArray:
        """The deal at the middle of every issue (the middle option, rounded down)."""
        out = []
        for i in self.issues:
            mid = (i.low + i.high) / 2
            out.append(float(np.floor(mid)) if i.kind is IssueKind.DISCRETE else mid)
        return np.array(out, dtype=np.float64)

    def clip(self, x: ArrayLike) -> FloatArray:
        """Project a vector onto the space (clip intervals, round to the nearest option)."""
        v = np.asarray(x, dtype=np.float64).copy()
        for k, i in enumerate(self.issues):
            v[k] = min(max(v[k], i.low), i.high)
            if i.kind is IssueKind.DISCRETE:
                v[k] = float(round(v[k]))
        return v


def product_labels(space: OutcomeSpace) -> list[tuple[Label, ...]]:
    """Labels of every deal of a fully discrete space, in :meth:`OutcomeSpace.grid` order."""
    if not space.is_discrete:
        raise ValueError("product_labels needs a fully discrete space")
    return list(itertools.product(*(i.options for i in space.issues)))
