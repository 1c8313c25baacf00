"""Alternating offers computed whole (PlannedAlternatingOffers) against the per-round session:
the same offers, responses, trace and result, bit for bit, on generated problems."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplosim.negotiation import (
    AlternatingOffers,
    Issue,
    LinearAdditiveUtility,
    Mediator,
    OutcomeSpace,
    Party,
    RubinsteinEquilibrium,
    SingleText,
    TimeDependent,
    TitForTat,
)
from diplosim.negotiation.context import Setting
from diplosim.negotiation.planned import (
    PlannedAlternatingOffers,
    PlannedSingleText,
    plannable,
    plannable_text,
)
from diplosim.negotiation.trace import NegotiationResult
from diplosim.negotiation.utilities import Limit


def same(a: NegotiationResult, b: NegotiationResult) -> None:
    """Every field equal (NaN equal to NaN)."""
    for f in fields(NegotiationResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, float) and math.isnan(x):
            assert isinstance(y, float), f.name
            assert math.isnan(y), f.name
        else:
            assert x == y, f.name


@st.composite
def problems(draw: st.DrawFn) -> tuple[OutcomeSpace, list[Party], int, int, int]:
    n_cont = draw(st.integers(0, 2))
    n_disc = draw(st.integers(0 if n_cont else 1, 2))
    issues = [Issue.continuous(f"c{k}", 0, draw(st.floats(1, 100))) for k in range(n_cont)]
    issues += [Issue.discrete(f"d{k}", list(range(draw(st.integers(2, 5)))))
               for k in range(n_disc)]
    space = OutcomeSpace(tuple(issues))
    parties = []
    for p in range(2):
        weights = {i.name: draw(st.floats(0.05, 1)) for i in issues}
        ideal = {i.name: draw(st.floats(i.low, i.high)) if i.kind == "continuous"
                 else draw(st.sampled_from(i.options)) for i in issues}
        u = LinearAdditiveUtility.create(space, weights, ideal,
                                         reservation=draw(st.floats(0, 0.7)))
        if draw(st.booleans()):  # red lines on some issues (win-sets)
            k = draw(st.integers(0, len(issues) - 1))
            issue = issues[k]
            if issue.kind == "continuous":
                cut = draw(st.floats(issue.low, issue.high))
                limit = Limit(k, low=cut) if draw(st.booleans()) else Limit(k, high=cut)
            else:
                limit = Limit(k, excluded=(draw(st.sampled_from(range(len(issue.options)))),))
            u = replace(u, limits=(limit,))
        strategy = (TitForTat() if draw(st.booleans()) else
                    TimeDependent(e=draw(st.floats(0.1, 6)), k=draw(st.floats(0, 0.5))))
        parties.append(Party(f"p{p}", u, strategy))
    if draw(st.booleans()):  # both time-dependent: the every-round-at-once path
        parties = [Party(p.name, p.utility, TimeDependent(e=draw(st.floats(0.1, 6))))
                   for p in parties]
    return (space, parties, draw(st.integers(1, 30)), draw(st.integers(0, 1)),
            draw(st.sampled_from([2, 5, 11])))


@given(problems())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_planned_session_equals_the_per_round_one(
    problem: tuple[OutcomeSpace, list[Party], int, int, int],
) -> None:
    space, parties, deadline, first, resolution = problem
    kw = {"deadline": deadline, "first": first, "resolution": resolution}
    slow = AlternatingOffers(space, parties, rng=np.random.default_rng(0), **kw)
    fast = PlannedAlternatingOffers(space, parties, rng=np.random.default_rng(0), **kw)
    while not slow.done:  # step by step: the result so far and the offers agree at each
        slow.step()
        fast.step()
        assert fast.done == slow.done
        same(fast.result(), slow.result())
        assert [(o.round, o.party, o.deal.tolist(), o.utilities, o.seen) for o in fast.offers] \
            == [(o.round, o.party, o.deal.tolist(), o.utilities, o.seen) for o in slow.offers]
    assert fast.done


@given(problems(), st.lists(st.integers(0, 12), min_size=1, max_size=12))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_advancing_many_rounds_equals_stepping_them(
    problem: tuple[OutcomeSpace, list[Party], int, int, int], chunks: list[int],
) -> None:
    """advance(k), as the talks play a step's rounds, leaves the session as k steps of the
    per-round one; outcome() holds result()'s values."""
    space, parties, deadline, first, resolution = problem
    kw = {"deadline": deadline, "first": first, "resolution": resolution}
    slow = AlternatingOffers(space, parties, rng=np.random.default_rng(0), **kw)
    fast = PlannedAlternatingOffers(space, parties, rng=np.random.default_rng(0), **kw)
    for k in [*chunks, deadline]:
        slow.advance(k)
        fast.advance(k)
        assert (fast.round, fast.played, fast.done, fast.reason) \
            == (slow.round, slow.played, slow.done, slow.reason)
        same(fast.result(), slow.result())
        for session in (fast, slow):
            result, outcome = session.result(), session.outcome()
            for name in outcome._fields:
                x, y = getattr(outcome, name), getattr(result, name)
                assert x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)), name
    assert fast.done


