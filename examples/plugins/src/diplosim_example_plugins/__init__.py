"""Example diplosim plug-ins (docs/extending.md).

- ``stepwise`` (``diplosim.strategies``): hold an offer for some rounds, then concede a fixed
  step of utility.
- ``new_leader`` (``diplosim.events``): a change of leader that moves a state's hawkishness.
- ``refuse_talks`` (``diplosim.events``): a government refuses talks until a precondition is
  met, which blocks its talks until it is lifted.
- ``spoilers`` (``diplosim.dynamics``): violence by spoilers that raises tension while talks are
  in session (Stedman 1997).
"""

__version__ = "0.1.0"
