"""What a strategy sees: the shared setting of a session and its history so far.

Strategies in this package assume *complete information* about preferences (as Nash 1950,
Zeuthen 1930 and Rubinstein 1982 do): a :class:`Setting` carries every party's utility and the
finite deal set with its utility matrix, so choosing an offer is a vectorised NumPy operation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from diplosim.negotiation.issues import FloatArray, OutcomeSpace
from diplosim.negotiation.measures import (
    TOL,
    BargainingSolution,
    individually_rational,
    nash_point,
    pareto_frontier,
)
from diplosim.negotiation.utilities import OUTSIDE, LinearAdditiveUtility, utility_matrix

IntArray = NDArray[np.intp]


class ProtocolKind(StrEnum):
    """The negotiation protocols (see :mod:`diplosim.negotiation.protocols`)."""

    ALTERNATING_OFFERS = "alternating_offers"
    MONOTONIC_CONCESSION = "monotonic_concession"
    SINGLE_TEXT = "single_text"
    STACKED_ALTERNATING_OFFERS = "stacked_alternating_offers"


#: Deal sets and their utility tables, shared between sessions (a scenario's talks open many
#: sessions on the same few spaces and preferences); the oldest are dropped past _SHARED_MOST.
_SHARED_TABLES: dict[object, NDArray[Any]] = {}
_SHARED_MOST = 512


def _shared(key: object, build: Callable[[], NDArray[Any]]) -> NDArray[Any]:
    table = _SHARED_TABLES.get(key)
    if table is None:
        table = build()
        table.setflags(write=False)
        if len(_SHARED_TABLES) >= _SHARED_MOST:
            del _SHARED_TABLES[next(iter(_SHARED_TABLES))]
        _SHARED_TABLES[key] = table
    return table


@dataclass(frozen=True, eq=False)
class Setting:
    """The fixed part of a session: protocol, space, preferences, deadline, finite deal set."""

    protocol: ProtocolKind
    space: OutcomeSpace
    utilities: tuple[LinearAdditiveUtility, ...]
    deadline: int
    resolution: int = 101

    def __post_init__(self) -> None:
        if self.deadline < 1:
            raise ValueError(f"deadline must be at least 1 round, got {self.deadline}")
        for u in self.utilities:
            if u.space != self.space:
                raise ValueError("every utility must be defined on the session's outcome space")

    @property
    def n_parties(self) -> int:
        return len(self.utilities)

    @cached_property
    def deals(self) -> FloatArray:
        """The finite deal set, ``(n_deals, n_issues)`` (read-only: shared by the sessions on
        the same space and resolution)."""
        return _shared((self.space, self.resolution),
                       lambda: self.space.grid(self.resolution))

    @cached_property
    def deal_utilities(self) -> FloatArray:
        """Every party's utility for every deal, ``(n_deals, n_parties)`` (read-only: shared by
        the sessions whose parties weigh the deals alike; reservations do not enter)."""
        return _shared(self._table_key, lambda: utility_matrix(self.utilities, self.deals))

    @cached_property
    def _table_key(self) -> tuple[object, ...]:
        """What :attr:`deal_utilities` depends on: the space, the grid and the preferences."""
        return (self.space, self.resolution,
                tuple((u.weights, u.ideal, u.scores, u.limits) for u in self.utilities))

    @cached_property
    def reservations(self) -> FloatArray:
        return np.array([u.reservation for u in self.utilities], dtype=np.float64)

    @cached_property
    def rational(self) -> IntArray:
        """Rows of :attr:`deals` that are individually rational."""
        return np.flatnonzero(individually_rational(self.deal_utilities, self.reservations))

    @cached_property
    def frontier(self) -> IntArray:
        """Rows of :attr:`deals` on the Pareto frontier, party 0's best first (shared like the
        table it is read from)."""
        return _shared(("frontier", self._table_key),
                       lambda: pareto_frontier(self.deal_utilities))

    @cached_property
    def nash(self) -> BargainingSolution | None:
        return nash_point(self.deal_utilities, self.reservations)

    def deal(self, row: int | np.integer) -> FloatArray:
        """A copy of row ``row`` of :attr:`deals`."""
        return np.array(self.deals[int(row)], dtype=np.float64)

    def known_deal(self, row: int | np.integer) -> FloatArray:
        """:meth:`deal` of ``row``, its utilities then known to :meth:`utility_of` from
        :attr:`single_utilities` (the same numbers, without evaluating them again)."""
        deal = self.deal(row)
        self._utility_memo.setdefault(deal.tobytes(),
                                      tuple(self.single_utilities[int(row)].tolist()))
        return deal

    def utility_of(self, deal: FloatArray) -> tuple[float, ...]:
        """Every party's utility of ``deal``. Sessions offer and weigh the same few deals
        round after round, so each distinct deal is evaluated once (the same numbers)."""
        key = np.asarray(deal, dtype=np.float64).tobytes()
        known = self._utility_memo.get(key)
        if known is None:
            known = self._utility_memo[key] = tuple(u(deal) for u in self.utilities)
        return known

    @cached_property
    def _utility_memo(self) -> dict[bytes, tuple[float, ...]]:
        return {}

    @cached_property
    def single_utilities(self) -> FloatArray:
        """Every party's utility of every deal as :meth:`utility_of` gives it for that one deal,
        ``(n_deals, n_parties)``: a single deal's utility can differ from
        :attr:`deal_utilities`' in the last bits (a 1-row product), and sessions weigh offers one
        at a time. The values without red lines are shared like the tables; a party's red lines
        then set the deals outside them to ``OUTSIDE``, as its utility does."""
        key = ("single", self.space, self.resolution,
               tuple((u.weights, u.ideal, u.scores) for u in self.utilities))

        def build() -> FloatArray:
            return np.array([[u.value_within(row) for u in self.utilities]
                             for row in self.deals.tolist()],
                            dtype=np.float64).reshape(len(self.deals), -1)

        table = _shared(key, build)
        if not any(u.limits for u in self.utilities):
            return table
        out = table.copy()
        for j, u in enumerate(self.utilities):
            if u.limits:
                out[~u.acceptable(self.deals), j] = OUTSIDE
        out.setflags(write=False)
        return out

    @cached_property
    def best_utilities(self) -> FloatArray:
        """Each party's best utility over individually rational deals (over all if none is)."""
        rows = self.rational if len(self.rational) else np.arange(len(self.deals))
        return np.asarray(self.deal_utilities[rows].max(axis=0))

    def best_utility(self, party: int) -> float:
        """``party``'s best utility over the individually rational deals (over all deals if
        none is): where a conceding strategy starts (``view.setting.best_utility(view.me)``)."""
        return float(self.best_utilities[party])

    def pick(self, party: int, target: float) -> FloatArray:
        """The deal a conceding ``party`` offers at aspiration ``target``.

        Among deals giving ``party`` at least ``target``, the one best for the others: the largest
        minimum of their utilities, then the largest sum, then the smallest own utility, then the
        lowest row (a trade-off offer on the iso-utility curve, Faratin, Sierra & Jennings 2002).
        If no deal reaches ``target``, ``party``'s best deal.
        """
        key = (party, target)  # asked again when a strategy looks one round ahead
        row = self._pick_memo.get(key)
        if row is None:
            row = self._pick_memo[key] = self._pick_row(party, target)
        return self.deal(row)

    @cached_property
    def _pick_memo(self) -> dict[tuple[int, float], int]:
        return {}

    def pick_rows(self, party: int, targets: FloatArray) -> IntArray:
        """The rows :meth:`pick` offers at each of ``targets``, at once: the first row in
        ``party``'s order whose running maximum of own utility reaches the target (the same
        comparisons as :meth:`pick`; the same rows)."""
        order, reach = self._pick_order[party], self._pick_reach[party]
        at = np.searchsorted(reach, np.asarray(targets, dtype=np.float64) - TOL, side="left")
        at = np.where(at < len(order), at, np.searchsorted(reach, reach[-1] - TOL, side="left"))
        return np.asarray(order[at], dtype=np.intp)

    @cached_property
    def _pick_reach(self) -> FloatArray:
        """Per party, the running maximum of its own utility along its pick order (the last is
        its best utility over every deal)."""
        order = self._pick_order
        return _shared(("reach", self._table_key), lambda: np.maximum.accumulate(
            np.take_along_axis(self.deal_utilities.T, order, axis=1), axis=1))

    def _pick_row(self, party: int, target: float) -> int:
        own, order = self.deal_utilities[:, party], self._pick_order[party]
        reach = own[order] >= target - TOL
        if not reach.any():
            reach = own[order] >= own.max() - TOL
        return int(order[np.argmax(reach)])

    @cached_property
    def _pick_order(self) -> IntArray:
        """Per party (a row each), every row in :meth:`pick`'s order of preference: the others'
        largest minimum utility, then largest sum, then the smallest own utility, then the
        lowest row (so a pick is the first row in this order that reaches the target). Shared
        like the table it is read from."""

        def build() -> IntArray:
            u = self.deal_utilities
            rows = np.arange(len(u))
            orders = []
            for party in range(u.shape[1]):
                others = np.delete(u, party, axis=1)
                if others.shape[1] == 0:
                    orders.append(rows)
                    continue
                low = np.round(others.min(axis=1), 12)
                total = np.round(others.sum(axis=1), 12)
                orders.append(np.lexsort((rows, u[:, party], -total, -low)))
            return np.stack(orders)

        return _shared(("order", self._table_key), build)


