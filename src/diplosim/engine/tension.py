"""Dyadic tension and misperception, updated for all dyads at once.

Equations (docs/model.md, "Tension"), for dyad d at step t, with K the communication flow that
reached the two governments in the previous step and P the contact that corrects perceptions:

    T' = T + drift (B - T) + escalation H m (1 - T) - deescalation K/(K + h) T + noise e + shocks
    p' = p + growth T (1 - p) - learning P/(P + h) p
    m' = m + growth T (1 - m) - learning O/(O + h) m - transfer X/(X + h) max(m - p, 0)

all clipped to [0, 1]. Baselines may differ across dyads (drawn once from a Beta distribution
around the scenario's baseline) and be drawn again when a dyad's regime changes (a hazard per
step). m is the governments' misperception, p the participants' (of every track),
O official (Track 1) contact, P participants' contact, X the transfer flow through unofficial
channels' participants with access; H is the mean hawkishness of the two states, B the baseline,
e ~ N(0, 1).
Sources: drift to a baseline and escalation from misperception follow Richardson-type arms-race
dynamics and Jervis (1976) on misperception; de-escalation by communication follows the contact
literature summarised in the domain brief (Davidson & Montville 1981; Kelman 1995). The saturating
K/(K + h) is an assumption: extra channels help less and less.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.channels import Flows
from diplosim.engine.streams import Streams

FloatArray = NDArray[np.float64]
Value = float | FloatArray  # one value for every dyad, or one per dyad


class MisperceptionRates(Protocol):
    @property
    def growth(self) -> Value: ...
    @property
    def learning(self) -> Value: ...
    @property
    def transfer(self) -> Value: ...


class TensionRates(Protocol):
    """The per-step values the update reads: a scenario's ``TensionSpec`` (one value for every
    dyad) or, in a batch whose replications have values of their own, one value per dyad
    (:func:`diplosim.engine.batch.stack`)."""

    @property
    def drift(self) -> Value: ...
    @property
    def escalation(self) -> Value: ...
    @property
    def deescalation(self) -> Value: ...
    @property
    def half_saturation(self) -> Value: ...
    @property
    def noise(self) -> Value: ...
    @property
    def regime_change(self) -> Value: ...
    @property
    def baseline_concentration(self) -> Value | None: ...
    @property
    def misperception(self) -> MisperceptionRates: ...


def _at(value: Value, index: NDArray[np.int64]) -> Value:
    return value[index] if isinstance(value, np.ndarray) else value


def _some(value: Value | None) -> bool:
    """Any positive value: the update draws the numbers this value uses (the same for every
    replication of a batch: a replication draws what its single run draws)."""
    return value is not None and bool(np.any(np.asarray(value) > 0))


class Tension:
    """Tension ``T`` and misperception ``m`` per dyad, as arrays."""

    def __init__(
        self,
        spec: TensionRates,
        tension0: FloatArray,
        baseline: FloatArray,
        misperception0: FloatArray,
        hawkishness: FloatArray,
        rng: np.random.Generator | Streams,
    ) -> None:
        self.spec = spec
        self.tension = tension0.astype(float).copy()
        self.misperception = misperception0.astype(float).copy()
        self.participant_misperception = misperception0.astype(float).copy()
        self.scenario_baseline = np.clip(baseline.astype(float), 1e-6, 1 - 1e-6)
        self.hawkishness = hawkishness  # mean hawkishness of each dyad's two states
        self.rng = Streams.of(rng, tension0.size)
        # Dyads differ in their baseline (drawn once); draws only when asked, so scenarios
        # without heterogeneity keep their random streams.
        self.baseline = (self._draw_baselines(np.arange(tension0.size))
                         if _some(spec.baseline_concentration)
                         else baseline.astype(float).copy())

    def _draw_baselines(self, dyads: NDArray[np.int64]) -> FloatArray:
        b: FloatArray = self.scenario_baseline[dyads].copy()
        if not _some(self.spec.baseline_concentration):
            return b
        c = self.spec.baseline_concentration
        assert c is not None
        c = _at(c, dyads)
        return self.rng.beta(b * c, (1.0 - b) * c, dyads)

    def shock(self, dyad: int, magnitude: float) -> None:
        """An event's shock: tension jumps at once (clipped), before this step's update."""
        self.tension[dyad] = np.clip(self.tension[dyad] + magnitude, 0.0, 1.0)

    def step(self, flows: Flows, d_tension: FloatArray | float = 0.0,
             d_misperception: FloatArray | float = 0.0) -> None:
        """One update; ``d_tension`` and ``d_misperception`` are the dynamics plug-ins' terms
        (:mod:`diplosim.engine.terms`), added before clipping."""
        s = self.spec
        t, m, p = self.tension, self.misperception, self.participant_misperception
        h = s.half_saturation
        noise = s.noise * self.rng.standard_normal(t.size) if _some(s.noise) else 0.0
        k = flows.communication
        t_new = (
            t
            + s.drift * (self.baseline - t)
            + s.escalation * self.hawkishness * m * (1.0 - t)
            - s.deescalation * k / (k + h) * t
            + noise
        )
        mp = s.misperception

        def saturating(x: FloatArray) -> FloatArray:
            return x / (x + h)

        p_new = p + mp.growth * t * (1.0 - p) - mp.learning * saturating(
            flows.participant_contact) * p
        m_new = (
            m
            + mp.growth * t * (1.0 - m)
            - mp.learning * saturating(flows.official_contact) * m
            - mp.transfer * saturating(flows.transfer) * np.maximum(m - p, 0.0)
        )
        if isinstance(d_tension, np.ndarray):  # only with terms: x + 0.0 would turn -0.0 to 0.0
            t_new = t_new + d_tension
        if isinstance(d_misperception, np.ndarray):
            m_new = m_new + d_misperception
        self.tension = np.clip(t_new, 0.0, 1.0)
        self.misperception = np.clip(m_new, 0.0, 1.0)
        self.participant_misperception = np.clip(p_new, 0.0, 1.0)
        if _some(s.regime_change):  # a new regime brings a new baseline (drawn after the update)
            changed = np.flatnonzero(self.rng.random(t.size) < s.regime_change)
            if changed.size:
                self.baseline[changed] = self._draw_baselines(changed)
