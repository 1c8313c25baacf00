"""The interfaces a plug-in implements (docs/extending.md).

- :class:`Parameters` — every plug-in declares its parameters as a subclass: a pydantic model
  whose fields carry their types, bounds, defaults and descriptions. :data:`Rate` and
  :data:`Hazard` mark the fields that are rates or probabilities per unit of time: with
  ``rates: per_year`` they are given per year and converted to the step as the built-in ones
  are (``1 - exp(-r Δt)``, ``1 - (1 - p)^Δt``).
- :class:`Dynamics` — a term in the tension or misperception update, computed on the batch's
  arrays: every array it reads has the replications as its first axis.
- :class:`Event` — a dated change the engine applies to one replication's states, dyads,
  channels and talks (:class:`World`).
- Negotiation strategies and protocols subclass the public base classes
  :class:`diplosim.negotiation.Strategy` and :class:`diplosim.negotiation.Session`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: A rate per step, or per year with ``rates: per_year`` (converted as tension's drift is).
Rate = Annotated[float, Field(ge=0.0, json_schema_extra={"unit": "rate"})]
#: A probability per step, or per year with ``rates: per_year`` (converted as a hazard).
Hazard = Annotated[float, Field(ge=0.0, le=1.0, json_schema_extra={"unit": "hazard"})]
Unit = Literal["rate", "hazard"]


class Parameters(BaseModel):
    """A plug-in's parameters. Subclass it with one field per parameter; unknown fields, NaN and
    infinities are refused, and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def unit_of(model: type[BaseModel], field: str) -> Unit | None:
    """``rate`` or ``hazard`` for a field declared with :data:`Rate` or :data:`Hazard`."""
    extra = model.model_fields[field].json_schema_extra
    unit = extra.get("unit") if isinstance(extra, dict) else None
    return "rate" if unit == "rate" else "hazard" if unit == "hazard" else None


class Values:
    """A dynamics term's parameter values in a batch: each number as an array of shape
    ``(replications, 1)`` (one value per replication, broadcasting over dyads); other values
    (text, which a batch shares) as they are."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self._arrays = arrays

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"Values({', '.join(self._arrays)})"


class Draws(Protocol):
    """Random numbers for a dynamics term, one row per replication, each row drawn from that
    replication's own stream of the term (so a batch equals its single runs, and adding a term
    leaves the engine's own streams untouched)."""

    def random(self) -> FloatArray:
        """Uniforms on [0, 1), shape ``(replications, dyads)``."""
        ...

    def normal(self) -> FloatArray:
        """Standard normals, shape ``(replications, dyads)``."""
        ...


@dataclass(frozen=True)
class DyadState:
    """What a dynamics term reads at a step, before the step's update. Every array has shape
    ``(replications, dyads)`` and is read-only."""

    step: int  # the step being computed (1, 2, ...)
    years: float | None  # the step's length in years with rates: per_year, else None
    tension: FloatArray  # T
    misperception: FloatArray  # m, the governments'
    participant_misperception: FloatArray  # p, the participants' of every track
    communication: FloatArray  # K, the flow that reached the governments in the last step
    hawkishness: FloatArray  # H, the mean hawkishness of the dyad's two states
    baseline: FloatArray  # B
    talks: BoolArray  # True where the dyad's Track 1 talks hold a session (last step's end)
    agreement: BoolArray  # True where an agreement of the dyad's talks is in force


class Dynamics(ABC):  # noqa: B024 (both terms are optional: a term may give either)
    """A term added to the tension and/or misperception update of every dyad::

        T' = clip(T + (built-in terms) + tension(now), 0, 1)
        m' = clip(m + (built-in terms) + misperception(now), 0, 1)

    One instance serves a whole batch (or a single run, a batch of one replication): it is made
    with the parameter values (:class:`Values`) and the batch's shape, and may keep state of its
    own in arrays of shape ``(replications, dyads)``. A method returns the change, of that
    shape, or None for no term. Random numbers come only from ``draws``.
    """

    Parameters: ClassVar[type[Parameters]] = Parameters

    def __init__(self, values: Values, replications: int, dyads: int) -> None:
        self.values = values
        self.replications = replications
        self.dyads = dyads

    def tension(self, now: DyadState, draws: Draws) -> FloatArray | None:
        """The change of tension this step (before clipping), or None."""
        return None

    def misperception(self, now: DyadState, draws: Draws) -> FloatArray | None:
        """The change of the governments' misperception this step (before clipping), or None."""
        return None


class Actions(Protocol):
    """What the engine does when an event asks its :class:`World` (the engine implements it;
    a plug-in calls the World's methods, which check their arguments first). Indices are the
    replication's own, as the World's."""

    def set_level(self, channels: IntArray, level: int) -> None: ...

    def set_ceiling(self, channels: IntArray, level: int) -> None: ...

    def block_talks(self, dyads: IntArray, blocked: bool) -> None: ...


def _indices(what: str, given: Any, size: int) -> IntArray:
    """``given`` (an index or indices) as an int64 array, each in ``[0, size)``."""
    idx = np.atleast_1d(np.asarray(given))
    if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
        raise ValueError(f"{what} must be integer indices, got {given!r}")
    bad = idx[(idx < 0) | (idx >= size)]
    if bad.size:
        raise ValueError(f"no {what} {int(bad[0])}: the scenario has {size} {what}s (0 to "
                         f"{size - 1})")
    return idx.astype(np.int64)


