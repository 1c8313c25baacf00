"""``diplosim validate`` and ``diplosim schema``."""

from __future__ import annotations

import argparse
import json
import sys

from diplosim.io.errors import InputError
from diplosim.io.overrides import parse_assignments
from diplosim.io.yamlio import read_yaml
from diplosim.scenario import load_scenario, scenario_json_schema
from diplosim.scenario.facts import non_facts


def validate_command(args: argparse.Namespace) -> int:
    sets = parse_assignments(args.overrides)
    bad = 0
    for path in args.files:
        try:
            sc = load_scenario(path, sets)
        except InputError as exc:
            bad += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        c = sc.compiled
        print(f"{path}: ok ({len(c.state_ids)} states, {len(c.actor_ids)} actors, "
              f"{c.n_channels} channels, {len(c.events)} events, {sc.steps} steps)")
        if args.facts and not facts_report(path):
            bad += 1
    return 2 if bad else 0


def facts_report(path: str) -> bool:
    """Print the values the file sets that are not facts; False if case_specific does not name
    each (a file without a parameter set is not a case file: skipped)."""
    doc = read_yaml(path)
    data = doc.data
    if not isinstance(data, dict) or data.get("parameters") is None:
        print(f"{path}: facts: names no parameter set (not a case file): not checked")
        return True
    found = non_facts(data)
    unnamed = [n for n in found if n.reason is None]
    print(f"{path}: facts: {len(found)} values set are not facts of the case: "
          f"{len(found) - len(unnamed)} named in case_specific, {len(unnamed)} not")
    for n in found:
        where = doc.line_of(n.path)
        head = f"line {where}: " if where is not None else ""
        said = f"  (case_specific: {n.reason})" if n.reason is not None else ""
        print(f"  {head}{n.path} = {n.value!r}{said}")
    return not unnamed


def schema_command(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2))
    return 0
