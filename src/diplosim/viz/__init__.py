"""The browser app (``diplosim viz``): a Mesa SolaraViz page for any scenario.

Importing this package imports solara; the command line imports it only for ``viz``.
"""

from diplosim.viz.explorer import ExplorerModel, Slider, default_parameters, explorer

__all__ = ["ExplorerModel", "Slider", "default_parameters", "explorer"]