@dataclass(frozen=True, eq=False)
class Offer:
    """A deal put on the table: by ``party`` (-1 for a mediator) at ``round``, decided when the
    first ``seen`` offers of the session were known."""

    round: int
    party: int
    deal: FloatArray
    utilities: tuple[float, ...]
    seen: int = 0


class Situation(NamedTuple):
    """Where a session stands in a scenario's run, as its talks set it before each step's
    rounds (:attr:`Session.situation <diplosim.negotiation.protocols.Session.situation>`); all
    None for a session outside a scenario (a session file)."""

    step: int | None = None  # View.step
    date: dt.date | None = None  # View.date
    tension: float | None = None  # View.tension


@dataclass(frozen=True, eq=False)
class View:
    """What party ``me`` knows when it acts: the setting, the round and all offers so far, and,
    in a scenario's talks, where the run stands (the talks' :class:`Situation`).

    - ``setting``: protocol, outcome space, every party's utility, the deadline (in rounds) and
      the finite deal set with its utility matrix (:class:`Setting`). In a scenario's talks a
      party's utility carries its reservation as the talks hardened it at their opening
      (docs/model.md 3.5: power and misperception), so :attr:`reservation` is the value it
      holds out for.
    - ``me``: the party's index into the setting's parties (``setting.utilities[me]``, the
      order of the session's ``parties``).
    - ``round``: the protocol's round being played, 0 first. In a scenario's talks one step
      plays that step's rounds (``rounds_per_step``, or ``rounds_per_year`` spread over the
      steps).
    - ``offers``: every offer put on the table so far, oldest first, the mediator's
      (``party`` -1) too; :meth:`own_offers` and :meth:`others_offers` select.
    - ``step``: the scenario's step whose rounds are played (1, 2, ...).
    - ``date``: the first day of that step's period (a ``datetime.date``), in a scenario with a
      ``start``; the tables' ``date`` of the step.
    - ``tension``: the dyad's tension T in that step, after the step's update (what the talks
      read: ripeness, the channels of the step), before the talks' own outcome moves it.

    ``step``, ``date`` and ``tension`` are None in a session outside a scenario (a session
    file), and ``date`` in a scenario without ``start``.
    """

    setting: Setting
    me: int
    round: int
    offers: Sequence[Offer]
    step: int | None = None
    date: dt.date | None = None
    tension: float | None = None

    @property
    def reservation(self) -> float:
        """The party's utility of no agreement (in a scenario's talks, as hardened)."""
        return float(self.setting.reservations[self.me])

    def utility(self, deal: FloatArray) -> float:
        """The party's utility of ``deal`` (a deal vector of the outcome space)."""
        return self.setting.utility_of(deal)[self.me]

    def own_offers(self) -> list[Offer]:
        """The offers this party made so far, oldest first."""
        return [o for o in self.offers if o.party == self.me]

    def others_offers(self) -> list[Offer]:
        """The offers the other parties made so far, oldest first (not the mediator's)."""
        return [o for o in self.offers if o.party != self.me and o.party >= 0]
