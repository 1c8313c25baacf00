"""Negotiation strategies: what a party offers and which offers it accepts.

A strategy is a frozen dataclass of parameters; its decisions are pure functions of a
:class:`~diplosim.negotiation.context.View` (setting, round, offers so far), so a session is
reproducible from its seed and a strategy can be shared between parties and sessions.

- :class:`TimeDependent` — Faratin, Sierra & Jennings (1998): aspiration falls with time with
  shape ``e`` (Boulware ``e < 1``, linear ``e = 1``, Conceder ``e > 1``).
- :class:`TitForTat` — Faratin, Sierra & Jennings (1998) behaviour-dependent "absolute
  tit-for-tat", after Axelrod (1984): concede in own utility what the others conceded to you.
- :class:`Zeuthen` — Zeuthen (1930), Harsanyi (1956), Rosenschein & Zlotkin (1994): under
  monotonic concession, the party with less to risk concedes, just enough to shift the risk.
- :class:`RubinsteinEquilibrium` — Rubinstein (1982), Binmore, Rubinstein & Wolinsky (1986):
  stationary subgame-perfect play of discounted alternating offers.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from diplosim.negotiation.context import IntArray, ProtocolKind, Setting, View
from diplosim.negotiation.issues import FloatArray, IssueKind
from diplosim.negotiation.measures import TOL, nash_product
from diplosim.plugins import Parameters

_ALL = frozenset(ProtocolKind)


class Strategy(ABC):
    """How one party negotiates. Subclasses are frozen dataclasses.

    ``propose`` returns a deal vector; ``respond`` says whether to accept ``offer`` (in the single
    text protocol: whether to sign the current text). ``supports`` lists the protocols the
    strategy is defined for; ``max_parties`` limits the number of parties (2 for bilateral rules).
    """

    supports: ClassVar[frozenset[ProtocolKind]] = _ALL
    max_parties: ClassVar[int | None] = None
    name: ClassVar[str] = "strategy"
    #: A plug-in's parameters (the dataclass's fields; ``params:`` in a session file).
    Parameters: ClassVar[type[Parameters]] = Parameters

    @abstractmethod
    def propose(self, view: View, rng: np.random.Generator) -> FloatArray:
        """The deal to put on the table now."""

    @abstractmethod
    def respond(self, view: View, offer: FloatArray) -> bool:
        """True to accept ``offer``."""

    def check(self, setting: Setting) -> None:
        """Raise ``ValueError`` if the strategy cannot play in ``setting``."""
        if setting.protocol not in self.supports:
            allowed = ", ".join(sorted(self.supports))
            raise ValueError(f"{self.name} does not play {setting.protocol} (plays: {allowed})")
        if self.max_parties is not None and setting.n_parties > self.max_parties:
            raise ValueError(f"{self.name} needs at most {self.max_parties} parties")


#: What a strategy that draws gets when it looks one round ahead: a stream seeded 0, reset to
#: its start before each look (cheaper than a new generator; the same numbers).
_LOOKAHEAD = np.random.default_rng(0)
_LOOKAHEAD_STATE = _LOOKAHEAD.bit_generator.state


def _accept_next(view: View, strategy: Strategy, offer: FloatArray) -> bool:
    """AC_next (Baarslag, Hindriks & Jonker 2014): accept if the offer is individually rational
    and at least as good as the deal one would propose next."""
    u = view.utility(offer)
    if u < view.reservation - TOL:
        return False
    later = View(view.setting, view.me, view.round + 1, view.offers, view.step, view.date,
                 view.tension)
    _LOOKAHEAD.bit_generator.state = _LOOKAHEAD_STATE  # the same fresh stream every time
    mine = strategy.propose(later, _LOOKAHEAD)
    return u >= view.utility(mine) - TOL


@dataclass(frozen=True)
class TimeDependent(Strategy):
    """Time-dependent concession (Faratin, Sierra & Jennings 1998, *Robotics and Autonomous
    Systems* 24(3–4), "polynomial" family).

    At round ``t`` of a deadline of ``T`` rounds, with ``tau = min(1, t / (T - 1))``::

        F(t)      = k + (1 - k) * tau ** (1 / e)
        target(t) = r + (1 - F(t)) * (u_max - r)

    where ``r`` is the reservation value and ``u_max`` the best individually rational utility.
    ``e < 1`` is Boulware (hold firm, concede near the deadline), ``e = 1`` linear, ``e > 1``
    Conceder; ``k`` is the initial concession. The offer is :meth:`Setting.pick` at the target;
    acceptance is AC_next.
    """

    e: float = 1.0
    k: float = 0.0
    name: ClassVar[str] = "time_dependent"

    def __post_init__(self) -> None:
        if not self.e > 0:
            raise ValueError(f"e must be > 0, got {self.e}")
        if not 0.0 <= self.k <= 1.0:
            raise ValueError(f"k must be in [0, 1], got {self.k}")

    @classmethod
    def boulware(cls, e: float = 0.2) -> TimeDependent:
        return cls(e=e)

    @classmethod
    def linear(cls) -> TimeDependent:
        return cls(e=1.0)

    @classmethod
    def conceder(cls, e: float = 5.0) -> TimeDependent:
        return cls(e=e)

    def concession(self, round_: int, deadline: int) -> float:
        """``F(t)``: the share of the way from ``u_max`` to ``r`` conceded at round ``round_``."""
        tau = 1.0 if deadline <= 1 else min(1.0, round_ / (deadline - 1))
        return float(self.k + (1.0 - self.k) * tau ** (1.0 / self.e))

    def concessions(self, deadline: int) -> FloatArray:
        """:meth:`concession` at rounds ``0 … deadline`` (read-only; computed once per
        strategy and deadline)."""
        return _concessions(self, deadline)

    def target(self, view: View) -> float:
        f = self.concession(view.round, view.setting.deadline)
        r = view.reservation
        return float(r + (1.0 - f) * (view.setting.best_utility(view.me) - r))

    def propose(self, view: View, rng: np.random.Generator) -> FloatArray:
        return view.setting.pick(view.me, self.target(view))

    def respond(self, view: View, offer: FloatArray) -> bool:
        return _accept_next(view, self, offer)


@functools.lru_cache(maxsize=1024)
def _concessions(strategy: TimeDependent, deadline: int) -> FloatArray:
    out = np.array([strategy.concession(t, deadline) for t in range(deadline + 1)])
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class TitForTat(Strategy):
    """Absolute tit-for-tat on concessions (Faratin, Sierra & Jennings 1998, behaviour-dependent
    tactics; Axelrod 1984), measured in the party's own utility.

    The first offer is the party's best deal. Afterwards, if an opponent's last two offers gave
    this party ``u_me(y_prev)`` then ``u_me(y_last)``, the party lowers its own demand by the same
    amount::

        target = clip(u_me(x_last) - (u_me(y_last) - u_me(y_prev)), r, u_max)

    so a concession is answered by an equal concession, a retraction by a retraction, firmness by
    firmness. Only opponents who made a new offer since the party's own last offer count; with
    several (multilateral) the mean of their concessions is mirrored. Acceptance is AC_next.
    """

    name: ClassVar[str] = "tit_for_tat"
    supports: ClassVar[frozenset[ProtocolKind]] = frozenset(
        {
            ProtocolKind.ALTERNATING_OFFERS,
            ProtocolKind.MONOTONIC_CONCESSION,
            ProtocolKind.STACKED_ALTERNATING_OFFERS,
        }
    )

    def target(self, view: View) -> float:
        best = view.setting.best_utility(view.me)
        own = view.own_offers()
        if not own:
            return best
        last = own[-1]
        concessions = []
        for j in range(view.setting.n_parties):
            theirs = [(k, o) for k, o in enumerate(view.offers) if o.party == j != view.me]
            if len(theirs) >= 2 and theirs[-1][0] >= last.seen:
                y_prev, y_last = theirs[-2][1], theirs[-1][1]
                concessions.append(y_last.utilities[view.me] - y_prev.utilities[view.me])
        conceded = float(np.mean(concessions)) if concessions else 0.0
        return float(np.clip(last.utilities[view.me] - conceded, view.reservation, best))

    def propose(self, view: View, rng: np.random.Generator) -> FloatArray:
        return view.setting.pick(view.me, self.target(view))

    def respond(self, view: View, offer: FloatArray) -> bool:
        return _accept_next(view, self, offer)


@dataclass(frozen=True)
class Zeuthen(Strategy):
    """Zeuthen's rule under monotonic concession (Zeuthen 1930; Harsanyi 1956, *Econometrica*
    24(2); Rosenschein & Zlotkin 1994, *Rules of Encounter*).

    With proposals ``x_i`` (own) and ``x_j`` (the opponent's) and disagreement values ``d``, the
    risk a party runs by standing firm is::

        risk_i = (u_i(x_i) - u_i(x_j)) / (u_i(x_i) - d_i)      (1 if u_i(x_i) = d_i)

    The party with the smaller risk concedes; on equal risks both do. Harsanyi showed
    ``risk_i <= risk_j  <=>  N(x_i) <= N(x_j)`` with ``N`` the Nash product, so the decision is
    taken on Nash products, which is exact in floating point on ties.

    Concession step (Harsanyi's minimal sufficient concession): among individually rational
    Pareto deals that give the opponent more than ``x_i`` and give the party more than ``x_j``,
    take the one best for the party whose Nash product exceeds ``N(x_j)`` (so the opponent must
    concede next); if there is none, propose ``x_j`` (accept it). Each concession raises the
    larger Nash product on the table and never passes a Nash maximiser, so the protocol ends at a
    deal maximising the Nash product over the finite deal set (tested on generated deal sets).
    The first proposal is the party's best Pareto deal.
    """

    name: ClassVar[str] = "zeuthen"
    supports: ClassVar[frozenset[ProtocolKind]] = frozenset({ProtocolKind.MONOTONIC_CONCESSION})
    max_parties: ClassVar[int | None] = 2

    def propose(self, view: View, rng: np.random.Generator) -> FloatArray:
        s = view.setting
        me, other = view.me, 1 - view.me
        rows = np.intersect1d(s.frontier, s.rational)
        own = view.own_offers()
        if len(rows) == 0:  # no deal beats disagreement for both: never concede (conflict)
            return own[-1].deal.copy() if own else s.pick(me, s.best_utility(me))
        u = s.deal_utilities[rows]
        if not own:
            best = np.lexsort((-u[:, other], -u[:, me]))[0]
            return s.deal(rows[best])
        theirs = view.others_offers()
        mine_deal, mine_u = own[-1].deal, np.asarray(own[-1].utilities)
        if not theirs:
            return mine_deal.copy()
        their_deal, their_u = theirs[-1].deal, np.asarray(theirs[-1].utilities)
        d = s.reservations
        n_mine = float(nash_product(mine_u, d)[0])
        n_theirs = float(nash_product(their_u, d)[0])
        if n_mine > n_theirs + TOL:
            return mine_deal.copy()  # the opponent has less to risk: it concedes
        prods = nash_product(u, d)
        ok = (
            (u[:, other] > mine_u[other] + TOL)
            & (u[:, me] > their_u[me] + TOL)
            & (prods > n_theirs + TOL)
        )
        if not ok.any():
            return their_deal.copy()
        cand = np.flatnonzero(ok)
        best = cand[np.lexsort((-u[cand, other], -u[cand, me]))[0]]
        return s.deal(rows[best])

    @staticmethod
    def risk(own_of_own: float, own_of_theirs: float, disagreement: float) -> float:
        """Zeuthen's risk of a party whose proposal gives it ``own_of_own`` and the opponent's
        gives it ``own_of_theirs``."""
        gain = own_of_own - disagreement
        return 1.0 if gain <= 0 else (own_of_own - own_of_theirs) / gain

    def respond(self, view: View, offer: FloatArray) -> bool:
        # Under monotonic concession the protocol decides agreement; used only if asked.
        own = view.own_offers()
        if not own:
            return False
        return view.utility(offer) >= own[-1].utilities[view.me] - TOL


@dataclass(frozen=True)
class RubinsteinEquilibrium(Strategy):
    """Stationary subgame-perfect play of discounted alternating offers (Rubinstein 1982,
    *Econometrica* 50(1); Binmore, Rubinstein & Wolinsky 1986, *RAND J. Econ.* 17(2)).

    Gains are measured over the reservation values. With ``g_j = phi(g_i)`` the Pareto frontier of
    gains (piecewise-linear through the frontier deals), the proposer ``i`` asks for the gain
    ``a`` solving::

        phi(a) = delta_j * phi(delta_i * a)

    i.e. the responder is offered exactly the discounted value of being the proposer next round,
    and accepts any offer giving it at least that. On a unit pie (``phi(a) = 1 - a``) the first
    proposer gets ``(1 - delta_j) / (1 - delta_i * delta_j)``, accepted at once. The deadline is
    assumed not to bind (infinite-horizon play). On continuous spaces the offer interpolates
    between neighbouring frontier deals; otherwise it is the frontier deal best for the proposer
    that gives the responder its equilibrium value.
    """

    name: ClassVar[str] = "rubinstein"
    supports: ClassVar[frozenset[ProtocolKind]] = frozenset({ProtocolKind.ALTERNATING_OFFERS})
    max_parties: ClassVar[int | None] = 2

    def check(self, setting: Setting) -> None:
        super().check(setting)
        if all(u.discount >= 1.0 for u in setting.utilities):
            raise ValueError("rubinstein needs a discount factor below 1 for some party")

    @staticmethod
    def _curve(setting: Setting, me: int) -> tuple[IntArray, FloatArray, FloatArray]:
        """Frontier deals (rows), own gains ascending and the opponent's gains."""
        other = 1 - me
        rows = np.intersect1d(setting.frontier, setting.rational)
        g = setting.deal_utilities[rows] - setting.reservations
        order = np.lexsort((-g[:, other], g[:, me]))
        rows, g = rows[order], g[order]
        return rows, g[:, me], g[:, other]

    @classmethod
    def proposer_gain(cls, setting: Setting, me: int) -> float:
        """The equilibrium gain of ``me`` when it proposes."""
        _, own, opp = cls._curve(setting, me)
        if len(own) == 0:
            return 0.0
        di = setting.utilities[me].discount
        dj = setting.utilities[1 - me].discount

        def phi(a: float) -> float:
            return float(np.interp(a, own, opp) - dj * np.interp(di * a, own, opp))

        lo, hi = float(own[0]), float(own[-1])
        if phi(hi) >= 0:
            return hi
        if phi(lo) < 0:
            return lo
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if phi(mid) >= 0:
                lo = mid
            else:
                hi = mid
        return lo

    def propose(self, view: View, rng: np.random.Generator) -> FloatArray:
        s, me = view.setting, view.me
        rows, own, opp = self._curve(s, me)
        if len(rows) == 0:
            return s.pick(me, s.best_utility(me))
        a = self.proposer_gain(s, me)
        want = float(np.interp(a, own, opp))  # the responder's equilibrium gain
        hi = int(np.searchsorted(own, a))
        if all(i.kind is IssueKind.CONTINUOUS for i in s.space.issues) and 0 < hi < len(own):
            lo = hi - 1
            w = (a - own[lo]) / (own[hi] - own[lo]) if own[hi] > own[lo] else 0.0
            deal = (1 - w) * s.deal(rows[lo]) + w * s.deal(rows[hi])
            gains = np.asarray(s.utility_of(deal)) - s.reservations
            if gains[1 - me] >= want - 1e-9 and abs(gains[me] - a) <= 1e-9:
                return deal
        ok = np.flatnonzero(opp >= want - TOL)
        best = ok[np.argmax(own[ok])] if len(ok) else int(np.argmax(opp))
        return s.deal(rows[best])

    def respond(self, view: View, offer: FloatArray) -> bool:
        s, me = view.setting, view.me
        gain = view.utility(offer) - view.reservation
        value = s.utilities[me].discount * self.proposer_gain(s, me)
        return gain >= -TOL and gain >= value - 1e-9


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (TimeDependent, TitForTat, Zeuthen, RubinsteinEquilibrium)
}
