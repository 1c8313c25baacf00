"""``diplosim negotiate FILE [--json] [--seed S] [--trace]``: run one negotiation session."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from diplosim.negotiation.session import load_session, run_session
from diplosim.negotiation.trace import NegotiationResult


def negotiate_command(args: argparse.Namespace) -> int:
    if args.seed is not None and args.seed < 0:
        from diplosim.io.errors import InputError

        raise InputError.single("--seed must be >= 0", value=args.seed, allowed="an integer >= 0")
    plan = load_session(args.file)
    result = run_session(plan, seed=args.seed)
    seed = plan.spec.seed if args.seed is None else args.seed
    if args.json:
        out = {"session": plan.spec.name or args.file, "seed": seed, **result.summary()}
        if args.trace:
            out["trace"] = [_clean(r) for r in result.trace_records()]
        print(json.dumps(out, indent=2))
    else:
        print(render(result, plan.spec.name or args.file, seed))
        if args.trace:
            print()
            print(result.trace_frame().to_string(index=False))
    return 0


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.4f}"


def render(result: NegotiationResult, name: str, seed: int) -> str:
    """A readable table of the outcome."""
    lines = [f"session   {name}  (protocol {result.protocol}, seed {seed})"]
    status = "yes" if result.agreed else f"no ({result.reason})"
    lines.append(f"agreed    {status}")
    lines.append(f"rounds    {result.rounds}")
    if result.deal is not None:
        lines.append("deal      " + ", ".join(f"{k} = {_val(v)}" for k, v in result.deal.items()))
    if result.nash_deal is not None:
        lines.append(
            "nash      " + ", ".join(f"{k} = {_val(v)}" for k, v in result.nash_deal.items())
        )
    lines.append("")
    width = max(len("party"), *(len(p) for p in result.parties))
    lines.append(f"{'party':<{width}}  {'utility':>9}  {'discounted':>10}  {'nash':>9}")
    for i, party in enumerate(result.parties):
        nash = math.nan if result.nash_utilities is None else result.nash_utilities[i]
        lines.append(
            f"{party:<{width}}  {_fmt(result.utilities[i]):>9}  "
            f"{_fmt(result.discounted_utilities[i]):>10}  {_fmt(nash):>9}"
        )
    lines.append("")
    lines.append(f"social welfare      {_fmt(result.social_welfare)}")
    lines.append(f"distance to Nash    {_fmt(result.distance_to_nash)}")
    lines.append(f"distance to Pareto  {_fmt(result.distance_to_pareto)}")
    return "\n".join(lines)


def _val(v: object) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)
