"""``diplosim heldout FIT... --out DIR``: the held-out study's scores (docs/validity.md).

DIR/scores.parquet (and csv)   one row per fit and case: forecast, inside or not, scores, and
                               the two references' scores
DIR/skill.parquet (and csv)    skill per fit (structure, root seed), score and reference, with
                               its 90% bootstrap interval; coverage and width of the intervals
DIR/say_no.parquet (and csv)   per fit: the mean share of runs that agree on the held-out
                               cases that reached none and on those that reached one
DIR/report.md                  the tables as text
DIR/provenance.json            the fits scored, their structures and seeds, versions, command
"""

from __future__ import annotations

import argparse
import functools
import math
from pathlib import Path
from typing import Any

import pandas as pd

from diplosim.io.errors import InputError
from diplosim.io.outputs import FORMAT, atomic_write, claim_folder, write_json
from diplosim.results.runset import command_line, now, versions


def _years(value: Any) -> str:
    """Years from the start; none for a missing or infinite time (no agreement)."""
    number = float("nan") if value is None else float(value)
    return "none" if not math.isfinite(number) else f"{number:.2f}"


def report(scores: pd.DataFrame, skill: pd.DataFrame,
           say_no: pd.DataFrame | None = None) -> str:
    """The tables as text (markdown)."""
    lines = ["# Held-out study: scores (docs/validity.md)", "",
             "| structure | seed | case | held out | outcome | median | 90% interval | inside "
             "| CRPS | uniform | lag | log | uniform | lag |", "|" + "---|" * 14]
    for r in scores.itertuples():
        lines.append(
            f"| {r.structure} | {r.root_seed} | {r.case} | {'yes' if r.held_out else 'in sample'}"
            f" | {_years(r.outcome_years)} | {_years(r.median_years)} | [{_years(r.q05_years)}, "
            f"{_years(r.q95_years)}] | {'yes' if r.inside else 'no'} | {r.crps:.3f} | "
            f"{r.crps_uniform:.3f} | {r.crps_lag:.3f} | {r.log:.2f} | {r.log_uniform:.2f} | "
            f"{r.log_lag:.2f} |")
    lines += ["", "Times in years from each case's start; none: no agreement within the span.",
              "", "## Skill over the held-out cases (90% bootstrap interval)", "",
              "| structure | seed | score | reference | skill | interval | cases | coverage | "
              "mean width |", "|" + "---|" * 9]
    for r in skill.itertuples():
        lines.append(f"| {r.structure} | {r.root_seed} | {r.score} | {r.reference} | "
                     f"{r.skill:+.3f} | [{r.low:+.3f}, {r.high:+.3f}] | {r.cases} | "
                     f"{r.coverage:.0%} | {r.mean_width:.2f} |")
    if say_no is not None:
        lines += ["", "## Can it say no? Mean share of runs that agree, held-out cases "
                  "(aim: at most 0.3 where none, at least 0.7 where one)", "",
                  "| structure | seed | none: cases | mean share [range] | agreed: cases | "
                  "mean share [range] |", "|" + "---|" * 6]
        for r in say_no.itertuples():
            lines.append(f"| {r.structure} | {r.root_seed} | {r.cases_none} | "
                         f"{r.mean_share_none:.2f} [{r.min_share_none:.2f}, "
                         f"{r.max_share_none:.2f}] | {r.cases_agreed} | "
                         f"{r.mean_share_agreed:.2f} [{r.min_share_agreed:.2f}, "
                         f"{r.max_share_agreed:.2f}] |")
    return "\n".join(lines) + "\n"


def heldout_command(args: argparse.Namespace) -> int:
    from diplosim.analysis.heldout import say_no_table, score_fit, skill_table

    if args.draws < 2:
        raise InputError.single("must be at least 2", source="--draws", value=args.draws)
    out = Path(args.out)
    claim_folder(out, "heldout")
    frames = []
    for fit in args.fits:
        print(f"scoring {fit} ({args.draws} draws per case) ...", flush=True)
        cases = [c.strip() for c in args.cases.split(",")] if args.cases else None
        frames.append(score_fit(fit, draws=args.draws, cases=cases).assign(fit=str(fit)))
    scores = pd.concat(frames, ignore_index=True)
    skill = skill_table(scores)
    say_no = say_no_table(scores)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (("scores", scores), ("skill", skill), ("say_no", say_no)):
        atomic_write(out / f"{name}.parquet",
                     functools.partial(lambda f, p: f.to_parquet(p, index=False), frame))
        atomic_write(out / f"{name}.csv",
                     functools.partial(lambda f, p: f.to_csv(p, index=False), frame))
    text = report(scores, skill, say_no)
    atomic_write(out / "report.md", lambda p: p.write_text(text, encoding="utf-8"))
    write_json(out / "provenance.json", {
        "format": FORMAT, "kind": "heldout", "status": "complete", "fits": list(args.fits),
        "draws": args.draws, "versions": versions(), "command": command_line(),
        "finished": now()})
    print(text)
    print(f"results: {out}/ (scores, skill, say_no as Parquet + CSV; report.md; "
          "provenance.json)")
    return 0
