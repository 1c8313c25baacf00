"""Results: a run's tidy tables (``tables``: :func:`simulate`, :func:`simulate_many`,
:func:`collect`, :class:`RunResult`), the results folders of ``diplosim run`` (``runset``) and
replication seeds (``replicate``).

May import the engine, ``scenario`` and ``io``; never experiment, analysis, plotting, viz or
commands.
"""

from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.runset import RunSet, read_runset
from diplosim.results.tables import (
    TABLES,
    RunResult,
    actor_table,
    batch_size,
    channel_table,
    collect,
    simulate,
    simulate_many,
)

__all__ = [
    "TABLES", "RunResult", "RunSet", "actor_table", "batch_size", "channel_table", "collect",
    "read_runset", "replication_seeds", "seed_label", "simulate", "simulate_many",
]
