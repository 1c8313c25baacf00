"""``diplosim viz``: check the scenario, then hand over to solara's server."""

from __future__ import annotations

import argparse
import json
import os
import sys

from diplosim.io.extras import require
from diplosim.io.overrides import parse_assignments
from diplosim.scenario import load_scenario


def viz_command(args: argparse.Namespace) -> int:
    require("viz", "diplosim viz")
    overrides = parse_assignments(args.overrides)
    scenario = load_scenario(args.scenario, overrides)  # a bad file: InputError, exit 2
    from diplosim.viz import assets

    missing = assets.missing()
    if missing:
        try:
            assets.fill_cache()
        except RuntimeError as exc:
            print(f"warning: the page's assets are not cached ({', '.join(missing)}): {exc}. "
                  "Without them the page loads only with internet access.", file=sys.stderr)
    env = {
        **os.environ,
        "DIPLOSIM_VIZ_SCENARIO": os.path.abspath(args.scenario),
        "DIPLOSIM_VIZ_SET": json.dumps(overrides, default=str),
        "DIPLOSIM_VIZ_SEED": "" if args.seed is None else str(args.seed),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "MPLBACKEND": "Agg",
    }
    print(f"diplosim viz: {scenario.name} at http://{args.host}:{args.port}/ (Ctrl-C stops)",
          file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "solara", "run", "diplosim.viz.app", "--production",
               "--host", args.host, "--port", str(args.port), "--no-open",
               "--log-level", "warning"]
    os.execve(sys.executable, command, env)  # the server replaces this process
    return 0  # not reached
