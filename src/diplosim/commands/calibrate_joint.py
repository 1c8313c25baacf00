"""``diplosim calibrate --joint``: the shared parameter set fitted to every real case and the
record at once; ``--leave-out CASE`` fits without one case and predicts it; ``--loco`` runs the
leave-one-case-out study, fold by fold (docs/calibration.md, "One model for every case").

A joint fit's folder (new, empty, or an interrupted fit with ``--resume``):

```
OUT/provenance.json          set, cases, record rules, priors, settings, seeds, versions, times,
                             posterior medians and 90% intervals, the predictions
OUT/abc.db                   pyabc's history (SQLite); --resume continues it
OUT/posterior.parquet        the last generation's particles (columns parameters.*, weight):
                             run --posterior reads it
OUT/generations.parquet      per generation: epsilon, simulations, acceptance
OUT/predictive.parquet       per case: the first agreement predicted from posterior draws (median,
                             90% interval) against the real date, and the connected shares
OUT/predictive_draws.parquet per case and draw: years to the first agreement (NaN: none)
OUT/parameters.yaml          the set with the posterior medians, its header citing the fit
OUT/figures/                 cases (predictions against the record), marginals, pairs
```

The study (``--loco``) writes ``OUT/<case>/`` (a joint fit without that case) for each case,
then ``OUT/loco.parquet`` (each held-out case's prediction) and ``OUT/figures/loco.png``. A fold
already complete is kept; an interrupted one is resumed; so the study can be stopped and
continued fold by fold.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from diplosim.analysis import episodes as ep
from diplosim.analysis.abc_fit import FitResult, run_abc
from diplosim.analysis.calibration import CREDIT, EpisodeRules, data_episodes
from diplosim.analysis.cases import BY_NAME, CASES, prediction_table
from diplosim.analysis.joint_fit import (
    JOINT_PRIORS,
    STRUCTURE_PRIORS,
    STRUCTURES,
    JointModel,
    joint_distance,
    predict,
)
from diplosim.commands.calibrate_fit import parse_prior, posterior_lines
from diplosim.io import examples
from diplosim.io.errors import InputError
from diplosim.io.outputs import (
    FORMAT,
    atomic_write,
    claim_folder,
    read_marker,
    write_json,
)
from diplosim.results.runset import command_line, now, versions
from diplosim.scenario.shared import PREFIX, available, parameter_set

# The default budget: within an hour on two cores (docs/calibration.md has the times).
DEFAULTS = {"population": 1000, "generations": 8, "episodes": 200, "reps": 8,
            "max_simulations": 40000}
# The budget of each fold of the study: eight folds in about the time of one full fit.
LOCO_DEFAULTS = {"population": 40, "generations": 3, "episodes": 200, "reps": 4,
                 "max_simulations": 600}


def joint_command(args: argparse.Namespace, rules: EpisodeRules) -> int:
    for option, value in (LOCO_DEFAULTS if args.loco else DEFAULTS).items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    for option in ("population", "generations", "episodes", "draws", "reps", "max_simulations"):
        if getattr(args, option) < 1:
            raise InputError.single("must be at least 1", source=f"--{option}",
                                    value=getattr(args, option))
    if args.parameters not in available():
        raise InputError.single("no such parameter set", source="--parameters",
                                value=args.parameters, allowed=", ".join(available()))
    priors = tuple(parse_prior(p) for p in args.prior) or (
        *JOINT_PRIORS, *STRUCTURE_PRIORS.get(args.structure, ()))
    for prior in priors:
        if not prior.path.startswith(PREFIX):
            raise InputError.single("the joint fit fits values of the parameter set",
                                    source="--prior", value=prior.path,
                                    allowed=f"{PREFIX}PATH, e.g. {PREFIX}tension.drift=0.05:5:log")
        parameter_set(args.parameters, {prior.path.removeprefix(PREFIX): prior.low},
                      source="--prior")
    names = [c.name for c in CASES]
    if args.leave_out and args.leave_out not in names:
        raise InputError.single("not a real case", source="--leave-out", value=args.leave_out,
                                allowed=", ".join(names))
    table = data_episodes(rules)
    if len(table) < 5:
        raise InputError.single(f"only {len(table)} episodes are kept", source="--since/--until",
                                allowed="rules that keep at least 5 episodes")
    out = Path(args.out) if args.out else Path("results") / (
        "joint_loco" if args.loco else f"joint_fit_{args.parameters}"
        + (f"_without_{args.leave_out}" if args.leave_out else ""))
    if args.loco:
        return _loco(args, rules, table, priors, out)
    fit_one(args, rules, table, priors, out, args.leave_out)
    return 0


def fit_one(args: argparse.Namespace, rules: EpisodeRules, table: pd.DataFrame,
            priors: tuple[Any, ...], out: Path, leave_out: str | None) -> pd.DataFrame:
    """One joint fit into ``out`` (resumed or kept when asked); returns its predictions."""
    marker = read_marker(out) if out.is_dir() else None
    if args.loco and marker is not None and marker.get("status") == "complete":
        print(f"fold {leave_out}: complete, kept ({out})", flush=True)
        return pd.read_parquet(out / "predictive.parquet")
    resume = args.resume or (args.loco and marker is not None)
    state = claim_folder(out, "calibration", resume=resume)
    if resume and state != "own":
        if args.loco:
            resume = False
        else:
            raise InputError.single("nothing to resume: no fit here", source=str(out),
                                    allowed="the --out folder of an interrupted fit")
    out.mkdir(parents=True, exist_ok=True)
    cases = tuple(c.name for c in CASES if c.name != leave_out)
    model = JointModel(args.parameters, cases, args.reps, ep.follow_up_years(table),
                       ep.from_data(table).summary(), args.episodes,
                       fixed=STRUCTURES[args.structure])
    provenance = _provenance(args, rules, priors, cases, leave_out, len(table))
    if resume:
        old = read_marker(out) or {}
        if old.get("fingerprint") != provenance["fingerprint"]:
            raise InputError.single("the fit's set, cases, priors or settings changed since it "
                                    "started", source=str(out / "provenance.json"),
                                    allowed="the same options, or a new --out")
        provenance["started"] = old.get("started", provenance["started"])
    write_json(out / "provenance.json", provenance)
    print(f"joint fit of the set {args.parameters!r}, structure {args.structure}: "
          f"{len(cases)} cases"
          f"{f' (without {leave_out})' if leave_out else ''} and {len(table)} breaks "
          f"({rules.describe()}); {len(priors)} parameters, {args.population} particles, up to "
          f"{args.generations} generations, {args.reps} replications per case, "
          f"{args.backend}", flush=True)
    began = time.monotonic()
    fit = run_abc(model, model.zero(), joint_distance, out / "abc.db", priors=priors,
                  population=args.population, generations=args.generations, seed=args.seed,
                  backend=args.backend, workers=args.workers, scheduler=args.scheduler,
                  resume=resume, max_simulations=args.max_simulations)
    fit_seconds = time.monotonic() - began
    predicted = [c.name for c in CASES] if not leave_out else [leave_out, *cases]
    rows, draws = [], []
    for k, name in enumerate(predicted):
        runs = predict(model, name, fit.posterior, draws=args.draws, seed=args.seed + 1 + k)
        start = model.base(name).spec.start
        assert start is not None
        row = prediction_table(BY_NAME[name], start, runs)
        row["fitted"] = name != leave_out
        rows.append(row)
        draws.append(pd.DataFrame({"case": name, "draw": np.arange(args.draws),
                                   "first_agreement_years": runs.first_agreement,
                                   "span_years": runs.span, "start": pd.Timestamp(start)}))
        print(f"  predicted {name}: {_describe(row)}", flush=True)
    predictive = _frame(rows)
    _write(out, fit, predictive, pd.concat(draws, ignore_index=True), provenance, fit_seconds,
           model.fixed)
    print(report(fit, predictive))
    print(f"\nresults: {out}/ (posterior.parquet, predictive.parquet, parameters.yaml, figures/)")
    print(f"data: {CREDIT}")
    return predictive


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("real_date", "median", "q05", "q95"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _describe(row: dict[str, Any]) -> str:
    def day(value: Any) -> str:
        return "none" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m}"

    text = (f"first agreement {day(row['median'])} [{day(row['q05'])}, {day(row['q95'])}], "
            f"real {day(row['real_date'])}; agreement in {row['agreement_share']:.0%} of draws")
    return text + ("; predicted" if row["predicted"] else "; missed")


def _fingerprint(args: argparse.Namespace, priors: tuple[Any, ...], cases: tuple[str, ...],
                 rules: EpisodeRules) -> str:
    # "log10 proposals": log-uniform values are proposed in log10 (abc_fit.run_abc); a fit
    # begun before that cannot be resumed by this version
    # the cases' files too: a case changed under a fit would mix two models in one history
    files = [hashlib.sha256(examples.path(c).read_bytes()).hexdigest() for c in cases]
    text = repr(("log10 proposals", args.parameters, args.structure, cases, files,
                 [(p.path, p.low, p.high, p.kind) for p in priors],
                 args.population, args.reps, args.episodes, args.seed, rules.since, rules.until,
                 rules.causes, yaml.safe_dump(parameter_set(args.parameters))))
    return hashlib.sha256(text.encode()).hexdigest()


def _provenance(args: argparse.Namespace, rules: EpisodeRules, priors: tuple[Any, ...],
                cases: tuple[str, ...], leave_out: str | None, breaks: int) -> dict[str, Any]:
    return {
        "format": FORMAT, "kind": "calibration", "fit": "joint", "status": "running",
        "parameter_set": {"name": args.parameters, "values": parameter_set(args.parameters)},
        "structure": args.structure,
        "cases": list(cases), "left_out": leave_out,
        "episodes": {"since": rules.since, "until": rules.until, "causes": list(rules.causes),
                     "count": breaks},
        "priors": [{"path": p.path, "low": p.low, "high": p.high, "kind": p.kind}
                   for p in priors],
        "settings": {"population": args.population, "generations": args.generations,
                     "replications_per_case": args.reps, "episodes_per_simulation": args.episodes,
                     "draws": args.draws, "backend": args.backend, "workers": args.workers,
                     "max_simulations": args.max_simulations},
        "fingerprint": _fingerprint(args, priors, cases, rules),
        "root_seed": args.seed, "data": CREDIT, "versions": versions(),
        "command": command_line(), "started": now(),
    }


def _write(out: Path, fit: FitResult, predictive: pd.DataFrame, draws: pd.DataFrame,
           provenance: dict[str, Any], seconds: float, fixed: Mapping[str, float]) -> None:
    from diplosim.plotting.calibration import plot_case_predictions, plot_marginals, plot_pairs
    from diplosim.plotting.files import FigureFolder

    def parquet(frame: pd.DataFrame, path: Path) -> None:
        frame.to_parquet(path, index=False)

    # the structure's fixed values as columns: runs under the posterior take them too
    posterior = fit.posterior.assign(**fixed)[[*fit.posterior.columns.drop("weight"), *fixed,
                                               "weight"]]
    atomic_write(out / "posterior.parquet", functools.partial(parquet, posterior))
    atomic_write(out / "generations.parquet", functools.partial(parquet, fit.generations))
    atomic_write(out / "predictive.parquet", functools.partial(parquet, predictive))
    atomic_write(out / "predictive_draws.parquet", functools.partial(parquet, draws))
    figures = FigureFolder(out / "figures")
    figures.save(plot_case_predictions(predictive, draws), "cases.png")
    figures.save(plot_marginals(fit), "marginals.png")
    figures.save(plot_pairs(fit), "pairs.png")
    text = parameters_text(fit, provenance)
    atomic_write(out / "parameters.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    provenance.update(
        status="complete", finished=now(), fit_seconds=round(seconds, 1),
        posterior={p.path: {"median": fit.medians()[p.path], "q05": fit.intervals()[p.path][0],
                            "q95": fit.intervals()[p.path][1]} for p in fit.priors},
        generations=fit.generations.to_dict(orient="records"),
        predictions=predictive.to_dict(orient="records"))
    write_json(out / "provenance.json", provenance)


def parameters_text(fit: FitResult, provenance: dict[str, Any]) -> str:
    """The parameter set with the posterior medians: a set file, its header citing the fit."""
    values = provenance["parameter_set"]["values"]
    medians = {p.path.removeprefix(PREFIX): round(v, 4) for p, v in
               zip(fit.priors, fit.medians().values(), strict=True)}
    doc: dict[str, Any] = copy.deepcopy(values)  # the set's own order
    for path, value in medians.items():
        cur = doc
        *parents, last = path.split(".")
        for part in parents:
            cur = cur[part]
        cur[last] = value
    intervals = fit.intervals()
    g = fit.generations
    left = provenance["left_out"]
    lines = [
        f"# The parameter set {provenance['parameter_set']['name']!r} with the posterior medians "
        "of a joint fit",
        f"# (diplosim calibrate --joint; docs/calibration.md) to {len(provenance['cases'])} real "
        f"cases{f' (without {left})' if left else ''}",
        f"# and {provenance['episodes']['count']} U.S. mission breaks begun "
        f"{provenance['episodes']['since']} to {provenance['episodes']['until']}.",
        f"# Fit: {provenance['settings']['population']} particles, {len(g)} generations, "
        f"final epsilon {g['epsilon'].iloc[-1]:.3f}, effective sample size "
        f"{g['ess'].iloc[-1]:.0f}, root seed {provenance['root_seed']}, "
        f"{dt.date.today():%Y-%m-%d}.",
        "# Posterior median [90% interval] of the fitted values (the others are the set's):",
        *(f"#   {p.path.removeprefix(PREFIX)}: {fit.medians()[p.path]:.4g} "
          f"[{intervals[p.path][0]:.4g}, {intervals[p.path][1]:.4g}]" for p in fit.priors),
        "# For parameter uncertainty run with --posterior (this fit's folder), not this file.",
        f"# Data: {CREDIT}",
    ]
    return "\n".join(lines) + "\n" + yaml.safe_dump(doc, sort_keys=False, width=100)


def report(fit: FitResult, predictive: pd.DataFrame) -> str:
    lines = posterior_lines(fit)
    lines.append("\nfirst agreement, predicted from posterior draws (median [90% interval]):")
    for row in _records(predictive):
        tag = "fitted" if row["fitted"] else "HELD OUT"
        lines.append(f"  {row['case']:<30} {tag:<8} {_describe(row)}")
    return "\n".join(lines)


def _loco(args: argparse.Namespace, rules: EpisodeRules, table: pd.DataFrame,
          priors: tuple[Any, ...], out: Path) -> int:
    state = claim_folder(out, "loco", resume=True)
    out.mkdir(parents=True, exist_ok=True)
    marker: dict[str, Any] = {"format": FORMAT, "kind": "loco", "status": "running",
              "folds": [c.name for c in CASES], "command": command_line(), "started": now()}
    old = read_marker(out) if state == "own" else None
    if old:
        marker["started"] = old.get("started", marker["started"])
    write_json(out / "provenance.json", marker)
    held = []
    for k, case in enumerate(CASES, start=1):
        print(f"fold {k}/{len(CASES)}: without {case.name}", flush=True)
        predictive = fit_one(args, rules, table, priors, out / case.name, case.name)
        held.append(predictive[predictive["case"] == case.name])
    study = pd.concat(held, ignore_index=True)
    draws = pd.concat([pd.read_parquet(out / c.name / "predictive_draws.parquet").query(
        "case == @c.name") for c in CASES], ignore_index=True)
    atomic_write(out / "loco.parquet", lambda p: study.to_parquet(p, index=False))
    from diplosim.plotting.calibration import plot_case_predictions
    from diplosim.plotting.files import FigureFolder

    FigureFolder(out / "figures").save(
        plot_case_predictions(study, draws, title="each case predicted by a fit without it"),
        "loco.png")
    hits = int(study["predicted"].sum())
    marker.update(status="complete", finished=now(), predicted=hits,
                  table=study.to_dict(orient="records"))
    write_json(out / "provenance.json", marker)
    print(f"\nleave one case out: {hits} of {len(study)} held-out cases predicted "
          "(real date inside the 90% interval, the interval at most a third of the span; "
          "no agreement in at most 10% of draws where none happened)")
    for row in _records(study):
        print(f"  {row['case']:<30} {_describe(row)}")
    print(f"\nresults: {out}/loco.parquet, {out}/figures/loco.png, one fit per fold in {out}/")
    return 0
