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

:class:`PlannedSingleText` does the same for a single-text session between time-dependent
parties and the built-in :class:`Mediator`: the mediator's revisions draw from the session's
stream, so the rounds are computed ahead on a copy of it, and the session's own stream is set,
whenever rounds are played, to where those rounds leave it — the stream's numbers after a
planned session are those after the per-round one, however far it went.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diplosim.negotiation.context import IntArray, Offer
from diplosim.negotiation.issues import FloatArray, OutcomeSpace
from diplosim.negotiation.measures import TOL
from diplosim.negotiation.protocols import (
    MEDIATOR,
    AlternatingOffers,
    Mediator,
    Party,
    SingleText,
)
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
        if self._rows is None:
            return None
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


def plannable_text(parties: Sequence[Party], mediator: Mediator | None) -> bool:
    """True if a single-text session between ``parties`` with ``mediator`` can be computed
    ahead."""
    return (mediator is None or type(mediator) is Mediator) and all(
        type(p.strategy) is TimeDependent for p in parties)


class PlannedSingleText(SingleText):
    """:class:`SingleText` between time-dependent parties, with the built-in mediator: its rounds
    computed when the first is played, on a copy of the session's stream (see the module)."""

    reads_situation = False

    def __init__(
        self,
        space: OutcomeSpace,
        parties: Sequence[Party],
        *,
        deadline: int,
        rng: np.random.Generator,
        mediator: Mediator | None = None,
        resolution: int = 101,
    ) -> None:
        super().__init__(space, parties, deadline=deadline, rng=rng, mediator=mediator,
                         resolution=resolution)
        if not plannable_text(self.parties, mediator):
            raise ValueError("a planned single text needs time-dependent parties and the "
                             "built-in mediator")
        self._texts: list[FloatArray] = []  # the text after 0, 1, ... rounds
        self._signs: list[list[bool]] = []  # per round, each party's signature
        #: per round but the agreeing one: the mediator's draft, the parties vetoing it, and
        #: the stream's state after the round
        self._drafts: list[tuple[FloatArray, list[int], Mapping[str, Any]]] = []
        self._accept_at: int | None = None  # the round in which every party signs
        self._written = -1

    @property
    def rounds_left(self) -> int | None:
        if not self._texts:
            return None
        last = self.setting.deadline - 1 if self._accept_at is None else self._accept_at
        return last + 1 - self.played

    def _plan(self) -> None:
        """Every round up to the agreement or the deadline, as SingleText plays them."""
        s = self.setting
        n, deadline = len(self.parties), s.deadline
        r = [float(v) for v in s.reservations]
        later = []  # per party and round: its utility of what it would propose next (AC_next)
        for i, p in enumerate(self.parties):
            strategy = p.strategy
            assert isinstance(strategy, TimeDependent)
            f = strategy.concessions(deadline)[1:]
            best = float(s.best_utilities[i])
            later.append(s.single_utilities[s.pick_rows(i, r[i] + (1.0 - f) * (best - r[i])),
                                            i].tolist())
        ahead = np.random.Generator(type(self.rng.bit_generator)(0))
        ahead.bit_generator.state = self.rng.bit_generator.state
        text = self.text
        self._texts.append(text)
        for t in range(deadline):
            u_text = s.utility_of(text)
            signs = [u_text[i] >= r[i] - TOL and u_text[i] >= later[i][t] - TOL
                     for i in range(n)]
            self._signs.append(signs)
            if all(signs):
                self._accept_at = t
                return
            draft = self.mediator.revise(text, s.space, ahead)
            u_new = s.utility_of(draft)
            vetoes = [i for i in range(n) if u_new[i] < u_text[i] - TOL]
            self._drafts.append((draft, vetoes, ahead.bit_generator.state))
            if not vetoes:
                text = draft
            self._texts.append(text)

    def step(self) -> None:
        self.advance(1)

    def advance(self, rounds: int) -> None:
        """Play up to ``rounds`` rounds at once: the same state (text, stream) as as many
        :meth:`step`."""
        if self.done or rounds <= 0:
            return
        if not self._texts:
            self._plan()
        deadline = self.setting.deadline
        last = deadline - 1 if self._accept_at is None else self._accept_at
        self.played += min(rounds, last + 1 - self.played)
        revised = min(self.played, len(self._drafts))  # rounds that drew a revision
        if revised:
            self.rng.bit_generator.state = self._drafts[revised - 1][2]
        self.text = self._texts[revised]
        if self.played <= last:
            self.round = self.played
        elif self._accept_at is not None:
            self.round = last
            self._deal = np.asarray(self.text, dtype=np.float64).copy()
            self._agreement_round = last
            self._reason = EndReason.AGREEMENT
        else:
            self.round = deadline
            self._reason = EndReason.DEADLINE

    def result(self) -> NegotiationResult:
        if self._written != self.played:
            self._write()
        return super().result()

    def _write(self) -> None:
        """The offers and trace events of the rounds played, as SingleText writes them."""
        s = self.setting
        del self.offers[1:]  # the initial text stays
        events = self._events[:1]
        names = [p.name for p in self.parties]

        def log(who: str, t: int, action: Action, deal: FloatArray, note: str = "") -> None:
            events.append(TraceEvent(len(events), t, who, action,
                                     tuple(float(v) for v in deal), s.utility_of(deal), note))

        for t in range(self.played):
            text = self._texts[t]
            for i, ok in enumerate(self._signs[t]):
                log(names[i], t, Action.ACCEPT if ok else Action.REJECT, text)
            if t == self._accept_at:
                log("", t, Action.AGREE, text)
                break
            draft, vetoes, _ = self._drafts[t]
            self.offers.append(Offer(t, -1, draft, s.utility_of(draft), len(self.offers)))
            log(MEDIATOR, t, Action.PROPOSE, draft, "revision")
            for i in vetoes:
                log(names[i], t, Action.VETO, draft)
            if not vetoes:
                log(MEDIATOR, t, Action.MOVE, draft)
        if self.done and self._deal is None:
            events.append(TraceEvent(len(events), max(self.played - 1, 0), "",
                                     Action.BREAKDOWN, note=str(self._reason)))
        self._events = events
        self._written = self.played


__all__ = ["PLANNED_STRATEGIES", "PlannedAlternatingOffers", "PlannedSingleText", "plannable",
           "plannable_text"]
