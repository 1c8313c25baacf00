"""The browser app (``diplosim viz``): a Mesa SolaraViz page for any scenario.

Importing this package imports solara; the command line imports it only for ``viz``. May import
the engine, results, scenario and io; never commands.
"""

from diplosim.scenario.parameters import Slider, default_parameters
from diplosim.viz.explorer import ExplorerModel, explorer

__all__ = ["ExplorerModel", "Slider", "default_parameters", "explorer"]
