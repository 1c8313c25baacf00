"""Results: a run's tidy tables (``tables``: :func:`simulate`, :func:`simulate_many`,
:func:`simulate_tables` and :func:`batch_tables` (a batch's tables at once), :func:`run_batches`,
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
    batch_tables,
    channel_table,
    collect,
    run_batches,
    simulate,
    simulate_many,
    simulate_tables,
)

__all__ = [
    "TABLES", "RunResult", "RunSet", "actor_table", "batch_size", "batch_tables", "channel_table",
    "collect", "read_runset", "replication_seeds", "run_batches", "seed_label", "simulate",
    "simulate_many", "simulate_tables",
]
