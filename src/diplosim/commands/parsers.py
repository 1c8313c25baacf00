"""The ``diplosim`` command line: every subcommand's arguments, without its work.

Each function adds one subcommand's parser; its handler is named as ``"module:function"`` and
imported only when that subcommand runs (:func:`lazy`), so ``diplosim --help`` and argument
errors do not load the scientific stack. The handlers take the parsed ``argparse.Namespace`` and
return an exit status.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from diplosim.io.options import BACKENDS, CAUSES, FORMATS, METHODS, RUN_KINDS, SWEEP_KINDS

# what add_subparsers returns; a lazy alias, so typing is not imported at start-up
type Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

TEMPLATE = "us_ruptures"  # the rupture template of calibrate --fit (a bundled scenario)


def lazy(target: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``module`` and calls ``function`` (``"module:function"``)."""
    module, _, name = target.partition(":")

    def handler(args: argparse.Namespace) -> int:
        status: int = getattr(importlib.import_module(module), name)(args)
        return status

    handler.__qualname__ = target
    return handler


def example(kind: str) -> Callable[[str], str]:
    """An argument type: a file path, or the name of a bundled example of ``kind`` when no such
    file exists (:func:`diplosim.io.examples.resolve`, which says so on stderr)."""

    def convert(value: str) -> str:
        from diplosim.io.examples import resolve

        return str(resolve(value, kind))  # type: ignore[arg-type]

    return convert


def run(sub: Subparsers) -> None:
    p = sub.add_parser("run", help="run a scenario: replications, summary, results folder",
                       description="Validate and run a scenario file; print a summary table "
                       "and write a results folder (Parquet + CSV, provenance, figures).")
    p.add_argument("scenario", type=example("scenario"),
                   help="scenario YAML file, or the name of a bundled one (diplosim examples)")
    p.add_argument("--reps", type=int, default=10, help="replications (default 10)")
    p.add_argument("--seed", type=int, default=None,
                   help="root seed (default: the scenario's seed, else 12345)")
    p.add_argument("--steps", type=int, default=None, help="override the scenario's steps")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field by dotted path, e.g. channels.backchannel.noise=0.1")
    p.add_argument("--out", default=None,
                   help="results folder (default results/<scenario name>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier run in --out (only a folder diplosim "
                   "wrote; the old results stay whole until the new ones are complete)")
    p.add_argument("--no-csv", action="store_true", help="write Parquet only")
    p.add_argument("--no-plots", action="store_true", help="do not draw the standard figures")
    p.add_argument("--quiet", action="store_true", help="no progress or summary")
    p.add_argument("--posterior", default=None, metavar="FIT",
                   help="draw one parameter set per replication from the posterior of a fit "
                   "(the folder of diplosim calibrate --fit), seeded by the replication")
    p.set_defaults(func=lazy("diplosim.commands.run:run_command"))


def scenario(sub: Subparsers) -> None:
    v = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files; print every problem with its line.")
    v.add_argument("files", nargs="+", type=example("scenario"),
                   help="scenario YAML files (or names of bundled ones)")
    v.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="check with these overrides applied")
    v.add_argument("--facts", action="store_true",
                   help="also report, for each file naming a parameter set, the values it sets "
                   "that are not facts of its case (docs/validity.md), and fail if case_specific "
                   "does not name each with its reason")
    v.set_defaults(func=lazy("diplosim.commands.scenario:validate_command"))
    s = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                       description="Print the JSON Schema of the scenario format (for editors).")
    s.set_defaults(func=lazy("diplosim.commands.scenario:schema_command"))


