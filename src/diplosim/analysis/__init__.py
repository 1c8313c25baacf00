"""Analysis of results: channel survival after mission closure, calibration data, episodes and
the ABC-SMC fit.

May import the engine, ``results``, ``scenario``, ``experiment`` (executors) and ``io``; never
plotting, viz or commands.
"""

from diplosim.analysis.survival import channel_survival, closure_durations, kaplan_meier

__all__ = ["channel_survival", "closure_durations", "kaplan_meier"]