@given(problems(), st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_pick_rows_are_the_picks(problem: tuple[OutcomeSpace, list[Party], int, int, int],
                                 targets: list[float]) -> None:
    space, parties, deadline, _, resolution = problem
    s = Setting(AlternatingOffers.kind, space, tuple(p.utility for p in parties), deadline,
                resolution)
    for party in (0, 1):
        rows = s.pick_rows(party, np.array(targets))
        assert [s.deals[r].tolist() for r in rows] == [s.pick(party, t).tolist() for t in targets]


@given(problems(), st.floats(0, 0.95), st.booleans())
@settings(max_examples=100, deadline=None)
def test_with_reservation_is_replace(problem: tuple[OutcomeSpace, list[Party], int, int, int],
                                     reservation: float, keep_limits: bool) -> None:
    """The talks' with_reservation gives the utility dataclasses.replace gives: every field
    (the weights normalised once more, to the bit) and every deal's utility."""
    space = problem[0]
    for party in problem[1]:
        u = party.utility
        limits = u.limits if keep_limits else ()
        fast, slow = u.with_reservation(reservation, limits), replace(
            u, reservation=reservation, limits=limits)
        assert [getattr(fast, f.name) for f in fields(slow)] \
            == [getattr(slow, f.name) for f in fields(slow)]
        deals = space.grid(5)
        assert [fast(d) for d in deals] == [slow(d) for d in deals]
    with pytest.raises(ValueError, match="reservation"):
        problem[1][0].utility.with_reservation(1.0)


def test_single_utilities_are_each_deals_own() -> None:
    space = OutcomeSpace((Issue.continuous("a", 0, 3), Issue.discrete("b", ["x", "y", "z"])))
    u = LinearAdditiveUtility.create(space, {"a": 0.7, "b": 0.3}, {"a": 1.1, "b": "y"})
    v = replace(u, limits=(Limit(0, high=2.0), Limit(1, excluded=(2,))))
    s = Setting(AlternatingOffers.kind, space, (u, v), 5, 7)
    assert s.single_utilities.tolist() == [list(s.utility_of(d)) for d in s.deals]
    assert (s.single_utilities[:, 1] == -1.0).sum() == 7 * 3 - 5 * 2  # outside v's lines


def test_only_time_dependent_and_tit_for_tat_are_planned() -> None:
    space = OutcomeSpace((Issue.continuous("a"),))
    u = LinearAdditiveUtility.create(space, {"a": 1}, {"a": 1.0}, discount=0.9)
    w = LinearAdditiveUtility.create(space, {"a": 1}, {"a": 0.0}, discount=0.9)
    assert plannable([Party("x", u, TimeDependent()), Party("y", w, TitForTat())])
    eq = [Party("x", u, RubinsteinEquilibrium()), Party("y", w, RubinsteinEquilibrium())]
    assert not plannable(eq)
    with pytest.raises(ValueError, match="time-dependent or tit-for-tat"):
        PlannedAlternatingOffers(space, eq, deadline=5, rng=np.random.default_rng(0))


@given(problems(), st.integers(2, 3), st.sampled_from(["centre", "nash"]),
       st.floats(0.02, 0.5), st.integers(0, 2**31), st.lists(st.integers(0, 9), max_size=8))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_planned_single_text_equals_the_per_round_one(
    problem: tuple[OutcomeSpace, list[Party], int, int, int], n: int, start: str, step: float,
    seed: int, chunks: list[int],
) -> None:
    """Step by step and in jumps: the same result, offers, text and stream (the next number
    drawn after any number of rounds) as SingleText; the mediator draws from the stream."""
    space, parties, deadline, _, resolution = problem
    parties = [Party(f"p{i}", parties[i % 2].utility, TimeDependent(e=0.3 + i))
               for i in range(n)]
    mediator = Mediator(step=step, start=start)
    kw = {"deadline": deadline, "resolution": resolution, "mediator": mediator}
    slow = SingleText(space, parties, rng=np.random.default_rng(seed), **kw)
    fast = PlannedSingleText(space, parties, rng=np.random.default_rng(seed), **kw)
    assert plannable_text(parties, mediator)
    for k in [*chunks, 1, deadline]:
        slow.advance(k)
        fast.advance(k)
        assert (fast.round, fast.played, fast.done, fast.reason) \
            == (slow.round, slow.played, slow.done, slow.reason)
        assert fast.text.tolist() == slow.text.tolist()
        assert fast.rng.bit_generator.state == slow.rng.bit_generator.state
        same(fast.result(), slow.result())
        assert [(o.round, o.party, o.deal.tolist(), o.utilities, o.seen) for o in fast.offers] \
            == [(o.round, o.party, o.deal.tolist(), o.utilities, o.seen) for o in slow.offers]
    assert fast.done


def test_only_time_dependent_parties_and_the_mediator_plan_a_single_text() -> None:
    space = OutcomeSpace((Issue.continuous("a"),))
    u = LinearAdditiveUtility.create(space, {"a": 1}, {"a": 1.0})
    w = LinearAdditiveUtility.create(space, {"a": 1}, {"a": 0.0})
    td = [Party("x", u, TimeDependent()), Party("y", w, TimeDependent(e=2))]
    assert plannable_text(td, None)

    class Own(TimeDependent):  # a subclass may play otherwise
        pass

    class Other(Mediator):
        pass

    own = [td[0], Party("y", w, Own())]
    assert not plannable_text(own, None)
    assert not plannable_text(td, Other())
    with pytest.raises(ValueError, match="time-dependent parties"):
        PlannedSingleText(space, own, deadline=5, rng=np.random.default_rng(0))
