"""Channel levels and the rules that move them, as NumPy arrays over all channels.

A channel of kind k at level l (0 = closed) responds to the tension T of its dyad, shifted up by
the audience costs of its two states unless it is secret (Fearon 1994; Kurizaki 2007 on secret
diplomacy avoiding audience costs):

    T_eff = T + w_a * mean(audience_cost) * (1 - secrecy_k)

It falls one level with probability p_down = Phi((T_eff - close[k, l]) / noise_k) and, when below
its ceiling, rises one level with probability p_up = Phi((reopen[k, l+1] - T_eff) / noise_k).
With noise 0 these are step functions (deterministic thresholds). Because reopen < close at every
level, a channel has a band of tension where it stays put (hysteresis). Events set levels and
ceilings (a ceiling of 0 is a funding cut or a ban; levels above a ceiling fall to it at once).

Per step (``rates: per_step``) a channel moves at most one level. In calendar time (``per_year``)
p is a probability per year, a constant hazard while tension holds over the step: a channel that
moves spends the time the move took (:func:`~diplosim.scenario.rates.event_time`) and may move
again, in the same direction, at the next level's hazard over what is left of the step — so a
quarter lets a channel fall as far as thirteen weeks would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from diplosim.engine.streams import Streams
from diplosim.scenario.compile import Compiled
from diplosim.scenario.rates import event_time, hazards

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def crossing_probability(excess: FloatArray, noise: FloatArray,
                         exponent: float = 1.0) -> FloatArray:
    """Phi(excess / noise), with the deterministic limit 1[excess > 0] where noise is 0; with
    rates per year, that is a probability per year and the step's is 1 - (1 - Phi)^exponent,
    exponent the step in years (:mod:`diplosim.scenario.rates`)."""
    positive = noise > 0
    if positive.all():  # the usual case, without the masking below
        p = np.asarray(ndtr(excess / noise), dtype=np.float64)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            p = ndtr(np.where(positive, excess / np.where(positive, noise, 1.0), 0.0))
        p = np.where(positive, p, (excess > 0).astype(float))
    return p if exponent == 1.0 else hazards(p, exponent)


@dataclass(frozen=True)
class Flows:
    """What the open channels carry, per dyad, in one step.

    communication (K): capacity x tension_effect x mean access of the ends (reaches governments);
    official_contact: capacity x perception_effect x access, Track 1 channels only;
    participant_contact: capacity x perception_effect x mean openness, all channels;
    transfer (X): capacity x access, channels of the other tracks (Track 1.5, 2, ...).
    """

    communication: FloatArray
    official_contact: FloatArray
    participant_contact: FloatArray
    transfer: FloatArray

    @classmethod
    def zeros(cls, n: int) -> Flows:
        z = np.zeros(n)
        return cls(z, z.copy(), z.copy(), z.copy())


class Channels:
    """Levels and ceilings of every channel, with vectorised rule updates."""

    def __init__(self, c: Compiled, audience_cost_weight: float | FloatArray,
                 rng: np.random.Generator | Streams) -> None:
        self.c = c
        self.rng = Streams.of(rng, c.n_channels)
        self.level: IntArray = c.level0.copy()
        self.ceiling: IntArray = c.ceiling0.copy()
        self.settlement = c.settlement0.copy()  # carries the talks on the settlement (mandate)
        self.carries = {m: a.copy() for m, a in c.matters0.items()}  # other matters (win_sets)
        kinds = c.kinds
        self.kind = c.channel_kind
        self.noise = kinds.noise[self.kind]
        self.exponent = c.step.hazard_exponent  # 1 with rates per step
        # in calendar time, uniforms for the further moves a channel may make within a step
        self.further = (int(kinds.top.max()) - 1 if c.step.calendar and len(kinds.top)
                        else 0)
        self.audience_cost_weight = audience_cost_weight
        self.set_audience_costs(c.audience_cost)
        self.access = 0.5 * (c.actor_access[c.channel_a] + c.actor_access[c.channel_b])
        self.openness = 0.5 * (c.actor_openness[c.channel_a] + c.actor_openness[c.channel_b])
        self.official = np.array([t == "1" for t in kinds.track], dtype=bool)[self.kind] if len(
            kinds.track) else np.zeros(0, dtype=bool)
        # per-channel constants of the kind, gathered once (the hot paths below read them)
        self._capacity_at = self.kind * kinds.capacity.shape[1]  # row of capacity[kind, :]
        self._tension_effect = kinds.tension_effect[self.kind]
        self._perception_effect = kinds.perception_effect[self.kind]
        local = max(kinds.per_replication, 1)  # counts are by the replication's own kinds
        self._dyad_kind = c.channel_dyad * local + self.kind % local
        self._missions = np.flatnonzero(kinds.mission[self.kind])
        self._mission_formal = kinds.formal[self.kind[self._missions]]
        self._mission_dyad = c.channel_dyad[self._missions]

    def set_audience_costs(self, audience_cost: FloatArray) -> None:
        """Recompute each channel's threshold shift from its two states' audience costs."""
        c = self.c
        mean_cost = 0.5 * (
            audience_cost[c.actor_state[c.channel_a]] + audience_cost[c.actor_state[c.channel_b]]
        )
        secrecy = c.kinds.secrecy[self.kind]
        self.shift = self.audience_cost_weight * mean_cost * (1.0 - secrecy)

    def step(self, tension: FloatArray) -> None:
        """Move every channel by the threshold/hazard rule: at most one level per step, or in
        calendar time as many as the step's time allows (see the module's doc)."""
        if not len(self.level):
            return
        t_eff = tension[self.c.channel_dyad] + self.shift
        lv = self.level
        # always drawn, two rows (and the further moves' rows): the stream does not depend on state
        u = self.rng.random(lv.size, rows=2 + self.further)

        down = self._crosses(lv > 0, u[0], lambda i: self._excess(i, -1, t_eff, lv[i]))
        up = ~down & self._crosses(lv < self.ceiling, u[1],
                                   lambda i: self._excess(i, 1, t_eff, lv[i]))
        self.level = lv - down + up
        if self.further:
            self._move_on(down, up, u, t_eff)

    def _move_on(self, down: NDArray[np.bool_], up: NDArray[np.bool_], u: FloatArray,
                 t_eff: FloatArray) -> None:
        """Calendar time: channels that moved go on in the same direction while the step's time
        lasts, each further move with the next level's hazard over the time left."""
        for sign, moved, first_row in ((-1, down, 0), (1, up, 1)):
            idx = np.flatnonzero(moved)
            if not idx.size:
                continue
            p = self._per_year(idx, sign, t_eff, self.level[idx] - sign)
            left = self.exponent - event_time(u[first_row, idx], p)
            for row in range(2, 2 + self.further):
                level = self.level[idx]
                able = (left > 0) & ((level > 0) if sign < 0 else (level < self.ceiling[idx]))
                idx, left = idx[able], left[able]
                if not idx.size:
                    break
                p = self._per_year(idx, sign, t_eff, self.level[idx])
                go = u[row, idx] < hazards(p, left)
                idx, left = idx[go], left[go] - event_time(u[row, idx[go]], p[go])
                self.level[idx] += sign

    def _excess(self, idx: Any, sign: int, t_eff: FloatArray, level: IntArray) -> FloatArray:
        """How far tension is past the threshold of the next move from ``level`` (down when
        ``sign`` < 0: above the close threshold; up: below the next level's reopen threshold)."""
        kinds, k = self.c.kinds, self.kind[idx]
        excess: FloatArray
        if sign < 0:
            excess = t_eff[idx] - kinds.close[k, level]
        else:
            excess = kinds.reopen[k, np.minimum(level + 1, kinds.top[k])] - t_eff[idx]
        return excess

    def _per_year(self, idx: IntArray, sign: int, t_eff: FloatArray,
                  level: IntArray) -> FloatArray:
        """The per-year probability of the next move (down when ``sign`` < 0) from ``level``."""
        return crossing_probability(self._excess(idx, sign, t_eff, level), self.noise[idx])

    def _crosses(self, able: NDArray[np.bool_], u: FloatArray,
                 excess: Callable[[Any], FloatArray]) -> NDArray[np.bool_]:
        """``able & (u < Phi(excess / noise))``, the probability computed only where ``able``
        when few are (at a crisis nearly every channel is at its ceiling, so few can rise):
        the same numbers either way."""
        n = able.size
        if np.count_nonzero(able) > n // 2:
            every = slice(None)
            return able & (u < crossing_probability(excess(every), self.noise, self.exponent))
        idx = np.flatnonzero(able)
        out = np.zeros(n, dtype=bool)
        out[idx] = u[idx] < crossing_probability(excess(idx), self.noise[idx], self.exponent)
        return out

    def set_level(self, idx: IntArray, level: int) -> None:
        top = self.c.kinds.top[self.kind[idx]]
        self.level[idx] = np.minimum(level, np.minimum(top, self.ceiling[idx]))

    def downgrade(self, idx: IntArray, by: int) -> None:
        self.level[idx] = np.maximum(self.level[idx] - by, 0)

    def set_ceiling(self, idx: IntArray, level: int) -> None:
        top = self.c.kinds.top[self.kind[idx]]
        self.ceiling[idx] = np.minimum(level, top)
        self.level[idx] = np.minimum(self.level[idx], self.ceiling[idx])

    def widen_mandate(self, idx: IntArray, matters: list[str]) -> None:
        """The channels ``idx`` now carry ``matters`` too (settlement, and with win_sets the
        other matters the talks read, change a rule)."""
        if "settlement" in matters:
            self.settlement[idx] = True
        for m in matters:
            if m in self.carries:
                self.carries[m][idx] = True

    def talk_levels(self) -> IntArray:
        """The levels as the talks read them: a channel whose mandate does not include the
        settlement counts as closed (docs/model.md 3.5)."""
        if self.settlement.all():
            return self.level
        return np.where(self.settlement, self.level, 0)

    def capacity(self) -> FloatArray:
        """capacity[kind, level] of every channel."""
        cap: FloatArray = self.c.kinds.capacity.ravel()[self._capacity_at + self.level]
        return cap

    def flows(self, n_dyads: int) -> Flows:
        """Per-dyad flows of this step's open channels (docs/model.md, section 3.3)."""
        c = self.c
        cap = self.capacity()
        reach = cap * self.access
        perceive = self._perception_effect

        def per_dyad(weights: FloatArray) -> FloatArray:
            return np.bincount(c.channel_dyad, weights=weights, minlength=n_dyads).astype(float)

        return Flows(
            communication=per_dyad(reach * self._tension_effect),
            official_contact=per_dyad(reach * perceive * self.official),
            participant_contact=per_dyad(cap * perceive * self.openness),
            transfer=per_dyad(reach * ~self.official),
        )

    def open_by_dyad_kind(self, n_dyads: int) -> IntArray:
        """Counts of open channels, shape (n_dyads, n_kinds)."""
        n_kinds = self.c.kinds.per_replication
        counts = np.bincount(self._dyad_kind, weights=(self.level > 0),
                             minlength=n_dyads * n_kinds)
        return counts.astype(np.int64).reshape(n_dyads, n_kinds)

    def missions_at_formal(self, n_dyads: int) -> NDArray[np.bool_]:
        """Per dyad: a mission (embassy, interests section) stands at its formal level."""
        standing = self.level[self._missions] >= self._mission_formal
        return np.bincount(self._mission_dyad, weights=standing, minlength=n_dyads) > 0
