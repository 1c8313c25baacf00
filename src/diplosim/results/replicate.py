"""Seeds for replications, spawned from one root seed (NumPy SeedSequence)."""

from __future__ import annotations

import numpy as np


def replication_seeds(root: int, n: int) -> list[np.random.SeedSequence]:
    """Independent child seeds ``root/0 .. root/n-1``; the same root gives the same children."""
    return np.random.SeedSequence(root).spawn(n)


def seed_label(seq: np.random.SeedSequence) -> str:
    """A readable, reproducible name for a spawned seed: ``root/k1/k2``."""
    return "/".join([str(seq.entropy), *(str(k) for k in seq.spawn_key)])


def seed_from_label(label: str) -> np.random.SeedSequence:
    root, *keys = label.split("/")
    return np.random.SeedSequence(int(root), spawn_key=tuple(int(k) for k in keys))
