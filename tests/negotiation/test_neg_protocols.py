"""Protocols: steppable sessions, traces, mediated single text, multilateral unanimity, and
properties that hold for every protocol and strategy (hypothesis)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplosim.negotiation import (
    PROTOCOLS,
    Action,
    AlternatingOffers,
    EndReason,
    Issue,
    LinearAdditiveUtility,
    Mediator,
    OutcomeSpace,
    Party,
    ProtocolKind,
    RubinsteinEquilibrium,
    SingleText,
    StackedAlternatingOffers,
    Strategy,
    TimeDependent,
    TitForTat,
    View,
    Zeuthen,
    run_single_text,
    run_stacked_alternating_offers,
)
from diplosim.negotiation.measures import TOL

PIE = OutcomeSpace((Issue.continuous("share"),))
MIXED = OutcomeSpace(
    (
        Issue.continuous("troops", 0, 100),
        Issue.discrete("border", ["status_quo", "patrols", "demilitarised", "transfer"]),
    )
)


@dataclass(frozen=True)
class Never(Strategy):
    """Offers its best deal and accepts nothing."""

    name: ClassVar[str] = "never"

    def propose(self, view: View, rng: np.random.Generator) -> np.ndarray:
        return view.setting.pick(view.me, 1.0)

    def respond(self, view: View, offer: np.ndarray) -> bool:
        return False


def util(space: OutcomeSpace, ideal: dict[str, object], **kw: float) -> LinearAdditiveUtility:
    weights = dict.fromkeys(space.names, 1.0)
    return LinearAdditiveUtility.create(space, weights, ideal, **kw)  # type: ignore[arg-type]


def test_alternating_offers_is_steppable_and_equals_run() -> None:
    def make() -> AlternatingOffers:
        return AlternatingOffers(
            PIE,
            [
                Party("a", util(PIE, {"share": 1}), TimeDependent(e=0.5)),
                Party("b", util(PIE, {"share": 0}), TimeDependent(e=2.0)),
            ],
            deadline=20,
            rng=np.random.default_rng(3),
        )

    s = make()
    assert not s.done
    assert s.result().reason is EndReason.ONGOING
    steps = 0
    while not s.done:
        s.step()
        steps += 1
    stepped = s.result()
    s.step()  # no-op once done
    assert s.result().trace == stepped.trace
    assert steps == stepped.rounds
    assert make().run().trace == stepped.trace


def test_alternating_offers_deadline_without_agreement() -> None:
    s = AlternatingOffers(
        PIE,
        [
            Party("a", util(PIE, {"share": 1}), Never()),
            Party("b", util(PIE, {"share": 0}), Never()),
        ],
        deadline=7,
        rng=np.random.default_rng(0),
    )
    res = s.run()
    assert not res.agreed
    assert res.reason is EndReason.DEADLINE
    assert res.rounds == 7
    assert res.utilities == (0.0, 0.0)
    offers = [ev for ev in res.trace if ev.action is Action.OFFER]
    assert [ev.party for ev in offers] == ["a", "b", "a", "b", "a", "b", "a"]
    assert np.isnan(res.distance_to_nash)


def test_trace_to_records_and_dataframe() -> None:
    res = AlternatingOffers(
        MIXED,
        [
            Party("a", util(MIXED, {"troops": 100, "border": "transfer"}), TimeDependent(e=1)),
            Party("b", util(MIXED, {"troops": 0, "border": "status_quo"}), TimeDependent(e=1)),
        ],
        deadline=10,
        rng=np.random.default_rng(0),
        resolution=11,
    ).run()
    records = res.trace_records()
    frame = res.trace_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "step",
        "round",
        "party",
        "action",
        "deal.troops",
        "deal.border",
        "u.a",
        "u.b",
        "note",
    ]
    assert len(frame) == len(records) == len(res.trace)
    assert set(frame["action"]) <= {a.value for a in Action}
    assert frame["deal.border"].dropna().isin(MIXED.issues[1].options).all()
    assert res.agreed
    assert frame["action"].iloc[-1] == "agree"
    assert records[-1]["deal.border"] == res.deal["border"]  # type: ignore[index]
    assert res.summary()["utilities"] == {"a": res.utilities[0], "b": res.utilities[1]}


def test_single_text_ends_at_a_text_every_party_signs() -> None:
    parties = [
        Party(
            "egypt",
            util(MIXED, {"troops": 100, "border": "transfer"}, reservation=0.3),
            TimeDependent(e=1.0),
        ),
        Party(
            "israel",
            util(MIXED, {"troops": 0, "border": "status_quo"}, reservation=0.3),
            TimeDependent(e=1.0),
        ),
    ]
    res = run_single_text(
        MIXED, parties, deadline=30, rng=np.random.default_rng(1978), mediator=Mediator(step=0.2)
    )
    assert res.agreed
    final = [ev for ev in res.trace if ev.round == res.agreement_round]
    assert [ev.action for ev in final] == [Action.ACCEPT, Action.ACCEPT, Action.AGREE]
    assert all(u >= 0.3 - TOL for u in res.utilities)


def test_single_text_moves_only_without_veto() -> None:
    parties = [
        Party(f"p{i}", util(MIXED, ideal, reservation=0.9), TimeDependent(e=0.05))
        for i, ideal in enumerate(
            [
                {"troops": 100, "border": "transfer"},
                {"troops": 0, "border": "status_quo"},
                {"troops": 50, "border": "patrols"},
            ]
        )
    ]
    s = SingleText(MIXED, parties, deadline=40, rng=np.random.default_rng(2))
    text = s.text.copy()
    res = s.run()
    assert not res.agreed
    assert res.reason is EndReason.DEADLINE
    assert res.rounds == 40
    events = list(res.trace)
    for k, ev in enumerate(events):
        if ev.action is not Action.PROPOSE or ev.note != "revision":
            continue
        after = events[k + 1 : k + 1 + len(parties) + 1]
        vetoed = any(e.action is Action.VETO for e in after if e.round == ev.round)
        moved = any(e.action is Action.MOVE for e in after if e.round == ev.round)
        assert vetoed != moved
        before = s.setting.utility_of(text)
        if moved:
            assert all(n >= b - TOL for n, b in zip(ev.utilities, before, strict=True))  # type: ignore[arg-type]
            text = np.asarray(ev.deal)
        else:
            assert any(n < b - TOL for n, b in zip(ev.utilities, before, strict=True))  # type: ignore[arg-type]


def test_single_text_nash_start_is_signed_when_aspirations_allow() -> None:
    parties = [
        Party("a", util(PIE, {"share": 1}), TimeDependent(e=1)),
        Party("b", util(PIE, {"share": 0}), TimeDependent(e=1)),
    ]
    res = run_single_text(
        PIE, parties, deadline=11, rng=np.random.default_rng(0), mediator=Mediator(start="nash")
    )
    assert res.agreed
    assert res.deal == {"share": 0.5}
    # AC_next: a party signs at t = 4, when its aspiration for t = 5 (of 0..10) is 0.5.
    assert res.rounds == 5
    assert res.distance_to_nash == pytest.approx(0.0, abs=1e-12)


def test_multilateral_needs_unanimity() -> None:
    def parties(third: Strategy) -> list[Party]:
        return [
            Party("a", util(PIE, {"share": 1}), TimeDependent(e=2)),
            Party("b", util(PIE, {"share": 0}, reservation=0.1), TimeDependent(e=2)),
            Party("c", util(PIE, {"share": 1}), third),
        ]

    holdout = run_stacked_alternating_offers(
        PIE, parties(Never()), deadline=25, rng=np.random.default_rng(0)
    )
    assert not holdout.agreed
    assert holdout.reason is EndReason.DEADLINE
    # offers accepted by one party and rejected by the next did not become agreements
    events = list(holdout.trace)
    assert any(
        e1.action is Action.ACCEPT and e2.action is Action.REJECT and e1.deal == e2.deal
        for e1, e2 in itertools.pairwise(events)
    )

    res = run_stacked_alternating_offers(
        PIE, parties(TimeDependent(e=2)), deadline=25, rng=np.random.default_rng(0)
    )
    assert res.agreed
    events = list(res.trace)
    last_offer = max(k for k, ev in enumerate(events) if ev.action is Action.OFFER)
    tail = events[last_offer + 1 :]
    acceptors = {ev.party for ev in tail if ev.action is Action.ACCEPT}
    assert acceptors == {"a", "b", "c"} - {events[last_offer].party}
    assert tail[-1].action is Action.AGREE


def test_multilateral_tit_for_tat_plays() -> None:
    parties = [
        Party("a", util(PIE, {"share": 1}), TitForTat()),
        Party("b", util(PIE, {"share": 0}), TimeDependent(e=1)),
        Party("c", util(PIE, {"share": 0.5}), TimeDependent(e=1)),
    ]
    s = StackedAlternatingOffers(PIE, parties, deadline=30, rng=np.random.default_rng(0))
    res = s.run()
    assert res.rounds <= 30
    if res.agreed:
        assert all(u >= 0 for u in res.utilities)


def test_bilateral_protocols_reject_three_parties() -> None:
    three = [Party(n, util(PIE, {"share": 1}), TimeDependent()) for n in "abc"]
    with pytest.raises(ValueError, match="needs 2 to 2 parties"):
        AlternatingOffers(PIE, three, deadline=5, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        AlternatingOffers(PIE, three[:2], deadline=5, rng=0)  # type: ignore[arg-type]


# -- properties of every protocol ---------------------------------------------------------------

STRATS: dict[ProtocolKind, list[Strategy]] = {
    ProtocolKind.ALTERNATING_OFFERS: [
        TimeDependent(e=0.3),
        TimeDependent(e=1),
        TimeDependent(e=4),
        TitForTat(),
    ],
    ProtocolKind.MONOTONIC_CONCESSION: [Zeuthen(), TimeDependent(e=1), TitForTat()],
    ProtocolKind.SINGLE_TEXT: [TimeDependent(e=0.5), TimeDependent(e=3)],
    ProtocolKind.STACKED_ALTERNATING_OFFERS: [
        TimeDependent(e=0.5),
        TimeDependent(e=3),
        TitForTat(),
    ],
}


@st.composite
def problems(draw: st.DrawFn) -> tuple[ProtocolKind, OutcomeSpace, list[Party], int, int]:
    kind = draw(st.sampled_from(list(ProtocolKind)))
    n_cont = draw(st.integers(0, 2))
    n_disc = draw(st.integers(0 if n_cont else 1, 2))
    issues = [Issue.continuous(f"c{k}", 0, draw(st.floats(1, 100))) for k in range(n_cont)]
    issues += [Issue.discrete(f"d{k}", list(range(draw(st.integers(2, 5))))) for k in range(n_disc)]
    space = OutcomeSpace(tuple(issues))
    bilateral = kind in (ProtocolKind.ALTERNATING_OFFERS, ProtocolKind.MONOTONIC_CONCESSION)
    n = 2 if bilateral else draw(st.integers(2, 4))
    rubinstein = kind is ProtocolKind.ALTERNATING_OFFERS and draw(st.booleans())
    parties = []
    for p in range(n):
        weights = {i.name: draw(st.floats(0.05, 1)) for i in issues}
        ideal = {
            i.name: (
                draw(st.floats(i.low, i.high))
                if i.kind == "continuous"
                else draw(st.sampled_from(i.options))
            )
            for i in issues
        }
        u = LinearAdditiveUtility.create(
            space,
            weights,
            ideal,
            reservation=draw(st.floats(0, 0.6)),
            discount=draw(st.floats(0.5, 0.99)),
        )
        strategy = RubinsteinEquilibrium() if rubinstein else draw(st.sampled_from(STRATS[kind]))
        if kind is ProtocolKind.MONOTONIC_CONCESSION and draw(st.booleans()):
            strategy = Zeuthen()
        parties.append(Party(f"p{p}", u, strategy))
    if kind is ProtocolKind.MONOTONIC_CONCESSION:
        # Zeuthen is defined against Zeuthen; mixed pairs are allowed but keep both the same
        parties = [Party(p.name, p.utility, parties[0].strategy) for p in parties]
    return kind, space, parties, draw(st.integers(1, 40)), draw(st.integers(0, 2**31))


def make(kind: ProtocolKind, space: OutcomeSpace, parties: list[Party], deadline: int, seed: int):
    return PROTOCOLS[kind](
        space, parties, deadline=deadline, rng=np.random.default_rng(seed), resolution=11
    )


@given(problems())
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
def test_outcomes_are_rational_bounded_and_reproducible(
    problem: tuple[ProtocolKind, OutcomeSpace, list[Party], int, int],
) -> None:
    kind, space, parties, deadline, seed = problem
    res = make(kind, space, parties, deadline, seed).run()
    r = [p.utility.reservation for p in parties]
    assert 1 <= res.rounds <= deadline
    if res.agreed:
        assert res.deal is not None
        for u, ri in zip(res.utilities, r, strict=True):
            assert ri - 1e-9 <= u <= 1 + 1e-12  # individually rational, at most the ideal
        assert res.distance_to_pareto >= 0
        assert res.reason is EndReason.AGREEMENT
    else:
        assert res.utilities == pytest.approx(r)
        assert res.deal is None
    again = make(kind, space, parties, deadline, seed).run()
    assert again.trace == res.trace
    assert (
        again.trace_records() == res.trace_records()
        or np.isnan(
            [v for row in res.trace_records() for v in row.values() if isinstance(v, float)]
        ).any()
    )
