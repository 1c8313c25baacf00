"""Track 1 talks inside the diplomacy model: ripeness, power, misperception, durability.

Rules (docs/model.md, section 3.5):

- **Channel.** Talks can open or go on only while a Track 1 channel of the dyad whose two ends
  reach their governments (access >= metrics.min_access) is open and carries the settlement
  (its kind's ``mandate``, widened by dated events: the caller passes the levels as the talks
  read them, :meth:`~diplosim.engine.channels.Channels.talk_levels`): an embassy, a hotline or
  a back-channel. If all close, running talks are interrupted.
- **Blocked** (by an event plug-in, :meth:`diplosim.plugins.World.block_talks`): while the
  dyad's talks are blocked none open, and talks under way end in the step the block begins,
  outcome ``blocked``, as interrupted ones do (failure shock, cooldown); an agreement in force
  is not touched. Released, they open again by the rules here.
- **Ripeness** (Zartman 2000): a mutually hurting stalemate — tension >= ``hurting`` over the last
  ``window`` steps, varying by at most ``band`` — and a perceived way out — the governments'
  misperception <= ``way_out``. With rates per year the window is read in calendar time: its
  time-average >= ``hurting`` and its net change at most ``band`` (:func:`window_reading`).
- **Power.** Each side's disagreement (reservation) value is shifted by its share of capability:
  ``r' = r + power_weight (share - 1/2)``; a time-dependent strategy concedes from its best deal
  down to r', so the stronger side concedes less.
- **Misperception** hardens reservations: ``r'' = r' + misperception_weight m (1 - r')`` — a side
  that misreads the other's intentions holds out for more (Jervis 1976). Track 2 lowers m only
  through transfer (tension.py), which is how it shortens the road to agreement.
- **Stages** (staged talks, when the negotiation has ``stages``): talks that open pass ``count``
  stages, from pre-negotiation to a final text (Zartman & Berman 1982), before the protocol's
  rounds; a stage ends in a step with probability ``1 - exp(-rate * step)``. A closure of every
  direct channel interrupts them as it interrupts the rounds.
- **Win-sets** (structure 5, with ``win_sets``; docs/model.md 3.5c): each party's red lines
  (:mod:`~diplosim.engine.winsets`) cut its acceptable set. Talks that open take the settlement
  (every issue) where the two sets meet on every issue; else a **partial agreement** on the
  issues of another matter (a ceasefire, a humanitarian pause) where the sets meet and an open
  direct channel carries the matter; else they fail at once (``no_overlap``). A signed
  settlement goes to each party's ratifier the file names, which rejects it when its utility to
  the party is below the party's reservation plus ``ratifier_margin`` (``not_ratified``).
- **Outcomes.** An agreement lowers tension by ``agreement_relief``; failed or interrupted talks
  raise it by ``failure_shock`` and start a ``cooldown``.
- **Durability.** While an agreement is in force it breaks down in a step with hazard
  ``(base + suppression * shortfall) * (1 - civil_society * f)``, where shortfall is the weaker
  side's gap between its needs and its utility of the deal (power suppressing its underlying
  issues), and f the share of the dyad's unofficial channels open (Nilsson 2012: agreements that
  include civil society last longer). A breakdown raises tension by ``breakdown_shock``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import deque
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.events import LogEntry
from diplosim.engine.tension import Tension
from diplosim.engine.winsets import WinSets
from diplosim.negotiation import Party, Session, open_session
from diplosim.negotiation.context import Situation
from diplosim.scenario.compile import Compiled, CompiledNegotiation, partial_plan
from diplosim.scenario.dates import date_of
from diplosim.scenario.rates import hazard, relaxation, rounds_in_step

TALKS_COLUMNS = [
    "dyad", "talks", "opened", "ended", "outcome", "rounds", "agreed", "deal",
    "state_a", "state_b", "utility_a", "utility_b", "reservation_a", "reservation_b",
    "distance_to_nash", "tension_at_opening", "misperception_at_opening", "shortfall",
    "broke_down", "durability", "durability_censored", "agenda",
]

#: What talks under win-sets cover (the ``agenda`` of TALKS_COLUMNS): every issue, or the issues
#: of other matters only; without win-sets talks cover the settlement.
SETTLEMENT, PARTIAL = "settlement", "partial"


class Now(NamedTuple):
    """What the talks of a dyad read at the start of a step."""

    tension: float
    misperception: float
    channel_open: bool  # a direct Track 1 channel reaching both governments is open
    ripe: bool  # Talks.ripe over the tension window ending with this step's value
    unofficial_open_share: float  # f of the durability hazard


def window_reading(window: NDArray[np.float64], newest: int,
                   calendar: bool) -> tuple[Any, Any]:
    """The (level, change) of a full tension window: its values along axis 0, a ring whose
    newest value is at index ``newest`` (the oldest follows it). Per step: the lowest value and
    the range (max - min). In calendar time (rates per year): the time-average over the window
    (trapezoid rule over its ``len - 1`` steps) and the absolute net change between its two
    ends — both depend on the calendar window, not on how many steps sample it."""
    if not calendar:
        low = window.min(axis=0)
        return low, window.max(axis=0) - low
    last, first = window[newest], window[(newest + 1) % len(window)]
    mean = (window.sum(axis=0) - (first + last) / 2) / (len(window) - 1)
    return mean, np.abs(last - first)


class Thresholds(Protocol):
    """Ripeness thresholds: a scenario's RipenessSpec, or one value per replication of a
    batch."""

    @property
    def hurting(self) -> Any: ...
    @property
    def band(self) -> Any: ...
    @property
    def way_out(self) -> Any: ...


def ripe_window(r: Thresholds, level: Any, change: Any, misperception: Any) -> Any:
    """Ripeness from a window's (level, change) (:func:`window_reading`): hurting
    (``level >= hurting``), a stalemate (``change <= band``) and a way out
    (``misperception <= way_out``). On numbers or, for a batch, on arrays."""
    return (level >= r.hurting) & (change <= r.band) & (misperception <= r.way_out)


class Talks:
    """Negotiation between the governments of one dyad, run over the model's steps."""

    #: True while an event blocks the dyad's talks (the timeline sets it: events.Timeline)
    blocked: bool = False
    #: the scenario's calendar (start, time_unit), for the strategies' View.date; None: none
    calendar: tuple[dt.date, str] | None = None

    def __init__(self, neg: CompiledNegotiation, c: Compiled, min_access: float,
                 rng: np.random.Generator) -> None:
        self.neg = neg
        self.spec = neg.spec
        self.dynamics = c.step  # durations in steps, and the step in years when rates are per year
        self.rng = rng
        self.dyad = neg.dyad
        self.label = c.dyad_labels[neg.dyad]
        official = np.array([t == "1" for t in c.kinds.track], dtype=bool)[c.channel_kind]
        reach = (c.actor_access[c.channel_a] >= min_access) & (
            c.actor_access[c.channel_b] >= min_access)
        in_dyad = c.channel_dyad == neg.dyad
        self.direct = np.flatnonzero(in_dyad & official & reach)
        self.unofficial = np.flatnonzero(in_dyad & ~official)
        cap = c.capability[neg.party_state]
        self.share = cap / cap.sum() if cap.sum() > 0 else np.full(len(cap), 0.5)
        self.weaker = int(np.argmin(cap))
        self.state_ids = tuple(c.state_ids[s] for s in neg.party_state)
        self.parties_state = neg.party_state  # each party's state, in the scenario's numbering
        self.history: deque[float] = deque(maxlen=self.dynamics.window_values)
        self.session: Session | None = None
        self.current: dict[str, Any] | None = None
        self.in_force: dict[str, Any] | None = None
        self.cooldown_until = 0
        self.records: list[dict[str, Any]] = []
        stages = self.spec.stages
        self.stage_count = 0 if stages is None else stages.count
        # a stage's chance to end in a step: 1 - exp(-rate * step)
        self.stage_end = 0.0 if stages is None else relaxation(stages.rate,
                                                               self.dynamics.years or 1.0)
        self.stages_left = 0  # stages the running talks have yet to pass
        self.plan = neg.plan  # the plan of the talks under way (a partial agreement's: its own)
        names = tuple(p.name for p in neg.plan.parties)
        sizes = self.spec.win_sets
        #: structure 5: the parties' red lines, the issues of other matters, the ratifiers
        self.win_sets = (None if sizes is None
                         else WinSets(neg.plan.space, names, self.spec.red_lines, sizes))
        self.other_matters = {i.name: i.matter for i in self.spec.session.issues
                              if i.matter != "settlement"}
        self.ratifiers = {names.index(r.party) for r in self.spec.ratification}
        #: per other matter, whether each channel carries it (the channels' own arrays)
        self.carries: dict[str, NDArray[np.bool_]] = {}
        self.hurting_step = self.dynamics.years or 1.0  # hurting time a step adds

    # -- rules ---------------------------------------------------------------------------
    def ripe(self, misperception: float) -> bool:
        h = self.history
        if len(h) < self.dynamics.window_values:
            return False
        level, change = window_reading(np.array(h), len(h) - 1, self.dynamics.calendar)
        return bool(ripe_window(self.spec.ripeness, level, change, misperception))

    def reservations(self, misperception: float) -> NDArray[np.float64]:
        base = np.array([p.utility.reservation for p in self.neg.plan.parties])
        shifted = np.clip(base + self.spec.power_weight * (self.share - 0.5), 0.0, 0.95)
        hardened = shifted + self.spec.misperception_weight * misperception * (1.0 - shifted)
        return np.asarray(np.clip(hardened, 0.0, 0.95), dtype=float)

    def unofficial_open_share(self, levels: NDArray[np.int64]) -> float:
        """f: the share of the dyad's unofficial channels open."""
        return (np.count_nonzero(levels[self.unofficial]) / self.unofficial.size
                if self.unofficial.size else 0.0)

    def hazard(self, levels: NDArray[np.int64]) -> float:
        """Breakdown hazard of the agreement in force, at these channel levels."""
        return self.hazard_at(self.unofficial_open_share(levels))

    def hazard_at(self, open_share: float) -> float:
        """Breakdown hazard of the agreement in force, given the unofficial open share f."""
        d = self.spec.durability
        assert self.in_force is not None
        base = min(d.base_hazard + d.suppression * self.in_force["shortfall"], 1.0)
        h = float(base * (1.0 - d.civil_society * open_share))
        years = self.dynamics.years  # rates per year: the hazard of one step
        return h if years is None else hazard(h, years)

    def rounds(self, t: int) -> int:
        """Protocol rounds played at step ``t``: ``rounds_per_step``, or ``rounds_per_year``
        spread evenly over the steps (:func:`diplosim.scenario.rates.rounds_in_step`)."""
        per_year, years = self.spec.rounds_per_year, self.dynamics.years
        if per_year is None or years is None:
            return self.spec.rounds_per_step
        return rounds_in_step(t, per_year, years)

    def idle(self, t: int, now: Now) -> bool:
        """True if a step at ``t`` would only extend the tension history: no session, no
        agreement in force, and talks cannot open (cooldown, no channel or not ripe)."""
        return (self.session is None and self.in_force is None
                and not (t >= self.cooldown_until and now.channel_open and now.ripe
                         and not self.blocked))

    # -- one step ------------------------------------------------------------------------
    def now(self, tension: Tension, levels: NDArray[np.int64]) -> Now:
        """What a step reads at its start; extends the tension history by this step's value."""
        d = self.dyad
        tension_now, m = float(tension.tension[d]), float(tension.misperception[d])
        self.history.append(tension_now)
        if self.win_sets is not None and tension_now >= self.spec.ripeness.hurting:
            self.win_sets.hurting_time += self.hurting_step
        return Now(tension_now, m, bool((levels[self.direct] > 0).any()), self.ripe(m),
                   self.unofficial_open_share(levels))

    def step(self, t: int, tension: Tension, levels: NDArray[np.int64],
             now: Now | None = None) -> list[LogEntry]:
        """One step of the talks. ``now`` (:class:`Now`) may be given by a caller that computed
        it for many replications at once (:class:`~diplosim.engine.batch.Batch`, which keeps the
        tension window itself); the values are the same as :meth:`now` gives."""
        if now is None:
            now = self.now(tension, levels)
        tension_now, m, channel_open = now.tension, now.misperception, now.channel_open
        log: list[LogEntry] = []
        if self.in_force is not None:
            if self.rng.random() < self.hazard_at(now.unofficial_open_share):
                log.append(self.break_down(t, tension))
        elif self.session is not None:
            if self.blocked:
                log += self._finish(t, tension, "blocked")
            elif not channel_open:
                log += self._finish(t, tension, "interrupted")
            elif self.stages_left:
                log += self._advance(t)
            else:
                log += self._play(t, tension)
        elif t >= self.cooldown_until and channel_open and now.ripe and not self.blocked:
            log.append(self._open(t, tension_now, m, levels))
            if self.current is not None and self.current["agenda"] == "":
                log += self._finish(t, tension, "no_overlap")  # nothing the sets share
            elif self.dynamics.calendar and not self.stages_left:  # this step's rounds
                log += self._play(t, tension)
        return log

    def break_down(self, t: int, tension: Tension) -> LogEntry:
        """The agreement in force breaks down at step ``t`` (its hazard struck)."""
        assert self.in_force is not None
        tension.shock(self.dyad, self.spec.breakdown_shock)
        rec = self.in_force["record"]
        rec["broke_down"] = t
        rec["durability"] = t - rec["ended"]
        rec["durability_censored"] = False
        self.in_force = None
        self.cooldown_until = t + self.dynamics.cooldown
        return LogEntry(t, "agreement_breakdown", "", self.label, 0,
                        f"tension +{self.spec.breakdown_shock:g}")

    def _advance(self, t: int) -> list[LogEntry]:
        """Staged talks at step ``t``: the current stage ends with probability ``stage_end``;
        the rounds start in the step after the last."""
        if self.rng.random() >= self.stage_end:
            return []
        self.stages_left -= 1
        passed = self.stage_count - self.stages_left
        return [LogEntry(t, "talks_stage", "", self.label, 0,
                         f"stage {passed} of {self.stage_count} passed")]

    def _play(self, t: int, tension: Tension) -> list[LogEntry]:
        """The rounds of step ``t``; the talks' end if the session ends."""
        session = self.session
        assert session is not None
        if session.reads_situation:
            when = None if self.calendar is None else date_of(t - 1, *self.calendar)
            session.situation = Situation(t, when, float(tension.tension[self.dyad]))
        session.advance(self.rounds(t))
        if session.done:
            return self._finish(t, tension, str(session.reason))
        return []

    def agenda(self, levels: NDArray[np.int64]) -> tuple[str, tuple[str, ...]]:
        """What talks opening now can close under win-sets (:data:`SETTLEMENT` or
        :data:`PARTIAL`, with the partial agreement's issues; no issues: nothing), at these
        channel levels."""
        assert self.win_sets is not None
        space = self.neg.plan.space
        limits = [self.win_sets.limits(p) for p in range(2)]
        meet = []
        for k, issue in enumerate(space.issues):  # each issue's grid points both accept
            values = issue.points(self.neg.plan.spec.resolution)
            points = np.zeros((len(values), len(space.issues)))
            points[:, k] = values
            ok = np.ones(len(points), dtype=bool)
            for own in limits:
                for limit in own:
                    if limit.issue == k:
                        ok &= limit.accepts(points)
            meet.append(bool(ok.any()))
        if all(meet):
            return SETTLEMENT, space.names
        open_direct = self.direct[levels[self.direct] > 0]
        carried = {m for m, a in self.carries.items() if a[open_direct].any()}
        return PARTIAL, tuple(name for name, ok in zip(space.names, meet, strict=True)
                              if ok and self.other_matters.get(name) in carried)

    def _open(self, t: int, tension_now: float, m: float,
              levels: NDArray[np.int64] | None = None) -> LogEntry:
        issues: tuple[str, ...]
        agenda, issues = SETTLEMENT, ()
        plan = self.neg.plan
        if self.win_sets is not None:
            assert levels is not None
            agenda, issues = self.agenda(levels)
            if agenda == PARTIAL:
                found = partial_plan(self.neg, issues) if issues else None
                plan = found if found is not None else plan
                issues = issues if found is not None else ()
        reservation = self.reservations(m)
        limits = ([self.win_sets.limits(p, plan.space.names) for p in range(2)]
                  if self.win_sets is not None else [(), ()])
        parties = [Party(p.name, p.utility.with_reservation(float(r), lim), p.strategy)
                   for p, r, lim in zip(plan.parties, reservation, limits, strict=True)]
        s = plan.spec
        self.plan = plan
        self.session = open_session(plan, parties, self.rng, planned=True)
        self.stages_left = self.stage_count
        self.current = {
            "dyad": self.label, "talks": len(self.records) + 1, "opened": t,
            "state_a": self.state_ids[0], "state_b": self.state_ids[1],
            "reservation_a": float(reservation[0]), "reservation_b": float(reservation[1]),
            "tension_at_opening": tension_now, "misperception_at_opening": m,
            "agenda": agenda if self.win_sets is None or agenda == SETTLEMENT or issues
            else "",
        }
        return LogEntry(t, "talks_opened", "", self.label, 0,
                        f"{s.protocol}; reservations {reservation[0]:.2f}, {reservation[1]:.2f}"
                        + ("" if self.win_sets is None else f"; agenda {agenda}"
                           + (f" ({', '.join(issues)})" if agenda == PARTIAL else "")))

    def _finish(self, t: int, tension: Tension, outcome: str) -> list[LogEntry]:
        assert self.session is not None
        assert self.current is not None
        result = self.session.outcome()
        agreed = result.agreed and result.deal_vector is not None
        plan = self.plan
        # Utilities under the parties' own (unhardened) preferences.
        u = ([p.utility(np.asarray(result.deal_vector)) for p in plan.parties] if agreed
             else [math.nan, math.nan])
        if agreed and self.current["agenda"] == SETTLEMENT and any(
                u[p] < self.current[f"reservation_{'ab'[p]}"] + self._margin()
                for p in self.ratifiers):
            agreed, outcome = False, "not_ratified"
        rec = {
            **self.current, "ended": t, "outcome": outcome, "rounds": result.rounds,
            "agreed": agreed, "deal": json.dumps(result.deal) if result.agreed else "",
            "utility_a": math.nan, "utility_b": math.nan,
            "distance_to_nash": result.distance_to_nash, "shortfall": math.nan,
            "broke_down": math.nan, "durability": math.nan, "durability_censored": False,
        }
        self.session = None
        self.current = None
        self.stages_left = 0
        self.plan = self.neg.plan
        self.records.append(rec)
        if agreed:
            rec["utility_a"], rec["utility_b"] = u
            rec["shortfall"] = max(0.0, float(self.neg.needs[self.weaker]) - u[self.weaker])
            rec["durability_censored"] = True
            self.in_force = {"record": rec, "shortfall": rec["shortfall"]}
            tension.shock(self.dyad, -self.spec.agreement_relief)
            return [LogEntry(t, "agreement", "", self.label, 0,
                             f"deal {rec['deal']}; utilities {u[0]:.2f}, {u[1]:.2f}")]
        tension.shock(self.dyad, self.spec.failure_shock)
        self.cooldown_until = t + self.dynamics.cooldown
        return [LogEntry(t, "talks_failed", "", self.label, 0, outcome)]

    def _margin(self) -> float:
        """What a ratifier demands above its party's reservation (win-sets only)."""
        return 0.0 if self.spec.win_sets is None else self.spec.win_sets.ratifier_margin

    def finish_run(self, t: int) -> list[dict[str, Any]]:
        """Records at the end of a run: durability of an agreement still in force is censored."""
        if self.in_force is not None:
            rec = self.in_force["record"]
            rec["durability"] = t - rec["ended"]
        return self.records
