"""``diplosim examples`` (what is bundled) and ``diplosim init`` (a starter study)."""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

from diplosim.io.errors import InputError
from diplosim.io.examples import KINDS, catalogue
from diplosim.io.outputs import foreign_files

STARTER_PARAMETERS = 2  # how many of the scenario's parameters the starter experiment sweeps
STARTER_LEVELS = 3
STARTER_REPLICATIONS = 5
STARTER_OUTCOMES = [
    {"name": "peak_tension", "metric": "peak_tension", "aggregate": "value"},
    {"name": "connected", "metric": "connected", "aggregate": "mean"},
    {"name": "continuity", "metric": "continuity_during_closure", "aggregate": "value"},
    {"name": "agreements", "metric": "agreements", "aggregate": "value"},
    {"name": "first_agreement", "metric": "first_agreement", "aggregate": "value"},
]


def examples_command(args: argparse.Namespace) -> int:
    kinds = tuple(args.kind) if args.kind else KINDS
    found = catalogue(kinds)
    if not found:
        print("no bundled examples were found in this installation")
        return 1
    width = max(len(e.name) for e in found)
    for kind in kinds:
        of_kind = [e for e in found if e.kind == kind]
        if not of_kind:
            continue
        print(f"{kind}s ({len(of_kind)}):")
        for e in of_kind:
            print(f"  {e.name:<{width}}  {e.summary}")
            if args.paths:
                print(f"  {'':<{width}}  {e.path}")
        print()
    print("Use a name where a command takes a file, e.g. `diplosim run mission_closure`; "
          "`diplosim init DIR --from NAME` copies a scenario into a new study.")
    return 0


def starter_experiment(scenario_file: str, scenario: Any) -> dict[str, Any]:
    """An experiment over ``scenario``: a grid over the first parameters a user would vary
    (those of the browser app's sliders), a few replications, outcomes every scenario has."""
    from diplosim.scenario.parameters import default_parameters

    parameters: list[dict[str, Any]] = []
    for s in default_parameters(scenario)[:STARTER_PARAMETERS]:
        if s.integer:
            values = sorted({int(s.low), int(s.value), int(s.high)})
            parameters.append({"path": s.path, "type": "integer", "values": values})
        else:
            parameters.append({"path": s.path, "low": round(s.low, 6), "high": round(s.high, 6),
                               "levels": STARTER_LEVELS})
    if not parameters:
        raise InputError.single("has no numeric parameter to sweep", source=scenario_file)
    return {
        "name": f"{scenario.name}_starter",
        "description": f"Starter sweep of {scenario.name}: "
                       + " x ".join(p["path"] for p in parameters),
        "scenario": scenario_file,
        "parameters": parameters,
        "design": {"kind": "grid"},
        "replications": STARTER_REPLICATIONS,
        "seed": 1,
        "outcomes": STARTER_OUTCOMES,
        "series": {"metrics": ["tension", "connected"], "every": 1},
    }


def study_readme(scenario_file: str, experiment: dict[str, Any], source: str) -> str:
    name = experiment["name"]
    swept = "\n".join(f"- `{p['path']}`" for p in experiment["parameters"])
    return f"""# A diplosim study

Started with `diplosim init` from `{source}`. The files are yours: edit them freely.

- `{scenario_file}`: the scenario (states, actors, channels, tension, timeline). Its header says
  what it models and where its numbers come from.
- `experiment.yaml`: a sweep over two of its parameters,
  {STARTER_REPLICATIONS} replications per point:
{swept}

## Next steps

```bash
diplosim validate {scenario_file}              # every problem with its line
diplosim run {scenario_file} --reps 20         # summary + results/<scenario name>/
diplosim viz {scenario_file}                   # explore it in the browser
diplosim sweep experiment.yaml               # results/{name}/ (resumable: --resume)
diplosim plot results/{name}        # response curves and more
```

Change a value without editing the file: `--set PATH=VALUE` (e.g. `--set tension.noise=0.05`)
on `run`, `validate` and `viz`. For Sobol or Morris sensitivity indices, give the experiment
`design: {{kind: sobol, points: 256}}` and run `diplosim analyze results/{name} --sensitivity
sobol`. `diplosim examples` lists the scenarios, experiments and negotiation sessions that come
with diplosim; the file formats are described in the documentation's reference pages.
"""


def _check_target(target: Path) -> bool:
    """True when ``target`` is new; False when it is an empty folder; else InputError."""
    source = str(target)
    try:
        st = target.lstat()
    except FileNotFoundError:
        return True
    if stat.S_ISLNK(st.st_mode):
        raise InputError.single("is a symbolic link; init does not write through links",
                                source=source, allowed="a new or empty folder")
    if not stat.S_ISDIR(st.st_mode):
        raise InputError.single("exists and is not a folder", source=source,
                                allowed="a new or empty folder")
    shown, count = foreign_files(target, "study")
    if shown:
        more = f" and {count - len(shown):,} more" if count > len(shown) else ""
        raise InputError.single(
            f"holds files ({', '.join(shown)}{more}); init writes only into a new or empty "
            "folder and never replaces a file", source=source, allowed="a new or empty folder")
    return False


def init_command(args: argparse.Namespace) -> int:
    from diplosim.io.outputs import atomic_write
    from diplosim.scenario import load_scenario

    target = Path(args.dir)
    new = _check_target(target)
    source = Path(args.source)
    scenario = load_scenario(source)  # a bad --from file: InputError with its line
    scenario_file = source.name if source.suffix in (".yaml", ".yml") else f"{source.name}.yaml"
    experiment = starter_experiment(scenario_file, scenario)
    files = {
        scenario_file: source.read_bytes(),
        "experiment.yaml": yaml.safe_dump(experiment, sort_keys=False).encode(),
        "README.md": study_readme(scenario_file, experiment, str(args.source)).encode(),
    }
    if new:  # build the study beside the target, then move it into place whole
        parent = target.parent if str(target.parent) else Path(".")
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; a study is not
            os.rename(staging, target)  # fails if something appeared at target meanwhile
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    else:
        for name, data in files.items():
            atomic_write(target / name, functools.partial(Path.write_bytes, data=data))
    print(f"started a study in {target}/ from {source}:")
    for name in files:
        print(f"  {name}")
    print(f"next: cd {target} && diplosim run {scenario_file} (README.md lists more)")
    return 0
