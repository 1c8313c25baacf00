"""Random numbers for one replication or for many laid side by side.

A component (tension, channels) draws its random numbers through :class:`Streams`. For one
replication it is a thin wrapper that makes exactly the NumPy calls the component would make on
its generator. For a batch of R replications whose arrays are laid side by side (replication r
owns elements ``r·block … (r+1)·block − 1``), each replication's block is filled from that
replication's own generator with the very call a single run makes — so every replication's
numbers are bitwise those of a single run with the same seed (``tests/test_batch.py``).

A batch makes one call per replication per step, which costs more than the arithmetic of small
scenarios. A component whose stream serves a single kind of call — the same method with the same
shape, every step — may let its :class:`Streams` draw ``ahead`` steps at once per generator: a
generator fills an array element after element, so ``g.random((k, *shape))`` holds exactly the
numbers of ``k`` successive ``g.random(shape)`` calls. Another kind of call while drawn numbers
wait unused would take numbers out of order, so it raises.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

AHEAD_BYTES = 32 * 2**20  # numbers drawn ahead are held to this size: large blocks draw fewer steps


class Streams:
    """One generator per replication; ``block`` elements per replication; ``ahead`` > 1 draws
    that many steps at once when the stream serves a single kind of call (see the module)."""

    def __init__(self, generators: Sequence[np.random.Generator], block: int,
                 ahead: int = 0) -> None:
        self.generators = list(generators)
        self.block = block
        self.ahead = ahead
        self._kind: tuple[str, tuple[int, ...]] | None = None
        # (steps, replications, *shape): numbers drawn ahead
        self._drawn: FloatArray = np.zeros((0,))
        self._next = 0

    def _batch(self, method: str, part: tuple[int, ...]) -> FloatArray:
        """This step's numbers of every replication, shape ``(replications, *part)``."""
        kind = (method, part)
        if self.ahead <= 1:
            now: FloatArray = np.stack([getattr(g, method)(part) for g in self.generators])
            return now
        if self._kind != kind:
            self._no_numbers_waiting(f"{method}{part}")
            self._kind, self._drawn, self._next = kind, np.zeros((0,)), 0
        if self._next == len(self._drawn):
            per_step = 8 * len(self.generators) * int(np.prod(part))
            steps = max(1, min(self.ahead, AHEAD_BYTES // per_step))
            self._drawn = np.stack([getattr(g, method)((steps, *part))
                                    for g in self.generators], axis=1)
            self._next = 0
        self._next += 1
        step: FloatArray = self._drawn[self._next - 1]
        return step

    def _no_numbers_waiting(self, call: str) -> None:
        if self._next < len(self._drawn):
            raise RuntimeError(f"a {call} draw while {self._kind} numbers drawn ahead wait: "
                               "this stream may serve one kind of call only")

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
        return self._batch("standard_normal", (self.block,)).reshape(-1)

    def random(self, size: int, rows: int | None = None) -> FloatArray:
        """Uniforms of shape (size,), or (rows, size) drawn as one call per replication."""
        shape = (size,) if rows is None else (rows, size)
        if (g := self.single) is not None:
            return g.random(shape)
        if rows is None:
            return self._batch("random", (self.block,)).reshape(-1)
        # (replications, rows, block) -> (rows, replications * block)
        return self._batch("random", (rows, self.block)).transpose(1, 0, 2).reshape(rows, -1)

    def beta(self, a: FloatArray, b: FloatArray, index: NDArray[np.int64]) -> FloatArray:
        """Beta draws for the elements ``index`` (ascending), each from its replication."""
        if (g := self.single) is not None:
            return np.asarray(g.beta(a, b), dtype=float)
        self._no_numbers_waiting("beta")
        out = np.empty(index.size)
        owner = index // self.block
        for r in np.unique(owner):
            sel = owner == r
            out[sel] = self.generators[int(r)].beta(a[sel], b[sel])
        return out
