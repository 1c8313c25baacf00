"""Sessions computed whole: :class:`AlternatingOffers` and :class:`SingleText` as array code
over their rounds, with the same offers, trace, result and stream.

Between parties whose strategies are the built-in :class:`TimeDependent` or :class:`TitForTat`,
an alternating-offers session draws no random numbers and reads nothing of the run around it
(its :attr:`~Session.situation`), so every round's offer and response follow from the setting
alone. :class:`PlannedAlternatingOffers` computes them when its first round is played: for
time-dependent parties every round at once (each party's targets ``F(t)`` for all rounds, the
deals :meth:`Setting.pick_rows` offers at them, the responder's AC_next test on the
single-deal utilities :attr:`Setting.single_utilities`); with a tit-for-tat party round by round,
as its target reads the offers before it.

:class:`PlannedSingleText` does the same for a single-text session between time-dependent
parties and the built-in :class:`Mediator`: the mediator's revisions draw from the session's
stream, so the rounds are computed ahead on a copy of it, and the session's own stream is set,
whenever rounds are played, to where those rounds leave it — the stream's numbers after a
planned session are those after the per-round one, however far it went.

Both then only count rounds (:meth:`~Session.advance` jumps; :attr:`~Session.rounds_left` is
known), and :meth:`~Session.result` writes the offers and the trace the rounds played would
have written. The results equal the per-round sessions' bit for bit
(tests/negotiation/test_planned.py); a scenario's talks open sessions this way
(``open_session(..., planned=True)``), a session file the per-round way.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from diplosim.negotiation.context import IntArray, Offer
from diplosim.negotiation.issues import FloatArray
from diplosim.negotiation.measures import TOL
from diplosim.negotiation.protocols import (
    MEDIATOR,
    AlternatingOffers,
    Mediator,
    Party,
    Session,
    SingleText,
)
from diplosim.negotiation.strategies import TimeDependent, TitForTat
from diplosim.negotiation.trace import Action, EndReason, NegotiationResult, TraceEvent

#: The strategies whose sessions can be computed whole (exact types: a subclass may differ).
PLANNED_STRATEGIES = (TimeDependent, TitForTat)


def plannable(parties: Sequence[Party]) -> bool:
    """True if an alternating-offers session between ``parties`` can be computed whole."""
    return len(parties) == 2 and all(type(p.strategy) in PLANNED_STRATEGIES for p in parties)


def plannable_text(parties: Sequence[Party], mediator: Mediator | None) -> bool:
    """True if a single-text session between ``parties`` with ``mediator`` can be computed
    ahead."""
    return (mediator is None or type(mediator) is Mediator) and all(
        type(p.strategy) is TimeDependent for p in parties)


class _Planned(Session):
    """What the sessions computed whole share: the rounds planned when the first is played
    (:meth:`_plan`), then played in jumps, the trace written when the result is asked. They
    take their protocol's arguments."""

    reads_situation = False
    _refused: ClassVar[str]  # why the parties cannot be planned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self._plannable():
            raise ValueError(self._refused)
        self._planned = False
        self._accept_at: int | None = None  # the round whose offer is accepted; None: none
        self._written = -1  # the rounds played when offers and trace were last written

    @abstractmethod
    def _plannable(self) -> bool: ...

    @abstractmethod
    def _plan(self) -> None:
        """Every round up to the agreement (setting ``_accept_at``) or the deadline."""

    @abstractmethod
    def _agreed(self) -> FloatArray:
        """The deal agreed in round ``_accept_at``."""

    @abstractmethod
    def _write(self) -> None:
        """The offers and trace events of the rounds played, as the per-round session writes
        them."""

    def _moved(self) -> None:
        """What the session shows after rounds were played (its text, its stream): nothing."""

    @property
    def _last(self) -> int:
        """The session's last round: the agreeing one, or the deadline's."""
        return self.setting.deadline - 1 if self._accept_at is None else self._accept_at

    @property
    def rounds_left(self) -> int | None:
        return self._last + 1 - self.played if self._planned else None

    def step(self) -> None:
        self.advance(1)

    def advance(self, rounds: int) -> None:
        """Play up to ``rounds`` rounds at once: the same state as as many :meth:`step` of the
        per-round session."""
        if self.done or rounds <= 0:
            return
        if not self._planned:
            self._plan()
            self._planned = True
        last = self._last
        self.played += min(rounds, last + 1 - self.played)
        self._moved()
        if self.played <= last:
            self.round = self.played
        elif self._accept_at is not None:
            self.round = last
            self._deal = self._agreed()
            self._agreement_round = last
            self._reason = EndReason.AGREEMENT
        else:
            self.round = self.setting.deadline
            self._reason = EndReason.DEADLINE

    def result(self) -> NegotiationResult:
        if self._written != self.played:
            self._write()
            self._written = self.played
        return super().result()