def calibrate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "calibrate",
        help="compare mission closures with U.S. mission breaks since 1945; fit the rupture "
        "template to them (--fit)",
        description="Statistics of U.S. mission breaks (real data, CC-BY 4.0) and, given a "
        "results folder of `diplosim run`, of the run's mission closures. With --fit: fit the "
        "rupture template's parameters to the selected breaks by ABC-SMC (pyabc) and write a "
        "results folder (posterior, predictive checks, figures, a calibrated scenario).")
    p.add_argument("results", nargs="?", help="results folder of diplosim run (optional)")
    p.add_argument("--since", default="1945-01-01",
                   help="first start date of the breaks kept (YYYY-MM-DD; default 1945-01-01)")
    p.add_argument("--until", default="2024-12-31",
                   help="last start date of the breaks kept (default 2024-12-31)")
    p.add_argument("--causes", default=None,
                   help=f"comma-separated causes kept ({', '.join(CAUSES)}); default: all "
                   "without --fit, rupture,evacuation with --fit")
    p.add_argument("--list", action="store_true", help="list the breaks kept")
    f = p.add_argument_group("fit (--fit)")
    f.add_argument("--fit", action="store_true", help="fit the template to the breaks kept")
    f.add_argument("--template", default=None, type=example("scenario"),
                   help=f"template scenario (default: the bundled {TEMPLATE})")
    f.add_argument("--prior", action="append", default=[], metavar="PATH=LOW:HIGH[:log]",
                   help="fit this dotted path (repeatable; replaces the default priors)")
    f.add_argument("--population", type=int, default=None,
                   help="particles per generation (default 200; 1000 with --joint, 40 per fold "
                   "with --loco)")
    f.add_argument("--generations", type=int, default=None,
                   help="at most this many generations (default 10; 8 with --joint, 3 with "
                   "--loco)")
    f.add_argument("--episodes", type=int, default=None,
                   help="simulated episodes per parameter set (default 400; 200 with --joint)")
    f.add_argument("--draws", type=int, default=100,
                   help="posterior draws for the predictive checks (default 100)")
    f.add_argument("--predict-since", default=None, metavar="DATE",
                   help="out of sample: also predict the breaks begun from DATE (to --predict-"
                   "until), with the same causes")
    f.add_argument("--predict-until", default="2024-12-31", metavar="DATE")
    f.add_argument("--seed", type=int, default=1945, help="root seed (default 1945)")
    f.add_argument("--backend", choices=("serial", "process", "dask"), default="process")
    f.add_argument("--workers", type=int, default=None)
    f.add_argument("--scheduler", default=None, metavar="ADDRESS")
    f.add_argument("--out", default=None, help="results folder (default results/<template>_fit)")
    f.add_argument("--resume", action="store_true",
                   help="continue an interrupted fit in --out (its history is kept) up to "
                   "--generations in all")
    j = p.add_argument_group("joint fit (--joint, --loco; the fit options above apply too)")
    j.add_argument("--joint", action="store_true",
                   help="fit a shared parameter set to the eight real cases and the breaks kept")
    j.add_argument("--parameters", default="pooled", metavar="SET",
                   help="the shared parameter set whose values are fitted (default pooled); "
                   "--prior paths start parameters.")
    j.add_argument("--structure", default="today",
                   choices=("today", "mandates", "political_changes", "staged", "red_lines"),
                   help="the rule for when talks on the settlement open and succeed "
                   "(docs/validity.md): today's; channel mandates; dated political changes, "
                   "whose sizes by kind are fitted too; staged talks, whose stages' rate is "
                   "fitted too; red lines (on mandates: win-sets, partial agreements, "
                   "ratification), whose three sizes are fitted too (default today)")
    j.add_argument("--reps", type=int, default=None,
                   help="replications of each case per parameter set (default 8; 4 with --loco)")
    j.add_argument("--leave-out", default=None, metavar="CASE",
                   help="fit without this case and predict it from its facts alone")
    j.add_argument("--loco", action="store_true",
                   help="leave one case out, for each case in turn (resumable fold by fold)")
    f.add_argument("--max-simulations", type=int, default=None, metavar="N",
                   help="stop a fit after N simulations in all (a budget per fit; default 40000 "
                   "with --joint, 600 per fold with --loco, none with --fit)")
    p.set_defaults(func=lazy("diplosim.commands.calibrate:calibrate_command"))


