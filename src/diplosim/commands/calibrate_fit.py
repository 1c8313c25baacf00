"""``diplosim calibrate --fit``: ABC-SMC fit of the rupture template, its checks and outputs.

The results folder (new, empty, or an interrupted fit with ``--resume``):

```
OUT/provenance.json        template text and hash, episode rules, priors, settings, seeds,
                           versions, times, posterior medians and 90% intervals, checks
OUT/abc.db                 pyabc's history (SQLite): every generation; --resume continues it
OUT/posterior.parquet      the last generation's particles: one column per parameter, weight
OUT/generations.parquet    per generation: epsilon, simulations, acceptance
OUT/predictive.parquet     posterior predictive checks (in sample, and out of sample if asked)
OUT/calibrated.yaml        the template with the posterior medians, its header citing the fit
OUT/figures/               survival (data over model bands), marginals, pairs
```
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from diplosim.analysis import episodes as ep
from diplosim.analysis.abc_fit import (
    PRIORS,
    FitResult,
    Predictive,
    Prior,
    predictive_check,
    run_fit,
)
from diplosim.analysis.calibration import CREDIT, EpisodeRules, data_episodes
from diplosim.commands.parsers import TEMPLATE
from diplosim.io import examples
from diplosim.io.errors import InputError
from diplosim.io.outputs import FORMAT, atomic_write, claim_folder, read_marker, write_json
from diplosim.io.overrides import apply_overrides
from diplosim.results.runset import command_line, now, versions
from diplosim.scenario import Scenario, load_scenario
from diplosim.scenario.schema import ScenarioSpec


def parse_prior(text: str) -> Prior:
    """``PATH=LOW:HIGH`` or ``PATH=LOW:HIGH:log``."""
    path, sep, rest = text.partition("=")
    parts = rest.split(":")
    try:
        if not sep or not path or len(parts) not in (2, 3):
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
        kind = "loguniform" if len(parts) == 3 and parts[2] == "log" else "uniform"
        if len(parts) == 3 and parts[2] != "log":
            raise ValueError
        if not (math.isfinite(low) and math.isfinite(high) and low < high) or (
                kind == "loguniform" and low <= 0):
            raise ValueError
    except ValueError:
        raise InputError.single("a prior must look like PATH=LOW:HIGH or PATH=LOW:HIGH:log",
                                source="--prior", value=text,
                                allowed="e.g. tension.drift=0.005:0.5:log (LOW < HIGH; "
                                "LOW > 0 with log)") from None
    return Prior(path.strip(), low, high, kind, label=path.strip())


FIT_DEFAULTS = {"population": 200, "generations": 10, "episodes": 400}


def _check(args: argparse.Namespace) -> None:
    for option, value in FIT_DEFAULTS.items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    for option in ("population", "generations", "episodes", "draws"):
        value = getattr(args, option)
        if value < 1:
            raise InputError.single("must be at least 1", source=f"--{option}", value=value)
    if args.results:
        raise InputError.single("--fit does not read a run's results", source=args.results,
                                allowed="diplosim calibrate --fit [options], without RESULTS")


def fit_command(args: argparse.Namespace, rules: EpisodeRules) -> int:
    _check(args)
    priors = tuple(parse_prior(p) for p in args.prior) or PRIORS
    template = load_scenario(args.template or examples.path(TEMPLATE))
    for prior in priors:  # every path must exist in the template (typos found before the fit)
        template.with_overrides({prior.path: prior.low})
    table = data_episodes(rules)
    if len(table) < 5:
        raise InputError.single(f"only {len(table)} episodes are kept", source="--since/--until",
                                allowed="rules that keep at least 5 episodes")
    holdout = None
    if args.predict_since:
        holdout_rules = EpisodeRules(args.predict_since, args.predict_until, rules.causes)
        holdout = data_episodes(holdout_rules)
        if not len(holdout):
            raise InputError.single("no episodes to predict", source="--predict-since",
                                    value=args.predict_since)
    out = Path(args.out) if args.out else Path("results") / f"{template.name}_fit"
    state = claim_folder(out, "calibration", resume=args.resume)
    if args.resume and state != "own":
        raise InputError.single("nothing to resume: no fit here", source=str(out),
                                allowed="the --out folder of an interrupted fit")
    out.mkdir(parents=True, exist_ok=True)
    provenance = _provenance(args, template, rules, priors, table)
    marker = out / "provenance.json"
    if args.resume:
        old = read_marker(out) or {}
        if old.get("template", {}).get("sha256") != provenance["template"]["sha256"]:
            raise InputError.single("the template changed since this fit started",
                                    source=str(marker), allowed="the same template, or a new --out")
        provenance["started"] = old.get("started", provenance["started"])
    write_json(marker, provenance)

    observed = ep.from_data(table)
    print(f"fitting {template.name} to {len(table)} episodes ({rules.describe()}): "
          f"{len(priors)} parameters, {args.population} particles, up to {args.generations} "
          f"generations, {args.episodes} episodes per simulation, {args.backend}", flush=True)
    fit = run_fit(template, observed, ep.follow_up_years(table), out / "abc.db", priors=priors,
                  population=args.population, generations=args.generations,
                  episodes=args.episodes, seed=args.seed, backend=args.backend,
                  workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                  max_simulations=args.max_simulations)
    checks = {"in_sample": predictive_check(template, fit, table, draws=args.draws,
                                            episodes=args.episodes, seed=args.seed + 1)}
    if holdout is not None:
        checks["out_of_sample"] = predictive_check(template, fit, holdout, draws=args.draws,
                                                   episodes=args.episodes, seed=args.seed + 2)
    _write(out, template, fit, checks, provenance)
    print(report(fit, checks))
    print(f"\nresults: {out}/ (posterior.parquet, predictive.parquet, calibrated.yaml, figures/)")
    print(f"data: {CREDIT}")
    return 0


def _provenance(args: argparse.Namespace, template: Scenario, rules: EpisodeRules,
                priors: tuple[Prior, ...], table: pd.DataFrame) -> dict[str, Any]:
    return {
        "format": FORMAT, "kind": "calibration", "status": "running",
        "template": {"name": template.name, "source": template.source, "text": template.text,
                     "sha256": hashlib.sha256(template.text.encode()).hexdigest()},
        "episodes": {"since": rules.since, "until": rules.until, "causes": list(rules.causes),
                     "count": len(table), "interests_min_years": 0.5},
        "priors": [{"path": p.path, "low": p.low, "high": p.high, "kind": p.kind}
                   for p in priors],
        "settings": {"population": args.population, "generations": args.generations,
                     "episodes_per_simulation": args.episodes, "draws": args.draws,
                     "backend": args.backend, "workers": args.workers,
                     "predict_since": args.predict_since, "predict_until": args.predict_until},
        "root_seed": args.seed, "data": CREDIT, "versions": versions(),
        "command": command_line(), "started": now(),
    }


def _write(out: Path, template: Scenario, fit: FitResult, checks: dict[str, Predictive],
           provenance: dict[str, Any]) -> None:
    from diplosim.plotting.calibration import plot_marginals, plot_pairs, plot_predictive
    from diplosim.plotting.files import FigureFolder

    def parquet(frame: pd.DataFrame, path: Path) -> None:
        frame.to_parquet(path, index=False)

    atomic_write(out / "posterior.parquet", functools.partial(parquet, fit.posterior))
    atomic_write(out / "generations.parquet", functools.partial(parquet, fit.generations))
    tables = pd.concat([c.table().assign(check=name) for name, c in checks.items()])
    atomic_write(out / "predictive.parquet", functools.partial(parquet, tables))
    figures = FigureFolder(out / "figures")
    names = {"in_sample": "in sample (the episodes fitted)",
             "out_of_sample": "out of sample (episodes not fitted)"}
    for name, check in checks.items():
        figures.save(plot_predictive(check, title=names[name]), f"survival_{name}.png")
    figures.save(plot_marginals(fit), "marginals.png")
    figures.save(plot_pairs(fit), "pairs.png")
    text = calibrated_text(template, fit, provenance)
    atomic_write(out / "calibrated.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    provenance.update(
        status="complete", finished=now(),
        posterior={p.path: {"median": fit.medians()[p.path], "q05": fit.intervals()[p.path][0],
                            "q95": fit.intervals()[p.path][1]} for p in fit.priors},
        generations=fit.generations.to_dict(orient="records"),
        checks={name: c.table().to_dict(orient="records") for name, c in checks.items()})
    write_json(out / "provenance.json", provenance)


def calibrated_text(template: Scenario, fit: FitResult, provenance: dict[str, Any]) -> str:
    """The template with the posterior medians, as YAML with a header citing the fit."""
    medians = {k: round(v, 4) for k, v in fit.medians().items()}
    doc = apply_overrides(dict(template.document), medians, source="fit", model=ScenarioSpec)
    doc["name"] = f"{template.name}_calibrated"
    intervals = fit.intervals()
    eps = provenance["episodes"]
    lines = [
        f"# {template.name}, calibrated: the template {template.source} with the posterior",
        "# medians of an ABC-SMC fit (diplosim calibrate --fit; docs/calibration.md) to",
        f"# {eps['count']} U.S. mission ruptures begun {eps['since']} to {eps['until']} "
        f"(causes: {', '.join(eps['causes'])}).",
        f"# Fit: {provenance['settings']['population']} particles, "
        f"{len(fit.generations)} generations, final epsilon "
        f"{fit.generations['epsilon'].iloc[-1]:.3f}, root seed {provenance['root_seed']}.",
        "# Posterior median [90% interval]:",
        *(f"#   {p.path}: {medians[p.path]:.4g} [{intervals[p.path][0]:.4g}, "
          f"{intervals[p.path][1]:.4g}]" for p in fit.priors),
        "# The medians are one point of a posterior with correlated parameters (see the pairs",
        "# figure): for uncertainty, simulate from posterior.parquet, not from this file alone.",
        f"# Data: {CREDIT}",
    ]
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def posterior_lines(fit: FitResult) -> list[str]:
    """The report's table of posterior medians and 90% intervals, and the generations' line."""
    med, ivl = fit.medians(), fit.intervals()
    width = max(len(p.label or p.path) for p in fit.priors)
    lines = ["", f"{'parameter':<{width}}  {'median':>9}  90% interval"]
    for p in fit.priors:
        lines.append(f"{p.label or p.path:<{width}}  {med[p.path]:>9.4g}  "
                     f"[{ivl[p.path][0]:.4g}, {ivl[p.path][1]:.4g}]")
    g = fit.generations
    lines.append(f"\n{len(g)} generations, epsilon {g['epsilon'].iloc[0]:.3f} -> "
                 f"{g['epsilon'].iloc[-1]:.3f}, {int(g['simulations'].sum())} simulations; "
                 f"effective sample size {g['ess'].iloc[-1]:.1f} of "
                 f"{len(fit.posterior)} particles in the last generation")
    return lines


def report(fit: FitResult, checks: dict[str, Predictive]) -> str:
    lines = posterior_lines(fit)
    for name, check in checks.items():
        lines.append(f"\npredictive check, {name.replace('_', ' ')} "
                     f"({len(check.data)} episodes; model: median [5%, 95%] of "
                     f"{len(check.gaps)} posterior draws):")
        for row in check.table().itertuples():
            data = "" if row.statistic == "km_gap" else f"data {row.data:.3f}, "
            lines.append(f"  {row.statistic:<16} {data}model {row.median:.3f} "
                         f"[{row.q05:.3f}, {row.q95:.3f}]; predictive p {row.p_value:.2f}")
    return "\n".join(lines)
