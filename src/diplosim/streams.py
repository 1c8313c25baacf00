"""Random numbers for one replication or for many laid side by side.

A component (tension, channels) draws its random numbers through :class:`Streams`. For one
replication it is a thin wrapper that makes exactly the NumPy calls the component would make on
its generator. For a batch of R replications whose arrays are laid side by side (replication r
owns elements ``r·block … (r+1)·block − 1``), each replication's block is filled from that
replication's own generator with the very call a single run makes — so every replication's
numbers are bitwise those of a single run with the same seed (``tests/test_batch.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class Streams:
    """One generator per replication; ``block`` elements per replication."""

    def __init__(self, generators: Sequence[np.random.Generator], block: int) -> None:
        self.generators = list(generators)
        self.block = block

    @classmethod
    def of(cls, rng: np.random.Generator | Streams, size: int) -> Streams:
        """``rng`` itself if it is already a Streams, else one replication of ``size``."""
        return rng if isinstance(rng, Streams) else cls([rng], size)

    @property
    def single(self) -> np.random.Generator | None:
        return self.generators[0] if len(self.generators) == 1 else None

    def standard_normal(self, size: int) -> FloatArray:
        if (g := self.single) is not None:
            return g.standard_normal(size)
        return np.concatenate([g.standard_normal(self.block) for g in self.generators])

    def random(self, size: int, rows: int | None = None) -> FloatArray:
        """Uniforms of shape (size,), or (rows, size) drawn as one call per replication."""
        shape = (size,) if rows is None else (rows, size)
        if (g := self.single) is not None:
            return g.random(shape)
        part = (self.block,) if rows is None else (rows, self.block)
        return np.concatenate([g.random(part) for g in self.generators], axis=-1)

    def beta(self, a: FloatArray, b: FloatArray, index: NDArray[np.int64]) -> FloatArray:
        """Beta draws for the elements ``index`` (ascending), each from its replication."""
        if (g := self.single) is not None:
            return np.asarray(g.beta(a, b), dtype=float)
        out = np.empty(index.size)
        owner = index // self.block
        for r in np.unique(owner):
            sel = owner == r
            out[sel] = self.generators[int(r)].beta(a[sel], b[sel])
        return out
