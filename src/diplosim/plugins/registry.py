"""The registry: what installed packages add to diplosim, found through their entry points.

A package adds a plug-in by naming it in one of the entry-point groups of :data:`GROUPS` in its
own ``pyproject.toml``::

    [project.entry-points."diplosim.dynamics"]
    spoiler = "my_package.dynamics:Spoiler"

A scenario (or a negotiation session) names the plug-in by its registered name (``spoiler``).
Nothing else runs: a file never imports code by a path of its own. This module is the only place
that loads plug-in code; the engine, the scenario layer and the negotiation layer ask it by group
and name. Problems (not installed, registered twice, broken) raise :class:`PluginError`, which
the caller turns into a located input error (file, line, field path). A plug-in may not take
the name of a built-in (:data:`BUILTIN`): it is refused wherever it is found or named
(:func:`clash`), so a scenario never runs the built-in in silence where its author meant the
plug-in.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata as metadata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diplosim.plugins.interfaces import Parameters

#: The plug-in kinds and their entry-point groups.
GROUPS: dict[str, str] = {
    "strategies": "diplosim.strategies",
    "protocols": "diplosim.protocols",
    "events": "diplosim.events",
    "dynamics": "diplosim.dynamics",
}
KIND: dict[str, str] = {
    "strategies": "negotiation strategy",
    "protocols": "negotiation protocol",
    "events": "event type",
    "dynamics": "dynamics term",
}

#: The names diplosim builds in, by group (the strategies, protocols and event types a scenario
#: names without a plug-in; tests/test_plugins.py checks them against the built-ins themselves).
#: A plug-in registered under one of them is refused.
BUILTIN: dict[str, tuple[str, ...]] = {
    "strategies": ("time_dependent", "boulware", "linear", "conceder", "tit_for_tat", "zeuthen",
                   "rubinstein"),
    "protocols": ("alternating_offers", "monotonic_concession", "single_text",
                  "stacked_alternating_offers"),
    "events": ("shock", "set_level", "downgrade", "set_ceiling", "change_government",
               "widen_mandate", "political_change", "red_line"),
    "dynamics": (),
}


class PluginError(ValueError):
    """A plug-in that is not installed, registered twice or broken; ``allowed`` says what to
    do. The caller adds where the file names it."""

    def __init__(self, message: str, allowed: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed


@dataclass(frozen=True)
class PluginInfo:
    """One registered plug-in: its group, name, the object it points to and its package."""

    group: str
    name: str
    value: str  # "module:attribute"
    package: str | None
    version: str | None

    @property
    def label(self) -> str:
        owner = f"{self.package} {self.version}" if self.package else "an unnamed package"
        return f"{KIND[self.group]} {self.name!r} ({owner})"

    def record(self) -> dict[str, Any]:
        """What provenance keeps of it."""
        return {"group": GROUPS[self.group], "name": self.name, "object": self.value,
                "package": self.package, "version": self.version}


def _info(group: str, ep: metadata.EntryPoint) -> PluginInfo:
    dist = ep.dist
    return PluginInfo(group, ep.name, ep.value, dist.name if dist else None,
                      dist.version if dist else None)


@functools.cache
def _registered(group: str) -> dict[str, tuple[metadata.EntryPoint, ...]]:
    found: dict[str, list[metadata.EntryPoint]] = {}
    for ep in metadata.entry_points(group=GROUPS[group]):
        same = found.setdefault(ep.name, [])
        if all(_info(group, e) != _info(group, ep) for e in same):  # a package seen twice
            same.append(ep)
    return {name: tuple(eps) for name, eps in sorted(found.items())}


def refresh() -> None:
    """Forget what was found (after installing or removing a package in this process)."""
    _registered.cache_clear()
    _load.cache_clear()


def installed(group: str | None = None) -> list[PluginInfo]:
    """Every registered plug-in (of ``group``), by group then name."""
    groups = GROUPS if group is None else [group]
    return [_info(g, ep) for g in groups for eps in _registered(g).values() for ep in eps]


def names(group: str) -> list[str]:
    return list(_registered(group))


def _not_installed(group: str, name: str, requires: Sequence[str], builtin: Sequence[str]) -> (
        PluginError):
    kind = KIND[group]
    there = names(group)
    close = difflib.get_close_matches(name, [*builtin, *there], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    missing = [r for r in requires if not _distribution(r)]
    if missing:
        todo = f"install {', '.join(missing)} (pip install {' '.join(missing)}), which the " \
            "scenario's requires: lists"
    else:
        todo = f"install the package that registers {name!r} in the entry-point group " \
            f"{GROUPS[group]}"
    known = ", ".join(repr(n) for n in [*builtin, *there]) or "(none)"
    return PluginError(f"no {kind} {name!r} is built in or installed{hint}",
                       f"{known}; or {todo} (diplosim plugins lists what is installed)")


def _distribution(requirement: str) -> bool:
    """Whether the package a requirement such as ``my-plugins>=0.2`` names is installed."""
    name = requirement
    for sep in "<>=!~;[ ":
        name = name.split(sep)[0]
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def clash(group: str, name: str) -> PluginError | None:
    """The error refusing the plug-ins registered under ``name`` when it is the name of a
    built-in of ``group`` (:data:`BUILTIN`), naming both; None when there is no such plug-in."""
    eps = _registered(group).get(name)
    if name not in BUILTIN[group] or not eps:
        return None
    owners = ", ".join(_info(group, ep).label for ep in eps)
    packages = " ".join(sorted({_info(group, ep).package or "?" for ep in eps}))
    return PluginError(
        f"the built-in {KIND[group]} {name!r} and the {owners} have one name: a plug-in may not "
        "take a built-in's name, so diplosim refuses the plug-in",
        f"the plug-in under another name (the name of its entry point in the group "
        f"{GROUPS[group]}, its package's pyproject.toml), or pip uninstall {packages}")


def load[T](group: str, name: str, base: type[T], requires: Sequence[str] = (),
            builtin: Sequence[str] = ()) -> tuple[type[T], PluginInfo]:
    """The class registered as ``name`` in ``group``, checked to be a subclass of ``base`` with
    a :class:`~diplosim.plugins.interfaces.Parameters` model; ``requires`` (the scenario's
    packages) and ``builtin`` (names that need no plug-in) make the error say what to do."""
    eps = _registered(group).get(name)
    if not eps:
        raise _not_installed(group, name, requires, builtin)
    refused = clash(group, name)
    if refused is not None:
        raise refused
    if len(eps) > 1:
        owners = ", ".join(_info(group, ep).label for ep in eps)
        raise PluginError(f"{len(eps)} installed packages register the {KIND[group]} "
                          f"{name!r}: {owners}", "one of them installed (pip uninstall the other)")
    cls, info = _load(group, eps[0])
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(f"the {info.label} is broken: {info.value} is not a subclass of "
                          f"{base.__module__}.{base.__qualname__}",
                          "a fixed release of the package (its author's to fix)")
    params = getattr(cls, "Parameters", None)
    if not (isinstance(params, type) and issubclass(params, Parameters)):
        raise PluginError(f"the {info.label} is broken: its Parameters is not a subclass of "
                          "diplosim.plugins.Parameters",
                          "a fixed release of the package (its author's to fix)")
    return cls, info


@functools.cache
def _load(group: str, ep: metadata.EntryPoint) -> tuple[Any, PluginInfo]:
    info = _info(group, ep)
    try:
        cls = ep.load()
    except Exception as exc:  # a broken package must not end in a traceback
        raise PluginError(f"the {info.label} cannot be loaded from {info.value}: "
                          f"{type(exc).__name__}: {exc}",
                          "a working install of the package (reinstall or upgrade it)") from None
    return cls, info
