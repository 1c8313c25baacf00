"""Parameter sweeps: experiment files, designs, executors, a resumable store, sensitivity.

May import the engine, ``results``, ``scenario`` and ``io``; never analysis, plotting, viz or
commands.
"""

from diplosim.experiment.design import Design, build_design, run_seed
from diplosim.experiment.executors import make_executor
from diplosim.experiment.loader import experiment_from_text, load_experiment
from diplosim.experiment.runner import RunContext, simulate_outcomes
from diplosim.experiment.sensitivity import Sensitivity, analyze
from diplosim.experiment.spec import Experiment, ExperimentSpec
from diplosim.experiment.store import SweepResult, read_sweep
from diplosim.experiment.sweep import SweepReport, outcome_table, run_sweep
from diplosim.io.options import BACKENDS

__all__ = [
    "BACKENDS", "Design", "Experiment", "ExperimentSpec", "RunContext", "Sensitivity",
    "SweepReport", "SweepResult", "analyze", "build_design", "experiment_from_text",
    "load_experiment", "make_executor",
    "outcome_table", "read_sweep", "run_seed", "run_sweep", "simulate_outcomes",
]
