"""Rates in calendar time: a scenario's dynamics converted to its step.

A scenario says in ``rates:`` what its rate values mean. ``per_step`` (the default, and what every
file without the field meant before) takes each value as it is written, per step of the scenario's
``time_unit``. ``per_year`` gives every rate, noise, hazard and duration in calendar time, and
:func:`step_dynamics` converts each exactly to the step of length Δt years (a week is 7/365.25,
a month 1/12, a quarter 1/4), so that the same value means the same thing in a weekly, monthly or
quarterly scenario (docs/model.md, "Rates in calendar time"):

- a rate coefficient r per year (tension ``drift``, ``escalation``, ``deescalation``;
  misperception ``growth``, ``learning``, ``transfer``) becomes ``1 - exp(-r Δt)``: the share of
  a gap that a first-order relaxation at rate r closes in Δt;
- a noise σ per square-root year (``tension.noise``) becomes ``σ √Δt``: the standard deviation of
  a Brownian increment over Δt;
- a probability p per year (``tension.regime_change``; an agreement's breakdown hazard, from
  ``durability``; a channel's probit probability of moving a level) becomes ``1 - (1 - p)^Δt``:
  the same constant hazard over Δt;
- a duration in years (``ripeness.window``, ``cooldown``) becomes ``max(1, round(years / Δt))``
  steps (``cooldown`` may round to 0);
- ``rounds_per_year`` spreads the protocol's rounds over the steps: step t plays
  ``floor(R t Δt) - floor(R (t - 1) Δt)`` rounds.

Shocks (event magnitudes, ``agreement_relief``, ``failure_shock``, ``breakdown_shock``) are jumps,
not rates, and thresholds, levels and weights have no time unit: none is converted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from diplosim.scenario.schema import NegotiationSpec, TensionSpec

RateUnit = Literal["per_step", "per_year"]
FloatArray = NDArray[np.float64]

#: The length of a step of each calendar ``time_unit``, in years (a year of 365.25 days).
YEARS_PER_STEP: dict[str, float] = {
    "day": 1 / 365.25,
    "week": 7 / 365.25,
    "month": 1 / 12,
    "quarter": 1 / 4,
    "year": 1.0,
}


def relaxation(rate: float, years: float) -> float:
    """The per-step coefficient of a rate ``rate`` per year: ``1 - exp(-rate * years)``."""
    return -math.expm1(-rate * years)


def diffusion(sigma: float, years: float) -> float:
    """The per-step standard deviation of a noise ``sigma`` per square-root year."""
    return sigma * math.sqrt(years)


def hazard(p: float, years: float) -> float:
    """The per-step probability of a constant hazard with probability ``p`` per year."""
    return float(hazards(np.float64(p), years))


def hazards(p: FloatArray | np.float64, years: float | FloatArray) -> FloatArray:
    """:func:`hazard` of many probabilities at once: ``1 - (1 - p) ** years`` (1 where p is 1);
    ``years`` one length or one per probability."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(-np.expm1(years * np.log1p(-p)), dtype=np.float64)


def event_time(u: FloatArray, p: FloatArray) -> FloatArray:
    """When, in years, an event of constant hazard (probability ``p`` per year) happened, given
    the uniform ``u`` that decided it happened within a step (``u < hazards(p, years)``):
    ``log(1 - u) / log(1 - p)``, the inverse of :func:`hazards` in its time (0 where p is 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.log1p(-u) / np.log1p(-p), dtype=np.float64)


def rounds_in_step(step: int, per_year: float, years: float) -> int:
    """Protocol rounds played in ``step`` (1, 2, ...) at ``per_year`` rounds a year."""
    return math.floor(per_year * step * years + 1e-9) - math.floor(
        per_year * (step - 1) * years + 1e-9)


@dataclass(frozen=True)
class StepDynamics:
    """A scenario's dynamics per step: what the engine reads.

    ``years`` is the step's length in years when the rates are per year (None: per step, and
    ``tension`` and ``negotiation`` are the file's own sections). ``hazard_exponent`` turns a
    per-year probability into a per-step one (``1 - (1 - p) ** exponent``; 1: per step)."""

    rates: RateUnit
    years: float | None
    tension: TensionSpec
    window: int = 1  # the ripeness window, in steps
    cooldown: int = 0  # the cooldown between talks, in steps

    @property
    def calendar(self) -> bool:
        """True when the rates are per year: the step is a length of calendar time."""
        return self.years is not None

    @property
    def window_values(self) -> int:
        """Tension values the ripeness window holds: one per step of the window; in calendar
        time one more, so that its two ends are ``window`` steps apart."""
        return self.window + 1 if self.calendar else self.window

    @property
    def hazard_exponent(self) -> float:
        return 1.0 if self.years is None else self.years


def step_dynamics(rates: RateUnit, time_unit: str, tension: TensionSpec,
                  negotiation: NegotiationSpec | None) -> StepDynamics:
    """Convert the dynamics to the step (see the module's docstring). The caller has checked
    that ``per_year`` comes with a calendar ``time_unit`` and, for ``per_step``, that drift is at
    most 1 and the durations are whole numbers of steps."""
    if rates == "per_step":
        if negotiation is None:
            return StepDynamics(rates, None, tension)
        return StepDynamics(rates, None, tension, round(negotiation.ripeness.window),
                            round(negotiation.cooldown))
    dt = YEARS_PER_STEP[time_unit]
    m = tension.misperception
    step_tension = tension.model_copy(update={
        "drift": relaxation(tension.drift, dt),
        "escalation": relaxation(tension.escalation, dt),
        "deescalation": relaxation(tension.deescalation, dt),
        "noise": diffusion(tension.noise, dt),
        "regime_change": hazard(tension.regime_change, dt),
        "misperception": m.model_copy(update={
            "growth": relaxation(m.growth, dt),
            "learning": relaxation(m.learning, dt),
            "transfer": relaxation(m.transfer, dt)}),
    })
    if negotiation is None:
        return StepDynamics(rates, dt, step_tension)
    return StepDynamics(rates, dt, step_tension, max(1, round(negotiation.ripeness.window / dt)),
                        round(negotiation.cooldown / dt))
