"""``from diplosim.model import DiplomacyModel``, as in diplosim 0.1: the model lives in
:mod:`diplosim.engine` (``from diplosim.engine import DiplomacyModel``)."""

from diplosim.engine.model import DiplomacyModel

__all__ = ["DiplomacyModel"]
