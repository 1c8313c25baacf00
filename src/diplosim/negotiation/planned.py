"""Alternating offers computed whole: the same session as :class:`AlternatingOffers`, as array
code over its rounds.

Between parties whose strategies are the built-in :class:`TimeDependent` or :class:`TitForTat`,
an alternating-offers session draws no random numbers and reads nothing of the run around it
(its :attr:`~Session.situation`), so every round's offer and response follow from the setting
alone. :class:`PlannedAlternatingOffers` computes them when its first round is played: for
time-dependent parties every round at once (each party's targets ``F(t)`` for all rounds, the
deals :meth:`Setting.pick_rows` offers at them, the responder's AC_next test on the
single-deal utilities :attr:`Setting.single_utilities`); with a tit-for-tat party round by round,
as its target reads the offers before it. The steps then only count rounds, and
:meth:`~Session.result` writes the offers and the trace the rounds played would have written.
The results equal :class:`AlternatingOffers`' bit for bit (tests/test_planned.py); a scenario's
talks open sessions this way (``open_session(..., planned=True)``), a session file the
per-round way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from diplosim.negotiation.context import IntArray, Offer
from diplosim.negotiation.issues import OutcomeSpace
from diplosim.negotiation.measures import TOL
from diplosim.negotiation.protocols import AlternatingOffers, Party
from diplosim.negotiation.strategies import TimeDependent, TitForTat
from diplosim.negotiation.trace import Action, EndReason, NegotiationResult, TraceEvent

#: The strategies whose sessions can be computed whole (exact types: a subclass may differ).
PLANNED_STRATEGIES = (TimeDependent, TitForTat)


def plannable(parties: Sequence[Party]) -> bool:
    """True if an alternating-offers session between ``parties`` can be computed whole."""
    return len(parties) == 2 and all(type(p.strategy) in PLANNED_STRATEGIES for p in parties)


class PlannedAlternatingOffers(AlternatingOffers):
    """:class:`AlternatingOffers` between time-dependent or tit-for-tat parties, its rounds
    computed at once when the first is played. ``offers`` and the trace are written when
    :meth:`result` is asked (until then ``offers`` is empty); :meth:`advance` jumps over the
    rounds between."""

    reads_situation = False

    def __init__(
        self,
        space: OutcomeSpace,
        parties: Sequence[Party],
        *,
        deadline: int,
        rng: np.random.Generator,
        first: int = 0,
        resolution: int = 101,
    ) -> None:
        super().__init__(space, parties, deadline=deadline, rng=rng, first=first,
                         resolution=resolution)
        if not plannable(self.parties):
            raise ValueError("a planned session needs two time-dependent or tit-for-tat parties")
        self._rows: IntArray | None = None  # the offer of each round, up to the last
        self._accept_at: int | None = None  # the round whose offer is accepted; None: none
        self._written = -1  # the rounds played when offers and trace were last written

    def _round(self) -> None:
        if self._rows is None:
            self._rows, self._accept_at = self._plan()
        if self.round == self._accept_at:
            self._deal = self.setting.known_deal(self._rows[self.round])
            self._agreement_round = self.round
            self._reason = EndReason.AGREEMENT

    @property
    def rounds_left(self) -> int | None:
        """The rounds the session has yet to play before it ends (by agreement or at the
        deadline); None until its first round computes them."""
        if self._rows is None or self.done:
            return None if self._rows is None else 0
        last = self.setting.deadline - 1 if self._accept_at is None else self._accept_at
        return last + 1 - self.played

    def advance(self, rounds: int) -> None:
        """Play up to ``rounds`` rounds at once: the same state as as many :meth:`step`."""
        if self.done or rounds <= 0:
            return
        if self._rows is None:
            self._rows, self._accept_at = self._plan()
        deadline = self.setting.deadline
        last = deadline - 1 if self._accept_at is None else self._accept_at  # its last round
        k = min(rounds, last + 1 - self.played)
        self.played += k
        if self.played <= last:
            self.round += k
        elif self._accept_at is not None:
            self.round = last
            self._round()  # the agreement
        else:
            self.round = deadline
            self._end(EndReason.DEADLINE)

    def _end(self, reason: EndReason) -> None:
        self._reason = reason  # its trace event is written with the others by result()

    def _plan(self) -> tuple[IntArray, int | None]:
        """The offer of every round and the round whose offer is accepted (None: none)."""
        s = self.setting
        if all(type(p.strategy) is TimeDependent for p in self.parties):
            return self._plan_time_dependent()
        single = s.single_utilities
        r = [float(v) for v in s.reservations]
        best = [s.best_utility(i) for i in (0, 1)]
        rows: list[int] = []
        # per party: its own offers' utilities to it, and the other's offers' utilities to it
        own: list[list[float]] = [[], []]
        theirs: list[list[float]] = [[], []]

        def target(i: int, round_: int) -> float:
            strategy = self.parties[i].strategy
            if isinstance(strategy, TimeDependent):
                f = strategy.concession(round_, s.deadline)
                return float(r[i] + (1.0 - f) * (best[i] - r[i]))
            if not own[i]:
                return best[i]
            # in alternating offers the other offered after this party's own last offer
            conceded = theirs[i][-1] - theirs[i][-2] if len(theirs[i]) >= 2 else 0.0
            return min(max(own[i][-1] - conceded, r[i]), best[i])

        for t in range(s.deadline):
            p = (self.first + t) % 2
            q = 1 - p
            row = int(s.pick_rows(p, np.array([target(p, t)]))[0])
            rows.append(row)
            own[p].append(float(single[row, p]))
            theirs[q].append(float(single[row, q]))
            u = theirs[q][-1]
            later = int(s.pick_rows(q, np.array([target(q, t + 1)]))[0])
            if u >= r[q] - TOL and u >= float(single[later, q]) - TOL:
                return np.array(rows, dtype=np.intp), t
        return np.array(rows, dtype=np.intp), None

    def _plan_time_dependent(self) -> tuple[IntArray, int | None]:
        """Both parties time-dependent: every round at once."""
        s = self.setting
        deadline = s.deadline
        r, best = s.reservations, s.best_utilities
        picks = np.empty((2, deadline + 1), dtype=np.intp)  # each party's offer at each round
        for i, p in enumerate(self.parties):
            strategy = p.strategy
            assert isinstance(strategy, TimeDependent)
            f = strategy.concessions(deadline)
            picks[i] = s.pick_rows(i, r[i] + (1.0 - f) * (best[i] - r[i]))
        t = np.arange(deadline)
        proposer = (self.first + t) % 2
        responder = 1 - proposer
        rows = picks[proposer, t]
        u = s.single_utilities[rows, responder]
        # AC_next: individually rational and at least what the responder would offer next
        ok = (u >= r[responder] - TOL) & (
            u >= s.single_utilities[picks[responder, t + 1], responder] - TOL)
        if not ok.any():
            return rows, None
        at = int(np.argmax(ok))
        return rows[: at + 1], at

    def result(self) -> NegotiationResult:
        if self._written != self.played:
            self._write()
        return super().result()

    def _write(self) -> None:
        """The offers and trace events of the rounds played, as the per-round session writes
        them."""
        s = self.setting
        names = [p.name for p in self.parties]
        self.offers = []
        events: list[TraceEvent] = []
        rows = self._rows if self._rows is not None else np.zeros(0, dtype=np.intp)
        single = s.single_utilities  # utility_of's numbers for each deal
        for t in range(self.played):
            p = (self.first + t) % 2
            deal = s.deal(rows[t])
            utilities = tuple(single[rows[t]].tolist())
            vec = tuple(deal.tolist())
            self.offers.append(Offer(t, p, deal, utilities, t))
            events.append(TraceEvent(len(events), t, names[p], Action.OFFER, vec, utilities))
            action = Action.ACCEPT if t == self._accept_at else Action.REJECT
            events.append(TraceEvent(len(events), t, names[1 - p], action, vec, utilities))
        if self._deal is not None:
            events.append(TraceEvent(len(events), self.round, "", Action.AGREE,
                                     tuple(float(v) for v in self._deal),
                                     s.utility_of(self._deal)))
        elif self.done:
            events.append(TraceEvent(len(events), max(self.played - 1, 0), "",
                                     Action.BREAKDOWN, note=str(self._reason)))
        self._events = events
        self._written = self.played


__all__ = ["PLANNED_STRATEGIES", "PlannedAlternatingOffers", "plannable"]