def _level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or level < 0:
        raise ValueError(f"a channel level is a whole number >= 0, got {level!r}")
    return int(level)


@dataclass(frozen=True)
class World:
    """What an event sees and may change: one replication's states, dyads and channels (the
    same in a single run and in a batch, where each replication gets its own; indices are the
    scenario's own, as the event's :class:`Target` holds them).

    Per dyad (in the scenario's order of pairs of states, :attr:`Target.dyad`): ``tension`` T
    and ``misperception`` m, the governments' (the participants' misperception of the tracks
    is not an event's to change), written in place; ``talks_blocked``, read-only. Per state
    (the order of ``states:``): ``hawkishness`` H and ``audience_cost``, written in place. The
    engine clips the written values to [0, 1] afterwards and recomputes what depends on them
    (the dyads' mean hawkishness, the channels' audience-cost shift). Per channel (the order
    of the compiled channels, :attr:`Target.channels`): ``channel_level``, ``channel_ceiling``
    and ``channel_dyad`` (the channel's dyad), read-only: channels move through
    :meth:`set_level` and :meth:`set_ceiling`, the talks through :meth:`block_talks` and
    :meth:`release_talks`.
    """

    tension: FloatArray  # per dyad
    misperception: FloatArray  # per dyad, the governments'
    hawkishness: FloatArray  # per state
    audience_cost: FloatArray  # per state
    channel_level: IntArray  # per channel, read-only (set_level, set_ceiling)
    channel_ceiling: IntArray  # per channel, read-only (set_ceiling)
    channel_dyad: IntArray  # per channel: its dyad, read-only
    talks_blocked: BoolArray  # per dyad: an event blocks its talks, read-only (block_talks)
    actions: Actions = field(repr=False)  # the engine's side of the methods below

    def set_level(self, channels: Any, level: int) -> None:
        """Set ``channels`` (indices) to ``level``, capped by each one's ceiling and the top of
        its ladder, as the built-in ``set_level`` event does."""
        self.actions.set_level(_indices("channel", channels, self.channel_level.size),
                               _level(level))

    def set_ceiling(self, channels: Any, level: int) -> None:
        """Set the ceiling of ``channels`` to ``level`` (capped by the top of the ladder); a
        channel above it falls to it at once, as the built-in ``set_ceiling`` event does. A
        ceiling of 0 closes a channel until a later event raises it."""
        self.actions.set_ceiling(_indices("channel", channels, self.channel_level.size),
                                 _level(level))

    def block_talks(self, dyads: Any) -> None:
        """Block the Track 1 talks of ``dyads`` (indices) from this step on, until
        :meth:`release_talks`: talks under way are interrupted in this step's talks (outcome
        ``blocked``: the failure shock and the cooldown, as when every direct channel closes),
        and none open while blocked. An agreement in force stays in force (its breakdown hazard
        runs as before). A dyad without talks is marked blocked, with no other effect."""
        self.actions.block_talks(_indices("dyad", dyads, self.tension.size), True)

    def release_talks(self, dyads: Any) -> None:
        """Lift the block of ``dyads``' talks: from this step on they open by the usual rule
        (cooldown over, a direct channel open, ripe)."""
        self.actions.block_talks(_indices("dyad", dyads, self.tension.size), False)


@dataclass(frozen=True)
class Target:
    """What the event names, as indices into the :class:`World`'s arrays (-1: not given):
    ``state`` (``state:``), ``dyad`` (``dyad:``), ``channels`` (the channels ``channels:``
    selects; empty when not given) and ``dyads``: the dyad when ``dyad:`` is given, else every
    dyad of the state (the pairs it belongs to) when ``state:`` is, else none."""

    state: int
    dyad: int
    channels: IntArray
    label: str  # the state's id or the dyad's label, for the event log
    dyads: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class Event(ABC):
    """A dated change. The scenario lists it under ``events:`` with ``type:`` its registered
    name, the target fields it needs (:attr:`needs`: ``state``, ``dyad`` and/or ``channels``)
    and its own parameters under ``params:``. It is applied at the start of its step, in the
    scenario's order, once per replication, and draws no random numbers.

    One instance serves every replication: the engine makes it (``cls()``, no arguments) once,
    when the scenario is compiled, and calls :meth:`apply` on that instance for each
    replication that runs the compiled scenario, in turn — every replication of a single run
    or of a batch, and of every batch a run is split into. Keep nothing on ``self`` between
    calls: what ``apply`` does must depend only on its arguments, or a replication's result
    would depend on the others (and a batch would differ from its single runs)."""

    Parameters: ClassVar[type[Parameters]] = Parameters
    needs: ClassVar[tuple[Literal["state", "dyad", "channels"], ...]] = ()

    @abstractmethod
    def apply(self, world: World, target: Target, values: Any) -> str:
        """Change ``world`` for one replication; return the event log's detail (e.g.
        ``hawkishness 0.4 -> 0.6``). ``values`` is the event's :class:`Parameters`."""
