"""Dynamics plug-ins: their terms of the tension and misperception update, for a whole batch.

Each term (:class:`diplosim.plugins.Dynamics`) is made once per run or batch with its parameter
values, one per replication (:class:`diplosim.plugins.Values`, arrays of shape
``(replications, 1)``), and asked at every step for its change of tension and of the
governments' misperception, arrays of shape ``(replications, dyads)``. Its random numbers come
from two streams of its own per replication (uniforms, normals), spawned from the replication's
seed after the engine's three (so adding a term leaves every other number of the run unchanged,
and replication r of a batch draws what its single run draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.events import run_plugin
from diplosim.engine.streams import Streams
from diplosim.engine.tension import Tension
from diplosim.io.errors import InputError
from diplosim.plugins import DyadState, Dynamics, Values
from diplosim.scenario.compile import Compiled
from diplosim.scenario.plugins import CompiledTerm

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
PER_TERM = 2  # generators a term draws from, per replication: uniforms and normals


class _Draws:
    """:class:`diplosim.plugins.Draws` over one term's two streams (uniforms and normals, each
    from generators of its own), so that each serves a single kind of call and may draw steps
    ahead (:mod:`diplosim.engine.streams`) whatever the term asks for, in any order."""

    def __init__(self, uniform: Streams, normal: Streams, reps: int) -> None:
        self.uniform, self.normal_ = uniform, normal
        self.reps = reps
        self.size = uniform.block * len(uniform.generators)

    def random(self) -> FloatArray:
        return self.uniform.random(self.size).reshape(self.reps, -1)

    def normal(self) -> FloatArray:
        return self.normal_.standard_normal(self.size).reshape(self.reps, -1)


def values_of(terms: Sequence[CompiledTerm]) -> Values:
    """One term's values across a batch (its ``CompiledTerm`` in each replication's scenario):
    numbers as ``(replications, 1)`` arrays, the rest (shared by the batch) as they are."""
    first = terms[0].values
    out: dict[str, object] = {}
    for name in type(first).model_fields:
        value = getattr(first, name)
        if isinstance(value, bool):
            out[name] = np.array([[getattr(t.values, name)] for t in terms], dtype=bool)
        elif isinstance(value, int | float):
            out[name] = np.array([[getattr(t.values, name)] for t in terms], dtype=float)
        else:
            out[name] = value
    return Values(out)


class Terms:
    """The dynamics plug-ins of a run or batch. ``compiled``: each replication's scenario;
    ``generators``: each replication's generators, two per term (:data:`PER_TERM`: uniforms,
    normals), or, with ``block``, each group's of ``block / dyads`` replications sharing them,
    as :func:`~diplosim.engine.batch.mission_levels_many` draws; ``ahead``: steps of numbers
    drawn at once in a batch."""

    def __init__(self, compiled: Sequence[Compiled],
                 generators: Sequence[Sequence[np.random.Generator]], dyads: int,
                 block: int | None = None, ahead: int = 0) -> None:
        reps = len(compiled)
        self.reps, self.dyads = reps, dyads
        self.terms: list[tuple[CompiledTerm, Dynamics, _Draws]] = []
        for k, term in enumerate(compiled[0].terms):
            values = values_of([c.terms[k] for c in compiled])
            made = run_plugin(term.info, partial(term.cls, values, reps, dyads))
            uniform, normal = (Streams([g[PER_TERM * k + i] for g in generators], block or dyads,
                                       ahead) for i in range(PER_TERM))
            self.terms.append((term, made, _Draws(uniform, normal, reps)))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def changes(self, now: DyadState) -> tuple[FloatArray | float, FloatArray | float]:
        """The terms' summed changes of tension and misperception, flat (replications × dyads),
        or 0.0 where no term gives one."""
        d_tension: FloatArray | float = 0.0
        d_mis: FloatArray | float = 0.0
        shape = (self.reps, self.dyads)
        for term, made, draws in self.terms:
            for which, method in (("tension", made.tension), ("misperception",
                                                              made.misperception)):
                change = run_plugin(term.info, partial(method, now, draws))
                if change is None:
                    continue
                change = np.asarray(change, dtype=float)
                if change.shape != shape or not np.all(np.isfinite(change)):
                    raise InputError.single(
                        f"the {term.info.label} returned a {which} change of shape "
                        f"{change.shape}" + ("" if change.shape != shape else " with NaN or "
                                             "infinite values"),
                        source=term.info.package or term.info.value,
                        allowed=f"finite numbers of shape {shape} (replications, dyads), or "
                        "None; a fixed release of the package")
                if which == "tension":
                    d_tension = d_tension + change.reshape(-1)
                else:
                    d_mis = d_mis + change.reshape(-1)
        return d_tension, d_mis


def dyad_state(step: int, years: float | None, reps: int, tension: Tension,
               communication: FloatArray, talks: BoolArray, agreement: BoolArray) -> DyadState:
    """The read-only :class:`DyadState` of a run's or batch's tension component and flat
    (replications × dyads) arrays of flow, talks in session and agreements in force."""

    def view[G: np.generic](a: NDArray[G]) -> NDArray[G]:
        out = a.reshape(reps, -1).view()
        out.flags.writeable = False
        return out

    t = tension
    return DyadState(step, years, view(t.tension), view(t.misperception),
                     view(t.participant_misperception), view(communication),
                     view(np.asarray(t.hawkishness, dtype=float)), view(t.baseline),
                     view(talks), view(agreement))
