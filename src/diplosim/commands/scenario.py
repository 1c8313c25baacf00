"""``diplosim validate`` and ``diplosim schema``."""

from __future__ import annotations

import argparse
import json
import sys

from diplosim.io.errors import InputError
from diplosim.io.overrides import parse_assignments
from diplosim.scenario import load_scenario, scenario_json_schema


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
    return 2 if bad else 0


def schema_command(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2))
    return 0
