"""Names the command line shares with the library (backends, methods, figure kinds, causes).

A leaf module with no imports, so that ``diplosim --help`` can show them without loading NumPy,
pandas, SciPy, matplotlib or Mesa; the modules that use them import them from here.
"""

BACKENDS = ("serial", "process", "dask")  # executors of sweeps and fits
METHODS = ("sobol", "morris")  # sensitivity analyses
FORMATS = ("png", "svg", "pdf")  # figure formats
RUN_KINDS = ("time_series", "survival", "timeline", "network")  # figures of a run folder
SWEEP_KINDS = ("response", "heatmap", "sensitivity")  # figures of a sweep folder
CAUSES = ("rupture", "evacuation", "state_change")  # coded causes of mission breaks
