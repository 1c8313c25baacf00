"""Per-step records of a run, in preallocated arrays (no per-step DataFrames)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from diplosim.engine.events import LogEntry

if TYPE_CHECKING:
    from diplosim.engine.talks import Talks
    from diplosim.scenario import Scenario


class Recorded(Protocol):
    """What result tables and sweep outcomes read from a run: a :class:`DiplomacyModel
    <diplosim.engine.model.DiplomacyModel>` or one replication of a :class:`Batch
    <diplosim.engine.batch.Batch>`."""

    @property
    def diplomacy_scenario(self) -> Scenario: ...

    @property
    def recorder(self) -> Recorder: ...

    @property
    def talks(self) -> Talks | None: ...


class Recorder:
    """Buffers for the metrics of steps 0..steps; grows if the model is run past its horizon."""

    def __init__(self, steps: int, n_dyads: int, n_tracked: int, n_kinds: int) -> None:
        rows = steps + 1
        self.n = 0
        self.tension = np.zeros((rows, n_dyads))
        self.misperception = np.zeros((rows, n_dyads))
        self.participant_misperception = np.zeros((rows, n_dyads))
        self.flow = np.zeros((rows, n_dyads))
        self.mission_closed = np.zeros((rows, n_dyads), dtype=np.int8)
        self.connected = np.zeros((rows, n_tracked), dtype=np.int8)
        self.redundancy = np.zeros((rows, n_tracked), dtype=np.int64)
        self.open = np.zeros((rows, n_dyads, n_kinds), dtype=np.int64)
        self.change_step: list[NDArray[np.int64]] = []
        self.change_channel: list[NDArray[np.int64]] = []
        self.change_level: list[NDArray[np.int64]] = []
        self.log: list[LogEntry] = []

    def _grow(self) -> None:
        for name in ("tension", "misperception", "participant_misperception", "flow",
                     "mission_closed", "connected", "redundancy", "open"):
            arr = getattr(self, name)
            setattr(self, name, np.concatenate([arr, np.zeros_like(arr)]))

    def record(self, *, tension: NDArray[np.float64], misperception: NDArray[np.float64],
               participant_misperception: NDArray[np.float64], flow: NDArray[np.float64],
               mission_closed: NDArray[np.bool_],
               connected: NDArray[np.int8], redundancy: NDArray[np.int64],
               open_counts: NDArray[np.int64]) -> None:
        if self.n >= self.tension.shape[0]:
            self._grow()
        i = self.n
        self.tension[i] = tension
        self.misperception[i] = misperception
        self.participant_misperception[i] = participant_misperception
        self.flow[i] = flow
        self.mission_closed[i] = mission_closed
        self.connected[i] = connected
        self.redundancy[i] = redundancy
        self.open[i] = open_counts
        self.n += 1

    def record_connected(self, connected: NDArray[np.int8]) -> None:
        """A step of which only ``connected`` is recorded (a lean batch: the others stay 0)."""
        if self.n >= self.connected.shape[0]:
            self._grow()
        self.connected[self.n] = connected
        self.n += 1

    def record_levels(self, step: int, old: NDArray[np.int64], new: NDArray[np.int64]) -> None:
        changed = np.flatnonzero(old != new)
        if changed.size or step == 0:
            self.change_step.append(np.full(changed.size, step, dtype=np.int64))
            self.change_channel.append(changed.astype(np.int64))
            self.change_level.append(new[changed].astype(np.int64))
