"""Analysis of results: channel survival after mission closure, calibration targets."""

from diplosim.analysis.survival import channel_survival, closure_durations, kaplan_meier

__all__ = ["channel_survival", "closure_durations", "kaplan_meier"]
