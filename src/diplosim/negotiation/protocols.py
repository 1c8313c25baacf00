"""Negotiation protocols as steppable sessions, and run-to-end functions.

Every protocol is a class whose instance advances one round per :meth:`Session.step` (so a
simulation can run talks over its own steps) and reports :attr:`Session.done` and
:meth:`Session.result` at any time; ``run_*`` functions build a session and step it to the end.
The deadline is a number of rounds; a session that reaches it ends without agreement.

- :class:`AlternatingOffers` — Rubinstein (1982); Ståhl (1972) for the deadline. Two parties.
- :class:`MonotonicConcession` — Rosenschein & Zlotkin (1994). Two parties, simultaneous offers.
- :class:`SingleText` — mediated single negotiating text (Fisher 1978 and Raiffa 1982, ch. 14,
  on Camp David; the hill-climbing vote of Klein, Faratin, Sayama & Bar-Yam 2003). Any number.
- :class:`StackedAlternatingOffers` — multilateral stacked alternating offers with unanimity
  (Aydoğan, Festen, Hindriks & Jonker 2017). Any number of parties.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from diplosim.negotiation.context import Offer, ProtocolKind, Setting, Situation, View
from diplosim.negotiation.issues import FloatArray, IssueKind, OutcomeSpace
from diplosim.negotiation.measures import TOL, distance, distance_to_pareto, social_welfare
from diplosim.negotiation.strategies import Strategy
from diplosim.negotiation.trace import Action, EndReason, NegotiationResult, TraceEvent
from diplosim.negotiation.utilities import LinearAdditiveUtility
from diplosim.plugins import Parameters

MEDIATOR = "mediator"


class Outcome(NamedTuple):
    """What a scenario's talks read of a session (:meth:`Session.outcome`): the fields of
    :class:`NegotiationResult` of the same names, the same values, without the trace and the
    measures the talks do not read."""

    reason: EndReason
    agreed: bool
    deal: dict[str, Any] | None
    deal_vector: tuple[float, ...] | None
    rounds: int
    distance_to_nash: float


@dataclass(frozen=True)
class Party:
    """A negotiating party: a name, its preferences and its strategy."""

    name: str
    utility: LinearAdditiveUtility
    strategy: Strategy


class Session(ABC):
    """A negotiation in progress. Subclasses implement one round in :meth:`_round`."""

    kind: ClassVar[ProtocolKind]  # a plug-in's: the built-in kind whose offers it follows
    min_parties: ClassVar[int] = 2
    max_parties: ClassVar[int | None] = None
    Parameters: ClassVar[type[Parameters]] = Parameters  # a plug-in's (none: protocols take none)
    #: Where the session stands in a scenario's run (the talks set it before each step's
    #: rounds; the strategies read it in their View); all None outside a scenario.
    situation: Situation = Situation()
    #: False for a session whose rounds never read :attr:`situation` (the talks then skip
    #: setting it)
    reads_situation: ClassVar[bool] = True

    def __init__(
        self,
        space: OutcomeSpace,
        parties: Sequence[Party],
        *,
        deadline: int,
        rng: np.random.Generator,
        resolution: int = 101,
    ) -> None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        n = len(parties)
        if n < self.min_parties or (self.max_parties is not None and n > self.max_parties):
            most = self.max_parties if self.max_parties is not None else "any number of"
            raise ValueError(f"{self.kind} needs {self.min_parties} to {most} parties, got {n}")
        names = [p.name for p in parties]
        if len(set(names)) != n or MEDIATOR in names:
            raise ValueError(f"party names must be unique and not {MEDIATOR!r}: {names}")
        self.parties = tuple(parties)
        self.setting = Setting(
            self.kind, space, tuple(p.utility for p in parties), deadline, resolution
        )
        for p in parties:
            p.strategy.check(self.setting)
        self.rng = rng
        self.round = 0
        self.played = 0
        self.offers: list[Offer] = []
        self._events: list[TraceEvent] = []
        self._reason = EndReason.ONGOING
        self._deal: FloatArray | None = None
        self._agreement_round: int | None = None

    # -- public surface -------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._reason is not EndReason.ONGOING

    @property
    def reason(self) -> EndReason:
        """Why the session ended (``ongoing`` while not done)."""
        return self._reason

    @property
    def rounds_left(self) -> int | None:
        """The rounds the session has yet to play before it ends, if known in advance (a
        session computed whole, :mod:`~diplosim.negotiation.planned`, once its first round is
        played); None if not."""
        return None

    def advance(self, rounds: int) -> None:
        """Play up to ``rounds`` rounds, fewer if the session ends (as many :meth:`step`)."""
        for _ in range(rounds):
            if self.done:
                return
            self.step()

    def step(self) -> None:
        """Play one round (no-op once done)."""
        if self.done:
            return
        self._round()
        self.played += 1
        if not self.done:
            self.round += 1
            if self.round >= self.setting.deadline:
                self._end(EndReason.DEADLINE)

    def run(self) -> NegotiationResult:
        """Step to the end and return the result."""
        while not self.done:
            self.step()
        return self.result()

    def outcome(self) -> Outcome:
        """The outcome so far, without the trace and the measures beyond the distance to the
        Nash point: what :meth:`result` gives in those fields, at less cost."""
        s = self.setting
        if self._deal is None:
            return Outcome(self._reason, False, None, None, self.played, math.nan)
        nash = s.nash
        d_nash = (math.nan if nash is None
                  else distance(s.utility_of(self._deal), nash.utilities))
        return Outcome(self._reason, True, s.space.decode(self._deal),
                       tuple(float(v) for v in self._deal), self.played, d_nash)

    def result(self) -> NegotiationResult:
        """The outcome so far (``reason`` is ``ongoing`` while not done)."""
        s = self.setting
        o = self.outcome()
        agreed = o.agreed
        if self._deal is not None:
            utilities = s.utility_of(self._deal)
            t = self._agreement_round or 0
            disc = tuple(u.discount**t * v for u, v in zip(s.utilities, utilities, strict=True))
        else:
            utilities = tuple(float(r) for r in s.reservations)
            disc = utilities
        nash = s.nash
        nash_u = None if nash is None else nash.utilities
        smooth = s.n_parties == 2 and not any(i.kind is IssueKind.DISCRETE for i in s.space.issues)
        d_pareto = (
            distance_to_pareto(utilities, s.deal_utilities[s.frontier], interpolate=smooth)
            if agreed
            else math.nan
        )
        return NegotiationResult(
            protocol=self.kind,
            parties=tuple(p.name for p in self.parties),
            issues=s.space.names,
            agreed=agreed,
            reason=self._reason,
            deal=o.deal,
            deal_vector=o.deal_vector,
            utilities=utilities,
            discounted_utilities=disc,
            rounds=self.played,
            agreement_round=self._agreement_round,
            nash_deal=None if nash is None else s.space.decode(s.deals[nash.index]),
            nash_utilities=nash_u,
            distance_to_nash=o.distance_to_nash,
            distance_to_pareto=d_pareto,
            social_welfare=social_welfare(utilities),
            trace=tuple(self._events),
            space=s.space,
        )

    # -- helpers for subclasses ------------------------------------------------------------
    @abstractmethod
    def _round(self) -> None:
        """Play round ``self.round``; call :meth:`_agree` or :meth:`_end` to finish."""

    def _view(self, i: int) -> View:
        return View(self.setting, i, self.round, self.offers, *self.situation)

    def _log(
        self, party: int, action: Action, deal: FloatArray | None = None, note: str = ""
    ) -> None:
        who = MEDIATOR if party < 0 else self.parties[party].name
        vec = None if deal is None else tuple(float(v) for v in deal)
        utils = None if deal is None else self.setting.utility_of(deal)
        self._events.append(
            TraceEvent(len(self._events), self.round, who, action, vec, utils, note)
        )

    def _offer(self, i: int) -> Offer:
        deal = self.setting.space.clip(self.parties[i].strategy.propose(self._view(i), self.rng))
        return self._put(i, deal)

    def _put(self, i: int, deal: FloatArray, note: str = "", seen: int | None = None) -> Offer:
        known = len(self.offers) if seen is None else seen
        offer = Offer(self.round, i, deal, self.setting.utility_of(deal), known)
        self.offers.append(offer)
        self._log(i, Action.OFFER if i >= 0 else Action.PROPOSE, deal, note)
        return offer

    def _respond(self, i: int, deal: FloatArray) -> bool:
        ok = bool(self.parties[i].strategy.respond(self._view(i), deal))
        self._log(i, Action.ACCEPT if ok else Action.REJECT, deal)
        return ok

    def _agree(self, deal: FloatArray) -> None:
        self._deal = np.asarray(deal, dtype=np.float64).copy()
        self._agreement_round = self.round
        self._reason = EndReason.AGREEMENT
        self._events.append(self._closing_event(len(self._events)))

    def _end(self, reason: EndReason) -> None:
        self._reason = reason
        self._events.append(self._closing_event(len(self._events)))

    def _closing_event(self, index: int) -> TraceEvent:
        """The trace's last event, event ``index``, of a session that has ended: the agreement,
        or the breakdown."""
        if self._deal is not None:
            return TraceEvent(index, self.round, "", Action.AGREE,
                              tuple(float(v) for v in self._deal),
                              self.setting.utility_of(self._deal))
        return TraceEvent(index, max(self.played - 1, 0), "", Action.BREAKDOWN,
                          note=str(self._reason))


class AlternatingOffers(Session):
    """Bilateral alternating offers with a deadline (Rubinstein 1982, *Econometrica* 50(1)).

    In round ``t`` the proposer (``first`` in even rounds, the other party in odd ones) makes an
    offer; the responder accepts, ending the session with that deal at round ``t``, or rejects and
    proposes in round ``t + 1``. After ``deadline`` rounds both get their reservation values.
    """

    kind = ProtocolKind.ALTERNATING_OFFERS
    max_parties = 2

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
        super().__init__(space, parties, deadline=deadline, rng=rng, resolution=resolution)
        if first not in (0, 1):
            raise ValueError("first must be 0 or 1")
        self.first = first

    def _round(self) -> None:
        proposer = (self.first + self.round) % 2
        offer = self._offer(proposer)
        if self._respond(1 - proposer, offer.deal):
            self._agree(offer.deal)


class MonotonicConcession(Session):
    """The monotonic concession protocol (Rosenschein & Zlotkin 1994, *Rules of Encounter*).

    Each round both parties propose at once. If a proposal gives the other party at least as much
    as that party's own proposal, and both parties at least their reservation values, it is agreed
    (if both proposals qualify, one of the two is drawn with ``rng``).
    Otherwise each party may concede (give the other strictly more than its previous proposal) or
    stand still; a proposal giving the other less than before counts as standing still
    (monotonicity). If nobody concedes in a round, the session ends in conflict.
    """

    kind = ProtocolKind.MONOTONIC_CONCESSION
    max_parties = 2

    def __init__(
        self,
        space: OutcomeSpace,
        parties: Sequence[Party],
        *,
        deadline: int,
        rng: np.random.Generator,
        resolution: int = 101,
    ) -> None:
        super().__init__(space, parties, deadline=deadline, rng=rng, resolution=resolution)
        self._last: list[Offer | None] = [None, None]

    def _round(self) -> None:
        seen = len(self.offers)
        views = [self._view(0), self._view(1)]  # both decide on the same history
        deals = [
            self.setting.space.clip(p.strategy.propose(v, self.rng))
            for p, v in zip(self.parties, views, strict=True)
        ]
        conceded = False
        new: list[Offer] = []
        for i in (0, 1):
            prev = self._last[i]
            deal, note = deals[i], ""
            if prev is not None:
                gives = self.setting.utilities[1 - i](deal)
                if gives > prev.utilities[1 - i] + TOL:
                    conceded, note = True, "concede"
                else:
                    deal, note = prev.deal, "stand"  # no retraction: stands still
            new.append(self._put(i, deal, note, seen))
        self._last = [new[0], new[1]]
        r = self.setting.reservations
        ok = [
            new[1 - i].utilities[i] >= max(new[i].utilities[i], r[i]) - TOL
            and new[1 - i].utilities[1 - i] >= r[1 - i] - TOL
            for i in (0, 1)
        ]
        for i in (0, 1):
            self._log(i, Action.ACCEPT if ok[i] else Action.REJECT, new[1 - i].deal)
        if ok[0] and ok[1]:
            self._agree(new[int(self.rng.integers(2))].deal)
        elif ok[0] or ok[1]:
            self._agree(new[1].deal if ok[0] else new[0].deal)
        elif self.round > 0 and not conceded:
            self._end(EndReason.CONFLICT)


@dataclass(frozen=True)
class Mediator:
    """The mediator of a single-text negotiation.

    ``start`` is ``"centre"`` (the middle of every issue), ``"nash"`` (the Nash point of the deal
    set: an analytic mediator who knows the parties' preferences, Raiffa 1982) or an explicit deal
    vector. Each round the mediator revises one issue drawn at random: a continuous issue moves by
    a normal step of standard deviation ``step * (high - low)``, a discrete one to a neighbouring
    option (Klein et al. 2003).
    """

    step: float = 0.1
    start: str | tuple[float, ...] = "centre"

    def __post_init__(self) -> None:
        if not self.step > 0:
            raise ValueError("mediator step must be > 0")
        if isinstance(self.start, str) and self.start not in ("centre", "nash"):
            raise ValueError("mediator start must be 'centre', 'nash' or a deal")

    def initial(self, setting: Setting) -> FloatArray:
        if self.start == "nash":
            nash = setting.nash
            return setting.space.centre() if nash is None else setting.deals[nash.index].copy()
        if self.start == "centre":
            return setting.space.centre()
        return setting.space.clip(np.asarray(self.start, dtype=np.float64))

    def revise(self, text: FloatArray, space: OutcomeSpace, rng: np.random.Generator) -> FloatArray:
        out = text.copy()
        k = int(rng.integers(len(space.issues)))
        issue = space.issues[k]
        if issue.kind is IssueKind.CONTINUOUS:
            out[k] = out[k] + rng.normal(0.0, self.step * issue.span)
        elif len(issue.options) > 1:
            out[k] = out[k] + (1 if rng.random() < 0.5 else -1)
            if not issue.low <= out[k] <= issue.high:
                out[k] = text[k] - (out[k] - text[k])
        return space.clip(out)


class SingleText(Session):
    """Mediated single negotiating text (Fisher 1978; Raiffa 1982, ch. 14: Camp David 1978).

    The mediator holds one text. Each round every party is asked to sign it (its strategy's
    ``respond``, e.g. a time-dependent aspiration); if all sign, it is agreed. Otherwise the
    mediator proposes a revision; each party vetoes it if the revision would make it worse off
    than the current text (the hill-climbing vote of Klein et al. 2003, *Group Decision and
    Negotiation* 12(2)); with no veto the text moves to the revision. The deadline ends the
    session without agreement.
    """

    kind = ProtocolKind.SINGLE_TEXT

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
        super().__init__(space, parties, deadline=deadline, rng=rng, resolution=resolution)
        self.mediator = mediator or Mediator()
        self.text = self.mediator.initial(self.setting)
        self._put(-1, self.text, "initial text")

    def _round(self) -> None:
        signs = [self._respond(i, self.text) for i in range(len(self.parties))]
        if all(signs):
            self._agree(self.text)
            return
        draft = self.mediator.revise(self.text, self.setting.space, self.rng)
        self._put(-1, draft, "revision")
        u_now = self.setting.utility_of(self.text)
        u_new = self.setting.utility_of(draft)
        vetoes = [i for i in range(len(self.parties)) if u_new[i] < u_now[i] - TOL]
        for i in vetoes:
            self._log(i, Action.VETO, draft)
        if not vetoes:
            self.text = draft
            self._log(-1, Action.MOVE, draft)


class StackedAlternatingOffers(Session):
    """Stacked alternating offers for several parties (Aydoğan, Festen, Hindriks & Jonker 2017,
    *Modern Approaches to Agent-based Complex Automated Negotiation*, SAOP).

    Parties act in turn, one turn each per round. The first turn makes an offer. Every later
    turn either accepts the standing offer or rejects it by making a counter-offer, which replaces
    it. An offer is agreed only when all other parties have accepted it in a row (unanimity).
    """

    kind = ProtocolKind.STACKED_ALTERNATING_OFFERS

    def __init__(
        self,
        space: OutcomeSpace,
        parties: Sequence[Party],
        *,
        deadline: int,
        rng: np.random.Generator,
        resolution: int = 101,
    ) -> None:
        super().__init__(space, parties, deadline=deadline, rng=rng, resolution=resolution)
        self.standing: Offer | None = None
        self.accepted: set[int] = set()

    def _round(self) -> None:
        n = len(self.parties)
        for i in range(n):
            if self.standing is not None and self._respond(i, self.standing.deal):
                self.accepted.add(i)
                if len(self.accepted) == n - 1:
                    self._agree(self.standing.deal)
                    return
                continue
            self.standing = self._offer(i)
            self.accepted = set()


def run_alternating_offers(
    space: OutcomeSpace,
    parties: Sequence[Party],
    *,
    deadline: int,
    rng: np.random.Generator,
    first: int = 0,
    resolution: int = 101,
) -> NegotiationResult:
    """Run :class:`AlternatingOffers` to the end."""
    return AlternatingOffers(
        space, parties, deadline=deadline, rng=rng, first=first, resolution=resolution
    ).run()


def run_monotonic_concession(
    space: OutcomeSpace,
    parties: Sequence[Party],
    *,
    deadline: int,
    rng: np.random.Generator,
    resolution: int = 101,
) -> NegotiationResult:
    """Run :class:`MonotonicConcession` to the end."""
    return MonotonicConcession(
        space, parties, deadline=deadline, rng=rng, resolution=resolution
    ).run()


def run_single_text(
    space: OutcomeSpace,
    parties: Sequence[Party],
    *,
    deadline: int,
    rng: np.random.Generator,
    mediator: Mediator | None = None,
    resolution: int = 101,
) -> NegotiationResult:
    """Run :class:`SingleText` to the end."""
    return SingleText(
        space, parties, deadline=deadline, rng=rng, mediator=mediator, resolution=resolution
    ).run()


def run_stacked_alternating_offers(
    space: OutcomeSpace,
    parties: Sequence[Party],
    *,
    deadline: int,
    rng: np.random.Generator,
    resolution: int = 101,
) -> NegotiationResult:
    """Run :class:`StackedAlternatingOffers` to the end."""
    return StackedAlternatingOffers(
        space, parties, deadline=deadline, rng=rng, resolution=resolution
    ).run()


PROTOCOLS: dict[ProtocolKind, type[Session]] = {
    ProtocolKind.ALTERNATING_OFFERS: AlternatingOffers,
    ProtocolKind.MONOTONIC_CONCESSION: MonotonicConcession,
    ProtocolKind.SINGLE_TEXT: SingleText,
    ProtocolKind.STACKED_ALTERNATING_OFFERS: StackedAlternatingOffers,
}