def negotiate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "negotiate",
        help="run one negotiation session file",
        description="Run a negotiation session file (see docs/negotiation.md) and print the "
        "outcome: agreement, deal, utilities, rounds, distance to the Nash point.",
    )
    p.add_argument("file", type=example("session"),
                   help="session YAML file, or the name of a bundled one (diplosim examples)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--seed", type=int, default=None, help="override the file's seed")
    p.add_argument("--trace", action="store_true", help="also print the full trace")
    p.set_defaults(func=lazy("diplosim.negotiation.cli:negotiate_command"))


def sweep_and_analyze(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sweep", help="run a parameter sweep (experiment file) into a resumable results folder",
        description="Run every point × replication of an experiment file on local processes, "
        "serially or on a Dask cluster; results stream to Parquet parts, so an interrupted "
        "sweep loses at most the runs in flight and --resume finishes it.")
    p.add_argument("experiment", type=example("experiment"),
                   help="experiment YAML file, or the name of a bundled one (diplosim examples)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=BACKENDS, default="process",
                   help="serial, process (default) or dask")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --backend dask: an existing scheduler (tcp://host:8786); "
                   "default: start a local cluster")
    p.add_argument("--out", default=None, help="results folder (default results/<experiment>)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out, skipping the runs stored")
    p.add_argument("--csv", action="store_true", help="also export runs.csv (and series.csv)")
    p.add_argument("--quiet", action="store_true", help="no progress line or summary")
    p.set_defaults(func=lazy("diplosim.experiment.cli:sweep_command"))

    a = sub.add_parser("analyze", help="sensitivity indices (Sobol, Morris) of a sweep",
                       description="Average replications per point and compute Sobol (S1, ST, "
                       "S2 with confidence intervals) or Morris (mu*, sigma) indices with SALib; "
                       "print them and write sensitivity_<method>.csv into the results folder.")
    a.add_argument("results", help="a folder written by diplosim sweep")
    a.add_argument("--sensitivity", choices=METHODS, required=True)
    a.add_argument("--outcome", action="append", default=None,
                   help="outcome to analyse (repeatable; default: all)")
    a.set_defaults(func=lazy("diplosim.experiment.cli:analyze_command"))


def plot(sub: Subparsers) -> None:
    p = sub.add_parser(
        "plot", help="draw figures of a results folder (run or sweep) or a negotiation file",
        description="Draw the standard figures of a `diplosim run` folder "
        f"({', '.join(RUN_KINDS)}), of a `diplosim sweep` folder ({', '.join(SWEEP_KINDS)}), "
        "or the offers of a negotiation session file (negotiation).")
    p.add_argument("results", type=example("session"),
                   help="results folder, or a negotiation session YAML file (or the name of a "
                   "bundled one)")
    p.add_argument("--kind", action="append", default=None,
                   help="figure to draw (repeatable; default: all for these results)")
    p.add_argument("--out", default=None,
                   help="folder for the figures: new, empty or one diplosim wrote (default "
                   "RESULTS/figures; for a session file, results/<session file name>/)")
    p.add_argument("--format", choices=FORMATS, default="png")
    p.add_argument("--dyad", default=None,
                   help="run: the time series' dyad, e.g. north-south (default: the first whose "
                   "missions closed)")
    p.add_argument("--replication", type=int, default=0,
                   help="run: the replication of the timeline and network (default 0)")
    p.add_argument("--step", type=int, default=None,
                   help="run: the network's step (default: the first mission closure)")
    p.add_argument("--seed", type=int, default=None, help="negotiation: override the seed")
    p.set_defaults(func=lazy("diplosim.plotting.cli:plot_command"))


