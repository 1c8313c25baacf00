"""The page ``diplosim viz`` serves (``solara run diplosim.viz.app``): the scenario named by
``DIPLOSIM_VIZ_SCENARIO``, with the overrides in ``DIPLOSIM_VIZ_SET`` (JSON) applied. Each browser
session gets its own model."""

from __future__ import annotations

import json
import os
from typing import Any

import solara

from diplosim.scenario import load_scenario
from diplosim.viz.explorer import explorer

_scenario = load_scenario(os.environ["DIPLOSIM_VIZ_SCENARIO"],
                          json.loads(os.environ.get("DIPLOSIM_VIZ_SET", "{}")))
_seed = os.environ.get("DIPLOSIM_VIZ_SEED")


@solara.component
def Page() -> Any:
    return explorer(_scenario, seed=int(_seed) if _seed else None)
