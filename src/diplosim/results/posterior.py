"""Runs under a fit's posterior: one parameter set per replication, drawn from the weighted
particles of ``diplosim calibrate --fit`` (its ``posterior.parquet``: one column per dotted path,
and ``weight``).

The draw of replication r comes from its own generator, derived from r's seed
(:func:`draw_seed`) and apart from the streams the model spawns from that seed, so a replication
draws the same particle whatever the number of replications, and its simulation is the single
run with that seed under the drawn values. Every table, summary and figure then carries the
parameters' uncertainty as well as the model's noise.
"""

from __future__ import annotations

import hashlib
import io
import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diplosim.io.errors import InputError
from diplosim.io.outputs import read_marker
from diplosim.scenario import Scenario

POSTERIOR_FILE = "posterior.parquet"
MAX_BYTES = 200_000_000  # a posterior of a million particles is far smaller
DRAW_KEY = 2**32 - 1  # a spawn key no model stream uses (they spawn 0, 1, 2)


@dataclass(frozen=True)
class Posterior:
    """A fit's weighted particles: ``values`` (one column per dotted path) and ``weights``
    (normalised to sum to 1)."""

    source: str
    values: pd.DataFrame
    weights: np.ndarray
    sha256: str

    @property
    def paths(self) -> list[str]:
        return list(self.values.columns)

    def draw(self, seeds: list[np.random.SeedSequence]) -> list[int]:
        """The particle of each replication (indices into ``values``)."""
        return [int(np.random.default_rng(draw_seed(s)).choice(len(self.weights),
                                                                 p=self.weights))
                for s in seeds]

    def parameters(self, particle: int) -> dict[str, float]:
        row = self.values.iloc[particle]
        return {str(p): float(row[p]) for p in self.values.columns}

    def scenario_for(self, scenario: Scenario, particle: int) -> Scenario:
        """The scenario under one particle's values: each column must be a field of the
        scenario that takes the value (a located error naming the fit otherwise)."""
        try:
            return scenario.with_overrides(self.parameters(particle))
        except InputError as exc:
            detail = "; ".join(p.message + (f" at {p.path}" if p.path else "")
                               for p in exc.problems)
            raise InputError.single(
                f"particle {particle} does not fit the scenario {scenario.name}: {detail}",
                source=self.source, value=self.parameters(particle),
                allowed=f"a fit whose parameters are fields of {scenario.source}") from None


def draw_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """The seed of a replication's posterior draw: a child of its seed that no model stream
    uses."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, DRAW_KEY))


def read_posterior(path: str | Path) -> Posterior:
    """The posterior of a fit folder (or of its ``posterior.parquet``); anything else is an
    :class:`InputError` naming the path and what is allowed."""
    given = Path(path)
    allowed = "the folder of a complete `diplosim calibrate --fit` (holding posterior.parquet)"
    folder = given.parent if given.name == POSTERIOR_FILE else given
    source = str(given)
    try:
        is_dir = folder.is_dir()
    except OSError as exc:
        raise InputError.single(f"cannot use this path: {exc.strerror}", source=source,
                                allowed=allowed) from None
    if not is_dir:
        raise InputError.single("no such fit folder", source=source, allowed=allowed)
    marker = read_marker(folder)
    if marker is None or marker.get("kind") != "calibration":
        raise InputError.single("not the output of a fit", source=source, allowed=allowed)
    if marker.get("status") != "complete":
        raise InputError.single(f"the fit is {marker.get('status', 'incomplete')}, not "
                                "complete (finish it with calibrate --fit --resume)",
                                source=source, allowed=allowed)
    file = folder / POSTERIOR_FILE
    try:
        st = file.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block: never opened
            raise InputError.single(f"{POSTERIOR_FILE} is not a regular file", source=source,
                                    allowed=allowed)
        if st.st_size > MAX_BYTES:
            raise InputError.single(f"{POSTERIOR_FILE} is too large ({st.st_size:,} bytes)",
                                    source=source, allowed=f"at most {MAX_BYTES:,} bytes")
        raw = file.read_bytes()
        frame = pd.read_parquet(io.BytesIO(raw))
    except (OSError, ValueError) as exc:
        raise InputError.single(f"cannot read {POSTERIOR_FILE}: {exc}", source=source,
                                allowed=allowed) from None
    return _posterior(frame, str(file), hashlib.sha256(raw).hexdigest())


def _posterior(frame: pd.DataFrame, source: str, sha256: str) -> Posterior:
    if "weight" not in frame.columns:
        raise InputError.single("no weight column", source=source, value=list(frame.columns),
                                allowed="columns: the fitted dotted paths and weight")
    values = frame.drop(columns="weight")
    if values.columns.empty or len(frame) == 0:
        raise InputError.single("no parameters or no particles", source=source,
                                value=list(frame.columns),
                                allowed="at least one particle and one parameter column")
    bad = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])
           or not np.isfinite(values[c].to_numpy(dtype=float)).all()]
    if bad:
        raise InputError.single("parameter columns must hold finite numbers", source=source,
                                value=bad, allowed="numbers")
    w = frame["weight"].to_numpy(dtype=float)
    total = float(w.sum()) if np.isfinite(w).all() else math.nan
    if not (np.isfinite(w).all() and (w >= 0).all() and total > 0):
        raise InputError.single("weights must be finite, non-negative and not all zero",
                                source=source, value=f"sum {total}",
                                allowed="the particles' importance weights")
    return Posterior(source=source, values=values.reset_index(drop=True), weights=w / total,
                     sha256=sha256)


def posterior_record(posterior: Posterior, particles: list[int]) -> dict[str, Any]:
    """What provenance keeps of a run under a posterior: the fit, and each replication's
    particle and values."""
    return {"fit": posterior.source, "sha256": posterior.sha256,
            "particles": len(posterior.weights), "paths": posterior.paths,
            "draws": [{"replication": r, "particle": k, **posterior.parameters(k)}
                      for r, k in enumerate(particles)]}