def viz(sub: Subparsers) -> None:
    p = sub.add_parser(
        "viz", help="explore a scenario in the browser (Mesa SolaraViz)",
        description="Serve an interactive page for a scenario: the channel network, tension, "
        "connected and redundancy, open channels by track, the state of Track 1 talks; Step, "
        "Play/Pause, Reset, and sliders (dotted paths, applied on Reset). Works offline once "
        "set up (scripts/bootstrap.sh caches the page's assets).")
    p.add_argument("scenario", type=example("scenario"),
                   help="scenario YAML file, or the name of a bundled one (diplosim examples)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the model (default: the scenario's seed)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field by dotted path before serving")
    p.set_defaults(func=lazy("diplosim.commands.viz:viz_command"))


def examples(sub: Subparsers) -> None:
    e = sub.add_parser(
        "examples", help="list the bundled scenarios, experiments and negotiation sessions",
        description="List the example files that come with diplosim. Any command taking a file "
        "also takes a bundled file's name, e.g. `diplosim run mission_closure`.")
    e.add_argument("--kind", choices=("scenario", "experiment", "session"), action="append",
                   default=None, help="only this kind (repeatable; default: all)")
    e.add_argument("--paths", action="store_true", help="also print where each file is")
    e.set_defaults(func=lazy("diplosim.commands.study:examples_command"))
    i = sub.add_parser(
        "init", help="start a study in a new folder: a scenario, an experiment, next steps",
        description="Write a starter study into DIR: a copy of a bundled scenario, an experiment "
        "sweeping two of its parameters, and a README.md of next steps. DIR must be new or "
        "empty: init never writes into a folder holding files.")
    i.add_argument("dir", help="folder to create (or an empty one)")
    i.add_argument("--from", dest="source", default="mission_closure", type=example("scenario"),
                   metavar="SCENARIO",
                   help="scenario to start from: a bundled name or a file (default "
                   "mission_closure, the flagship)")
    i.set_defaults(func=lazy("diplosim.commands.study:init_command"))


def plugins(sub: Subparsers) -> None:
    p = sub.add_parser(
        "plugins", help="list the installed plug-ins: strategies, protocols, events, dynamics",
        description="List what installed packages add to diplosim through entry points "
        "(docs/extending.md): each plug-in's registered name, package and version, and its "
        "parameters with their bounds and defaults. A scenario names a plug-in by its name. "
        "A plug-in registered under a built-in's name is listed as refused, with an error, and "
        "the exit status is 2.")
    p.add_argument("--json", action="store_true", help="print as JSON (with each plug-in's "
                   "parameters as a JSON Schema)")
    p.set_defaults(func=lazy("diplosim.commands.plugins:plugins_command"))


def heldout(sub: Subparsers) -> None:
    p = sub.add_parser(
        "heldout", help="score joint fits on the held-out cases against no-model forecasts",
        description="The held-out study of docs/validity.md: each fit's forecasts of the test "
        "cases (and, marked in sample, of the training cases), scored by the CRPS on the span "
        "and the log score on periods against two references that use no model (uniform; "
        "the first official opening plus the other cases' lags); skill with a bootstrap "
        "interval over the test cases, coverage and width of the 90% intervals.")
    p.add_argument("fits", nargs="+", metavar="FIT",
                   help="folders of complete joint fits (diplosim calibrate --joint --out)")
    p.add_argument("--cases", default=None, metavar="NAME,...",
                   help="score only these cases (default: every test case and the eight "
                   "training cases)")
    p.add_argument("--draws", type=int, default=200,
                   help="replications per forecast, one posterior draw each (default 200)")
    p.add_argument("--out", default="results/heldout", help="results folder (default "
                   "results/heldout; a folder this command wrote is replaced)")
    p.set_defaults(func=lazy("diplosim.commands.heldout:heldout_command"))


# In the order shown by ``--help``.
SUBCOMMANDS = (run, scenario, calibrate, negotiate, sweep_and_analyze, plot, viz, examples,
               plugins, heldout)


class VersionAction(argparse.Action):
    """``--version``, with the version looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        import diplosim

        print(f"diplosim {diplosim.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diplosim",
        description="Negotiation simulation engine for multi-track diplomacy research.",
    )
    parser.add_argument("--version", action=VersionAction, nargs=0,
                        help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser
