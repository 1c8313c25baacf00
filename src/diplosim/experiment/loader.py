"""Loading an experiment file: the schema (:mod:`diplosim.experiment.spec`), its design and
outcome names, then every design point's overrides applied to the scenario and validated exactly
as ``run --set`` would, before any run starts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from diplosim.experiment.design import build_design
from diplosim.experiment.outcomes import STEP_METRICS, SUMMARY_METRICS
from diplosim.experiment.spec import Experiment, ExperimentSpec
from diplosim.io.errors import InputError, Problem
from diplosim.io.validation import validate_document
from diplosim.io.yamlio import Document, parse_yaml, read_yaml, require_mapping
from diplosim.results.posterior import Posterior, read_posterior
from diplosim.scenario import Scenario, load_scenario


def load_experiment(path: str | Path, check: bool = True) -> Experiment:
    """Read and validate an experiment file, its scenario and (``check``) every design point."""
    return _experiment(read_yaml(path), Path(path).parent, check)


def experiment_from_text(text: str, source: str = "<string>", base_dir: str | Path = ".",
                         check: bool = True) -> Experiment:
    """An experiment from YAML text; the scenario path is relative to ``base_dir``.

    ``check=False`` skips validating the parameters against the scenario, for experiments run
    with a custom evaluator instead of the diplomacy model.
    """
    return _experiment(parse_yaml(text, source), Path(base_dir), check)


def _experiment(doc: Document, base_dir: Path, check: bool) -> Experiment:
    require_mapping(doc, "experiment")
    spec = validate_document(doc, ExperimentSpec)
    scenario_path = Path(spec.scenario)
    if not scenario_path.is_absolute():
        scenario_path = base_dir / scenario_path
    try:
        found = scenario_path.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise InputError([Problem(f"cannot use this path: {exc.strerror}", path="scenario",
                                  value=spec.scenario, has_value=True,
                                  line=doc.line_of("scenario"),
                                  allowed="a path relative to the experiment file")],
                         source=doc.source) from None
    if not found:
        raise InputError([Problem("no such scenario file", path="scenario", value=spec.scenario,
                                  has_value=True, line=doc.line_of("scenario"),
                                  allowed="a path relative to the experiment file")],
                         source=doc.source)
    experiment = Experiment(spec, doc, load_scenario(scenario_path),
                            _posterior(spec, doc, base_dir))
    if check:
        check_against_scenario(experiment)
    else:
        build_design(spec, source=doc.source, lines=doc.lines)
    return experiment


def _posterior(spec: ExperimentSpec, doc: Document, base_dir: Path) -> Posterior | None:
    """The fit named by ``posterior:``, read and checked (a located error otherwise)."""
    if spec.posterior is None:
        return None
    path = Path(spec.posterior)
    try:
        return read_posterior(path if path.is_absolute() else base_dir / path)
    except InputError as exc:
        detail = "; ".join(p.message for p in exc.problems)
        raise InputError([Problem(detail, path="posterior", value=spec.posterior, has_value=True,
                                  line=doc.line_of("posterior"),
                                  allowed="the folder of a complete diplosim calibrate --fit, "
                                  "relative to the experiment file")],
                         source=doc.source) from None


def check_against_scenario(experiment: Experiment) -> None:
    """Apply each parameter's extreme values to the scenario and validate, before any run."""
    spec, doc = experiment.spec, experiment.document
    design = build_design(spec, source=doc.source, lines=doc.lines)
    base = experiment.scenario
    if spec.steps is not None:
        base = _checked(experiment, base, {"steps": spec.steps}, "steps")
    for i, p in enumerate(spec.parameters):
        column = design.points[p.column]
        probes = sorted(set(column.tolist()), key=str)
        picks = probes if len(probes) <= 3 else [probes[0], probes[len(probes) // 2], probes[-1]]
        for value in picks:
            _checked(experiment, base, {p.path: value}, f"parameters.{i}.path")
    _check_metrics(experiment)
    if experiment.posterior is not None:  # every particle must fit the scenario
        posterior = experiment.posterior
        for particle in range(len(posterior.weights)):
            try:
                posterior.scenario_for(base, particle)
            except InputError as exc:
                raise InputError([replace(exc.problems[0], path="posterior",
                                          line=doc.line_of("posterior"))],
                                 source=doc.source) from None
    for o in spec.outcomes:
        if o.dyad is not None:
            ids = [s.id for s in base.spec.states]
            for end in o.dyad:
                if end not in ids:
                    i = spec.outcomes.index(o)
                    raise InputError([Problem("unknown state", path=f"outcomes.{i}.dyad",
                                              value=end, has_value=True,
                                              line=doc.line_of(f"outcomes.{i}.dyad"),
                                              allowed=", ".join(ids))], source=doc.source)


def _check_metrics(experiment: Experiment) -> None:
    spec, doc = experiment.spec, experiment.document
    allowed = ", ".join(sorted(STEP_METRICS | SUMMARY_METRICS))
    problems = []
    for i, o in enumerate(spec.outcomes):
        where = f"outcomes.{i}"
        if o.metric in STEP_METRICS and o.aggregate == "value":
            problems.append(Problem(f"{o.metric} is per step: aggregate final, mean, max, min or "
                                    "first", path=f"{where}.aggregate", value=o.aggregate,
                                    has_value=True, line=doc.line_of(f"{where}.aggregate")))
        elif o.metric in SUMMARY_METRICS and o.aggregate != "value":
            problems.append(Problem(f"{o.metric} is one value per dyad", path=f"{where}.aggregate",
                                    value=o.aggregate, has_value=True, allowed="value",
                                    line=doc.line_of(f"{where}.aggregate") or doc.line_of(where)))
        elif o.metric not in STEP_METRICS | SUMMARY_METRICS:
            problems.append(Problem("unknown metric", path=f"{where}.metric", value=o.metric,
                                    has_value=True, allowed=allowed,
                                    line=doc.line_of(f"{where}.metric")))
    if spec.series is not None:
        for j, m in enumerate(spec.series.metrics):
            if m not in STEP_METRICS:
                problems.append(Problem("unknown per-step metric", path=f"series.metrics.{j}",
                                        value=m, has_value=True,
                                        allowed=", ".join(sorted(STEP_METRICS)),
                                        line=doc.line_of(f"series.metrics.{j}")))
    if problems:
        raise InputError(problems, source=doc.source)


def _checked(experiment: Experiment, base: Scenario, override: dict[str, Any],
             where: str) -> Scenario:
    try:
        return base.with_overrides(override)
    except InputError as exc:
        detail = "; ".join(p.message + (f" at {p.path}" if p.path else "") for p in exc.problems)
        (path, value), = override.items()
        raise InputError([Problem(
            f"setting scenario field {path} = {value!r} fails: {detail}",
            path=where, value=path, has_value=True,
            line=experiment.document.line_of(where),
            allowed=f"a field of {base.source} that takes this value",
        )], source=experiment.source) from None
