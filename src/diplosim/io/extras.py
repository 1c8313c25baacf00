"""Optional parts of diplosim and the extra that installs each.

The core (running, validating and plotting a scenario) needs Mesa, NumPy, SciPy, pandas, pyarrow,
pydantic, PyYAML and matplotlib. What only some users need is an extra of the package:

- ``viz``: the browser app (Solara, through Mesa's SolaraViz);
- ``dask``: the Dask backend of sweeps and fits (``--backend dask``);
- ``calibrate``: the ABC-SMC fit (``diplosim calibrate --fit``, pyabc);
- ``sensitivity``: Sobol and Morris designs and indices (SALib);
- ``all``: all of them.

:func:`require` checks that a feature's packages are importable before the work starts and
raises :class:`MissingExtra` (an ``ImportError``) naming the extra; the command line prints that
as one line and exits 2.
"""

from __future__ import annotations

import importlib.util

# extra -> (the top-level modules it brings that diplosim imports, what it serves)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "viz": (("solara",), "the browser app"),
    "dask": (("distributed",), "the Dask backend"),
    "calibrate": (("pyabc",), "the ABC-SMC fit"),
    "sensitivity": (("SALib",), "Sobol and Morris designs and sensitivity indices"),
}


class MissingExtra(ImportError):
    """A feature whose optional packages are not installed; the message names the extra."""

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        self.feature, self.extra, self.missing = feature, extra, missing
        super().__init__(f"{feature} needs the '{extra}' extra ({missing} is not installed): "
                         f"pip install 'diplosim[{extra}]'")


def installed(module: str) -> bool:
    """Whether a top-level module can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` is importable."""
    modules, _ = EXTRAS[extra]
    for module in modules:
        if not installed(module):
            raise MissingExtra(feature, extra, module)
