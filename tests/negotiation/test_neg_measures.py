"""Bargaining solutions and measures against their definitions on known cases."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from diplosim.negotiation import (
    agreement_rate,
    distance_to_pareto,
    ideal_point,
    kalai_smorodinsky_point,
    mean_rounds_to_agreement,
    nash_point,
    nash_product,
    pareto_frontier,
    social_welfare,
)

TOL = 1e-9


def curve(n: int = 2001) -> np.ndarray:
    """Points on the frontier u2 = 1 - u1**2 (a convex feasible set), plus dominated points."""
    u1 = np.linspace(0.0, 1.0, n)
    return np.column_stack([u1, 1.0 - u1**2])


def test_nash_point_on_the_unit_pie_is_the_even_split() -> None:
    u1 = np.linspace(0, 1, 101)
    pts = np.column_stack([u1, 1 - u1])
    sol = nash_point(pts, [0.0, 0.0])
    assert sol is not None
    assert sol.utilities == pytest.approx((0.5, 0.5), abs=TOL)
    assert sol.value == pytest.approx(0.25, abs=TOL)


def test_nash_point_with_disagreement_point_splits_the_surplus() -> None:
    # Unit pie, d = (0.2, 0.4): the surplus 0.4 is split evenly: (0.4, 0.6).
    u1 = np.linspace(0, 1, 101)
    pts = np.column_stack([u1, 1 - u1])
    sol = nash_point(pts, [0.2, 0.4])
    assert sol is not None
    assert sol.utilities == pytest.approx((0.4, 0.6), abs=TOL)


def test_nash_point_on_a_curved_frontier_matches_calculus() -> None:
    # max u1 (1 - u1^2): u1 = 1/sqrt(3). Add the exact point to the grid.
    exact = 1 / math.sqrt(3)
    pts = np.vstack([curve(), [exact, 1 - exact**2]])
    sol = nash_point(pts, [0, 0])
    assert sol is not None
    assert sol.index == len(pts) - 1
    assert sol.utilities[0] == pytest.approx(exact, abs=TOL)
    # It is the maximiser of the product over the whole set.
    assert sol.value == pytest.approx(float(nash_product(pts, [0, 0]).max()), abs=TOL)


def test_kalai_smorodinsky_on_a_curved_frontier_equalises_gain_ratios() -> None:
    # Ideal point (1, 1): KS is where u1 = u2 = 1 - u1^2, u1 = (sqrt 5 - 1) / 2.
    exact = (math.sqrt(5) - 1) / 2
    pts = np.vstack([curve(), [exact, 1 - exact**2]])
    sol = kalai_smorodinsky_point(pts, [0, 0])
    assert sol is not None
    assert sol.index == len(pts) - 1
    assert sol.utilities[0] == pytest.approx(exact, abs=TOL)
    assert sol.utilities[0] == pytest.approx(sol.utilities[1], abs=TOL)


def test_kalai_smorodinsky_differs_from_nash_on_the_classic_example() -> None:
    # Feasible frontier from (0, 1) to (0.75, 0.75) to (1, 0) (Kalai & Smorodinsky 1975 style).
    # Disagreement (0, 0); ideal (1, 1). KS: the diagonal meets the frontier at (0.75, 0.75).
    t = np.linspace(0, 1, 401)
    left = np.column_stack([0.75 * t, 1 - 0.25 * t])
    right = np.column_stack([0.75 + 0.25 * t, 0.75 - 0.75 * t])
    pts = np.vstack([left, right])
    ks = kalai_smorodinsky_point(pts, [0, 0])
    nash = nash_point(pts, [0, 0])
    assert ks is not None
    assert nash is not None
    assert ks.utilities == pytest.approx((0.75, 0.75), abs=TOL)
    # Nash on the left segment: max 0.75 t (1 - 0.25 t) at t = 1 -> also (0.75, 0.75) here;
    # with disagreement (0.5, 0) the solutions separate.
    ks2 = kalai_smorodinsky_point(pts, [0.5, 0])
    nash2 = nash_point(pts, [0.5, 0])
    assert ks2 is not None
    assert nash2 is not None
    ratios = (np.asarray(ks2.utilities) - [0.5, 0]) / (ideal_point(pts, [0.5, 0]) - [0.5, 0])
    assert ratios[0] == pytest.approx(ratios[1], abs=1e-2)
    assert nash2.utilities == pytest.approx((0.75, 0.75), abs=TOL)
    assert ks2.utilities[0] > nash2.utilities[0]


def test_kalai_smorodinsky_on_the_symmetric_pie() -> None:
    u1 = np.linspace(0, 1, 11)
    sol = kalai_smorodinsky_point(np.column_stack([u1, 1 - u1]), [0, 0])
    assert sol is not None
    assert sol.utilities == pytest.approx((0.5, 0.5), abs=TOL)


def test_no_individually_rational_deal_gives_none() -> None:
    pts = np.array([[0.1, 0.1], [0.2, 0.0]])
    assert nash_point(pts, [0.5, 0.5]) is None
    assert kalai_smorodinsky_point(pts, [0.5, 0.5]) is None


def test_pareto_frontier_two_parties() -> None:
    pts = np.array([[1, 0], [0.5, 0.5], [0.4, 0.4], [0, 1], [0.5, 0.2], [0.5, 0.5]])
    front = pareto_frontier(pts)
    assert sorted(front.tolist()) == [0, 1, 3, 5]
    assert front[0] == 0  # party 0's best first


def test_pareto_frontier_matches_brute_force_in_three_dimensions() -> None:
    rng = np.random.default_rng(5)
    pts = np.round(rng.random((300, 3)), 2)
    front = set(pareto_frontier(pts).tolist())
    for i, p in enumerate(pts):
        dominated = np.any(np.all(pts >= p, axis=1) & np.any(pts > p, axis=1))
        assert (i in front) == (not dominated)
    two = np.round(rng.random((300, 2)), 2)
    front2 = set(pareto_frontier(two).tolist())
    for i, p in enumerate(two):
        dominated = np.any(np.all(two >= p, axis=1) & np.any(two > p, axis=1))
        assert (i in front2) == (not dominated)


def test_welfare_and_distances() -> None:
    assert social_welfare([0.25, 0.5]) == pytest.approx(0.75)
    front = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert distance_to_pareto([0.5, 0.5], front) == pytest.approx(math.sqrt(0.5))
    assert distance_to_pareto([0.5, 0.5], front, interpolate=True) == pytest.approx(0.0, abs=TOL)
    assert distance_to_pareto([0.25, 0.25], front, interpolate=True) == pytest.approx(
        math.sqrt(2) / 4, abs=TOL
    )


@dataclass(frozen=True)
class Outcome:
    agreed: bool
    rounds: int


def test_agreement_rate_and_rounds() -> None:
    res = [Outcome(True, 3), Outcome(False, 10), Outcome(True, 5), Outcome(False, 10)]
    assert agreement_rate(res) == 0.5
    assert mean_rounds_to_agreement(res) == 4.0
    assert math.isnan(agreement_rate([]))
    assert math.isnan(mean_rounds_to_agreement([Outcome(False, 1)]))
