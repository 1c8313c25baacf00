"""Closed-form results: Rubinstein (1982) and Zeuthen–Harsanyi (1930/1956)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplosim.negotiation import (
    AlternatingOffers,
    EndReason,
    Issue,
    LinearAdditiveUtility,
    MonotonicConcession,
    OutcomeSpace,
    Party,
    RubinsteinEquilibrium,
    Zeuthen,
    nash_product,
    run_alternating_offers,
    run_monotonic_concession,
)

TOL = 1e-9
PIE = OutcomeSpace((Issue.continuous("share"),))


def pie_parties(d1: float, d2: float) -> list[Party]:
    eq = RubinsteinEquilibrium()
    return [
        Party(
            "one", LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 1}, discount=d1), eq
        ),
        Party(
            "two", LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 0}, discount=d2), eq
        ),
    ]


DISCOUNTS = [(0.9, 0.8), (0.5, 0.5), (0.99, 0.95), (0.3, 0.9), (0.95, 0.2), (1.0, 0.6), (0.7, 1.0)]


@pytest.mark.parametrize(("d1", "d2"), DISCOUNTS)
@pytest.mark.parametrize("resolution", [11, 101, 1001])
def test_rubinstein_first_proposer_share_accepted_at_once(
    d1: float, d2: float, resolution: int
) -> None:
    res = run_alternating_offers(
        PIE, pie_parties(d1, d2), deadline=50, rng=np.random.default_rng(0), resolution=resolution
    )
    share = (1 - d2) / (1 - d1 * d2)
    assert res.agreed
    assert res.rounds == 1
    assert res.agreement_round == 0
    assert res.utilities[0] == pytest.approx(share, abs=TOL)
    assert res.utilities[1] == pytest.approx(1 - share, abs=TOL)
    assert res.discounted_utilities == res.utilities


@pytest.mark.parametrize(("d1", "d2"), DISCOUNTS)
def test_rubinstein_second_party_proposing_first(d1: float, d2: float) -> None:
    res = run_alternating_offers(
        PIE, pie_parties(d1, d2), deadline=50, rng=np.random.default_rng(0), first=1
    )
    assert res.rounds == 1
    assert res.utilities[1] == pytest.approx((1 - d1) / (1 - d1 * d2), abs=TOL)


@given(
    d1=st.floats(0.05, 0.99),
    d2=st.floats(0.05, 0.99),
)
@settings(max_examples=40)
def test_rubinstein_any_discounts(d1: float, d2: float) -> None:
    res = run_alternating_offers(PIE, pie_parties(d1, d2), deadline=5, rng=np.random.default_rng(0))
    assert res.rounds == 1
    assert res.utilities[0] == pytest.approx((1 - d2) / (1 - d1 * d2), abs=TOL)


def test_rubinstein_responder_rejects_less_than_its_continuation_value() -> None:
    parties = pie_parties(0.9, 0.8)
    session = AlternatingOffers(PIE, parties, deadline=10, rng=np.random.default_rng(0))
    view = session._view(1)
    value = 0.8 * (1 - 0.9) / (1 - 0.72)  # two's discounted proposer share
    assert not parties[1].strategy.respond(view, np.array([1 - value + 1e-6]))
    assert parties[1].strategy.respond(view, np.array([1 - value]))


def test_rubinstein_needs_some_discounting() -> None:
    with pytest.raises(ValueError, match="discount factor below 1"):
        AlternatingOffers(PIE, pie_parties(1.0, 1.0), deadline=5, rng=np.random.default_rng(0))


# -- Zeuthen / Harsanyi -------------------------------------------------------------------------


def random_discrete_problem(rng: np.random.Generator) -> tuple[OutcomeSpace, list[Party]]:
    n_issues = int(rng.integers(1, 4))
    issues = tuple(
        Issue.discrete(f"i{k}", list(range(int(rng.integers(2, 6))))) for k in range(n_issues)
    )
    space = OutcomeSpace(issues)
    parties = []
    for name in ("a", "b"):
        weights = {
            i.name: float(w) for i, w in zip(issues, rng.random(n_issues) + 0.01, strict=True)
        }
        ideal: dict[str, int] = {}
        scores: dict[str, dict[int, float]] = {}
        for i in issues:
            if rng.random() < 0.5:
                # coarse scores make ties in utilities (and in Nash products) likely
                scores[i.name] = {
                    int(o): float(v)
                    for o, v in zip(i.options, rng.integers(0, 4, len(i.options)) / 3, strict=True)
                }
            else:
                ideal[i.name] = int(rng.integers(len(i.options)))
        u = LinearAdditiveUtility.create(
            space, weights, ideal, scores=scores, reservation=float(rng.uniform(0, 0.4))
        )
        parties.append(Party(name, u, Zeuthen()))
    return space, parties


def test_zeuthen_ends_at_the_nash_product_maximiser_on_generated_deal_sets() -> None:
    checked = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        space, parties = random_discrete_problem(rng)
        session = MonotonicConcession(space, parties, deadline=1000, rng=rng)
        s = session.setting
        nash = s.nash
        if nash is None:
            continue
        res = session.run()
        assert res.agreed, f"seed {seed}: {res.reason}"
        best = nash.value
        got = float(nash_product(np.asarray(res.utilities), s.reservations)[0])
        assert got == pytest.approx(best, abs=1e-12), f"seed {seed}"
        assert res.distance_to_nash == pytest.approx(0.0, abs=1e-12) or got == pytest.approx(best)
        checked += 1
    assert checked > 300


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_zeuthen_nash_property(seed: int) -> None:
    rng = np.random.default_rng(seed)
    space, parties = random_discrete_problem(rng)
    res = run_monotonic_concession(space, parties, deadline=1000, rng=rng)
    s = MonotonicConcession(space, parties, deadline=1000, rng=rng).setting
    if s.nash is None:
        assert not res.agreed
        return
    got = float(nash_product(np.asarray(res.utilities), s.reservations)[0])
    assert got == pytest.approx(s.nash.value, abs=1e-12)


def test_zeuthen_on_the_unit_pie_reaches_the_even_split() -> None:
    z = Zeuthen()
    parties = [
        Party("one", LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 1}), z),
        Party("two", LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 0}), z),
    ]
    res = run_monotonic_concession(PIE, parties, deadline=200, rng=np.random.default_rng(0))
    assert res.agreed
    assert res.reason is EndReason.AGREEMENT
    assert res.utilities == pytest.approx((0.5, 0.5), abs=TOL)


def test_zeuthen_the_party_with_less_to_risk_concedes() -> None:
    # d = (0, 0); proposals x1 = 0.9 (N = 0.09), x2 = 0.3 (N = 0.21): party one risks
    # (0.9 - 0.3)/0.9 = 0.667 < (0.7 - 0.1)/0.7 = 0.857, so one concedes, two stands still.
    assert Zeuthen.risk(0.9, 0.3, 0.0) == pytest.approx(2 / 3)
    assert Zeuthen.risk(0.7, 0.1, 0.0) == pytest.approx(6 / 7)
    assert Zeuthen.risk(0.2, 0.1, 0.2) == 1.0
    space = OutcomeSpace((Issue.discrete("x", [0, 1, 2, 3, 4]),))
    one = {0: 0.0, 1: 0.5, 2: 0.7, 3: 0.9, 4: 1.0}
    two = {0: 1.0, 1: 0.6, 2: 0.4, 3: 0.2, 4: 0.0}
    z = Zeuthen()
    parties = [
        Party("one", LinearAdditiveUtility.create(space, {"x": 1}, scores={"x": one}), z),
        Party("two", LinearAdditiveUtility.create(space, {"x": 1}, scores={"x": two}), z),
    ]
    session = MonotonicConcession(space, parties, deadline=20, rng=np.random.default_rng(0))
    session.step()  # both open with their best deals: 4 and 0, both Nash products 0
    session.step()  # equal risks: both concede, minimally: to 3 (N = 0.18) and 1 (N = 0.30)
    assert [o.deal[0] for o in session.offers[-2:]] == [3.0, 1.0]
    session.step()  # one risks less (0.18 < 0.30): it concedes; nothing between beats 0.30,
    assert not session.done or session.result().deal == {"x": 1}  # so it accepts two's offer
    res = session.run()
    assert res.agreed
    assert res.deal == {"x": 1}
    assert res.rounds == 3
