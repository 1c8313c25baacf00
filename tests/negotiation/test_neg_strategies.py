"""Strategies pinned down by their behaviour against given opponents."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplosim.negotiation import (
    AlternatingOffers,
    Issue,
    LinearAdditiveUtility,
    OutcomeSpace,
    Party,
    ProtocolKind,
    Strategy,
    TimeDependent,
    TitForTat,
    View,
    run_alternating_offers,
)

PIE = OutcomeSpace((Issue.continuous("share"),))
MINE = LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 1})
THEIRS = LinearAdditiveUtility.create(PIE, {"share": 1}, {"share": 0})


@dataclass(frozen=True)
class Scripted(Strategy):
    """Offers a fixed sequence of shares (of the pie's ``share`` issue), never accepts."""

    shares: tuple[float, ...]
    name: ClassVar[str] = "scripted"

    def propose(self, view: View, rng: np.random.Generator) -> np.ndarray:
        k = len(view.own_offers())
        return np.array([self.shares[min(k, len(self.shares) - 1)]])

    def respond(self, view: View, offer: np.ndarray) -> bool:
        return False


def own_offers(result_trace: object, party: str) -> list[float]:
    return [ev.utilities[0] for ev in result_trace if ev.party == party and ev.action == "offer"]  # type: ignore[attr-defined]


def test_time_dependent_target_follows_faratin_formula() -> None:
    s = AlternatingOffers(
        PIE,
        [Party("a", MINE, TimeDependent(e=0.5, k=0.1)), Party("b", THEIRS, TimeDependent())],
        deadline=11,
        rng=np.random.default_rng(0),
    )
    td = TimeDependent(e=0.5, k=0.1)
    for t in range(11):
        view = View(s.setting, 0, t, [])
        f = 0.1 + 0.9 * (t / 10) ** (1 / 0.5)
        assert td.target(view) == pytest.approx(1 - f, abs=1e-12)


@pytest.mark.parametrize(("e", "shape"), [(0.2, "boulware"), (1.0, "linear"), (5.0, "conceder")])
def test_concession_shapes(e: float, shape: str) -> None:
    res = run_alternating_offers(
        PIE,
        [Party("a", MINE, TimeDependent(e=e)), Party("b", THEIRS, Scripted((0.0,)))],
        deadline=21,
        rng=np.random.default_rng(0),
    )
    demands = own_offers(res.trace, "a")  # a's utility of its own offers at t = 0, 2, ..., 20
    assert demands[0] == pytest.approx(1.0)
    assert all(x >= y - 1e-12 for x, y in itertools.pairwise(demands))
    mid = demands[len(demands) // 2]  # t = 10 of 20: linear would be 0.5
    if shape == "boulware":
        assert mid > 0.8
    elif shape == "linear":
        assert mid == pytest.approx(0.5, abs=0.01)
    else:
        assert mid < 0.2


def test_presets() -> None:
    assert TimeDependent.boulware().e < 1 < TimeDependent.conceder().e
    assert TimeDependent.linear().e == 1
    with pytest.raises(ValueError, match="e must be"):
        TimeDependent(e=0)


@given(
    deadline=st.integers(10, 120),
    e_b=st.floats(0.05, 0.5),
    e_c=st.floats(2.0, 10.0),
    boulware_first=st.booleans(),
    resolution=st.sampled_from([101, 1001]),
)
@settings(max_examples=60)
def test_boulware_beats_conceder_when_they_agree(
    deadline: int, e_b: float, e_c: float, boulware_first: bool, resolution: int
) -> None:
    boulware = Party("boulware", MINE, TimeDependent(e=e_b))
    conceder = Party("conceder", THEIRS, TimeDependent(e=e_c))
    parties = [boulware, conceder] if boulware_first else [conceder, boulware]
    res = run_alternating_offers(
        PIE, parties, deadline=deadline, rng=np.random.default_rng(0), resolution=resolution
    )
    if res.agreed:
        assert res.utility_of("boulware") > res.utility_of("conceder")


def test_boulware_beats_conceder_on_two_issues() -> None:
    space = OutcomeSpace((Issue.continuous("troops"), Issue.continuous("aid")))
    a = LinearAdditiveUtility.create(space, {"troops": 0.7, "aid": 0.3}, {"troops": 1, "aid": 0})
    b = LinearAdditiveUtility.create(space, {"troops": 0.4, "aid": 0.6}, {"troops": 0, "aid": 1})
    for deadline in (10, 30, 60):
        for ea, eb in ((0.2, 5.0), (5.0, 0.2)):
            res = run_alternating_offers(
                space,
                [Party("a", a, TimeDependent(e=ea)), Party("b", b, TimeDependent(e=eb))],
                deadline=deadline,
                rng=np.random.default_rng(0),
                resolution=21,
            )
            assert res.agreed
            boulware, conceder = ("a", "b") if ea < eb else ("b", "a")
            assert res.utility_of(boulware) > res.utility_of(conceder)


def test_tit_for_tat_mirrors_concessions() -> None:
    # The opponent's offers give "tft" shares 0.1, 0.2, 0.4, 0.4, 0.3: concessions of
    # 0.1 and 0.2, then firmness, then a retraction of 0.1. TfT answers in kind.
    opponent = Scripted((0.1, 0.2, 0.4, 0.4, 0.3))
    res = run_alternating_offers(
        PIE,
        [Party("tft", MINE, TitForTat()), Party("opp", THEIRS, opponent)],
        deadline=12,
        rng=np.random.default_rng(0),
    )
    assert not res.agreed
    demands = own_offers(res.trace, "tft")
    assert demands == pytest.approx([1.0, 1.0, 0.9, 0.7, 0.7, 0.8], abs=1e-9)


def test_tit_for_tat_accepts_when_the_offer_beats_its_next_demand() -> None:
    opponent = Scripted((0.2, 0.4, 0.6, 0.8))
    res = run_alternating_offers(
        PIE,
        [Party("tft", MINE, TitForTat()), Party("opp", THEIRS, opponent)],
        deadline=20,
        rng=np.random.default_rng(0),
    )
    # tft demands 1.0, 1.0, 0.8; the opponent then offers 0.6, which equals tft's next demand
    # (0.8 minus the opponent's latest concession of 0.2): AC_next accepts it.
    assert res.agreed
    assert res.utility_of("tft") == pytest.approx(0.6, abs=1e-9)
    assert res.rounds == 6


def test_strategies_refuse_protocols_they_do_not_play() -> None:
    from diplosim.negotiation import MonotonicConcession, RubinsteinEquilibrium, Zeuthen

    with pytest.raises(ValueError, match="zeuthen does not play alternating_offers"):
        AlternatingOffers(
            PIE,
            [Party("a", MINE, Zeuthen()), Party("b", THEIRS, Zeuthen())],
            deadline=5,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match="rubinstein does not play monotonic_concession"):
        MonotonicConcession(
            PIE,
            [Party("a", MINE, RubinsteinEquilibrium()), Party("b", THEIRS, Zeuthen())],
            deadline=5,
            rng=np.random.default_rng(0),
        )
    assert ProtocolKind.SINGLE_TEXT not in TitForTat.supports
