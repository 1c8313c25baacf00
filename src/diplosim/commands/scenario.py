"""``diplosim validate`` and ``diplosim schema``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from diplosim.errors import InputError
from diplosim.overrides import parse_assignments
from diplosim.scenario import load_scenario, scenario_json_schema


def register(sub: Any) -> None:
    v = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files; print every problem with its line.")
    v.add_argument("files", nargs="+", help="scenario YAML files")
    v.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="check with these overrides applied")
    v.set_defaults(func=validate_command)
    s = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                       description="Print the JSON Schema of the scenario format (for editors).")
    s.set_defaults(func=schema_command)


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
