"""The browser app (``diplosim viz``): a Mesa SolaraViz page for any scenario.

Importing this package imports solara (the ``viz`` extra: ``pip install 'diplosim[viz]'``); the
command line imports it only for ``viz``. May import the engine, results, scenario and io; never
commands.
"""

from diplosim.io.extras import require

require("viz", "diplosim.viz")

from diplosim.scenario.parameters import Slider, default_parameters  # noqa: E402
from diplosim.viz.explorer import ExplorerModel, explorer  # noqa: E402

__all__ = ["ExplorerModel", "Slider", "default_parameters", "explorer"]
