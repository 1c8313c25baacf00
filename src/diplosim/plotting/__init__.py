"""Figures from results: each function takes results (and optionally an Axes), returns a Figure.

Run results (a folder from ``diplosim run``, read with :func:`diplosim.results.runset.read_runset`):
:func:`plot_time_series`, :func:`plot_survival`, :func:`plot_channel_timeline`,
:func:`plot_network`. Sweep results (:func:`diplosim.experiment.read_sweep`):
:func:`plot_outcome_vs_parameter`, :func:`plot_heatmap`, :func:`plot_sobol`, :func:`plot_morris`.
Negotiations: :func:`plot_negotiation`. :func:`write_run_figures` and :func:`write_sweep_figures`
draw the standard set into ``<results>/figures/``.

May import everything below it (results, experiment, analysis, scenario, io); never viz or commands.
"""

from diplosim.io.options import RUN_KINDS, SWEEP_KINDS
from diplosim.plotting.files import (
    save,
    write_run_figures,
    write_sweep_figures,
)
from diplosim.plotting.negotiation import plot_negotiation
from diplosim.plotting.network import plot_network
from diplosim.plotting.runs import plot_channel_timeline, plot_survival, plot_time_series
from diplosim.plotting.style import OKABE_ITO
from diplosim.plotting.sweeps import (
    plot_heatmap,
    plot_morris,
    plot_outcome_vs_parameter,
    plot_sobol,
)

__all__ = [
    "OKABE_ITO", "RUN_KINDS", "SWEEP_KINDS", "plot_channel_timeline", "plot_heatmap",
    "plot_morris", "plot_negotiation", "plot_network", "plot_outcome_vs_parameter",
    "plot_sobol", "plot_survival", "plot_time_series", "save", "write_run_figures",
    "write_sweep_figures",
]