class PlannedAlternatingOffers(_Planned, AlternatingOffers):
    """:class:`AlternatingOffers` between time-dependent or tit-for-tat parties, its rounds
    computed at once when the first is played. ``offers`` and the trace are written when
    :meth:`result` is asked (until then ``offers`` is empty)."""

    _refused = "a planned session needs two time-dependent or tit-for-tat parties"
    _rows: IntArray  # the offer of each round, up to the last (set by _plan)

    def _plannable(self) -> bool:
        return plannable(self.parties)

    def _agreed(self) -> FloatArray:
        return self.setting.known_deal(self._rows[self._last])

    def _plan(self) -> None:
        s = self.setting
        if all(type(p.strategy) is TimeDependent for p in self.parties):
            self._plan_time_dependent()
            return
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
                self._accept_at = t
                break
        self._rows = np.array(rows, dtype=np.intp)

    def _plan_time_dependent(self) -> None:
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
        self._rows = rows
        if ok.any():
            self._accept_at = int(np.argmax(ok))
            self._rows = rows[: self._accept_at + 1]

    def _write(self) -> None:
        s = self.setting
        names = [p.name for p in self.parties]
        self.offers = []
        events: list[TraceEvent] = []
        single = s.single_utilities  # utility_of's numbers for each deal
        for t in range(self.played):
            p = (self.first + t) % 2
            deal = s.deal(self._rows[t])
            utilities = tuple(single[self._rows[t]].tolist())
            vec = tuple(deal.tolist())
            self.offers.append(Offer(t, p, deal, utilities, t))
            events.append(TraceEvent(len(events), t, names[p], Action.OFFER, vec, utilities))
            action = Action.ACCEPT if t == self._accept_at else Action.REJECT
            events.append(TraceEvent(len(events), t, names[1 - p], action, vec, utilities))
        if self.done:
            events.append(self._closing_event(len(events)))
        self._events = events


class PlannedSingleText(_Planned, SingleText):
    """:class:`SingleText` between time-dependent parties, with the built-in mediator: its rounds
    computed when the first is played, on a copy of the session's stream (see the module)."""

    _refused = "a planned single text needs time-dependent parties and the built-in mediator"
    # set by _plan: the text after 0, 1, ... rounds; per round each party's signature; per
    # round but the agreeing one the mediator's draft, the parties vetoing it and the stream's
    # state after the round
    _texts: list[FloatArray]
    _signs: list[list[bool]]
    _drafts: list[tuple[FloatArray, list[int], Mapping[str, Any]]]

    def _plannable(self) -> bool:
        return plannable_text(self.parties, self.mediator)

    def _agreed(self) -> FloatArray:
        return np.asarray(self.text, dtype=np.float64).copy()

    def _plan(self) -> None:
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
        self._texts, self._signs, self._drafts = [text], [], []
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

    def _moved(self) -> None:
        revised = min(self.played, len(self._drafts))  # rounds that drew a revision
        if revised:
            self.rng.bit_generator.state = self._drafts[revised - 1][2]
        self.text = self._texts[revised]

    def _write(self) -> None:
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
                break  # the agreement: the closing event
            draft, vetoes, _ = self._drafts[t]
            self.offers.append(Offer(t, -1, draft, s.utility_of(draft), len(self.offers)))
            log(MEDIATOR, t, Action.PROPOSE, draft, "revision")
            for i in vetoes:
                log(names[i], t, Action.VETO, draft)
            if not vetoes:
                log(MEDIATOR, t, Action.MOVE, draft)
        if self.done:
            events.append(self._closing_event(len(events)))
        self._events = events


__all__ = ["PLANNED_STRATEGIES", "PlannedAlternatingOffers", "PlannedSingleText", "plannable",
           "plannable_text"]
