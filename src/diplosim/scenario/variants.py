"""A case compiled once, and its variants under other values of its shared parameter set.

A joint fit (:mod:`diplosim.analysis.joint_fit`) runs every case under thousands of proposed
values of the shared set (``parameters.tension.drift``, ...). Building each proposal's scenario
the ordinary way — the set copied and overridden, merged into the case's document, the whole
document validated and compiled — costs about as much as a fifth of the proposal's simulation.
Yet a value of the set reaches only a few places of a case: a rate of ``tension``, a value of the
``negotiation`` section, the size of an event sized by its kind. :class:`Variants` puts the
proposal's values there directly — it re-validates the sections they change (each with its
schema, so a value the schema refuses is refused) and recomputes what the compiled scenario
derives from them (the dynamics per step, the talks' section, those events) — and keeps
everything else of the compiled case.

The result is the scenario :meth:`Scenario.with_overrides <diplosim.scenario.Scenario.
with_overrides>` builds, field for field. That is checked, not assumed: the first variant of a
case is built both ways and compared (:func:`identical`); if they differ — a path this module
does not know, or a change of the schema or the compiler this module has not followed — every
variant of that case is built the ordinary way, so the numbers never depend on the shortcut.
Paths it does not know (values by kind, the ``start`` and ``talks`` defaults, ``structure``,
overrides of the case itself) are always built the ordinary way.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pydantic

from diplosim.io.errors import InputError
from diplosim.scenario.compile import Compiled
from diplosim.scenario.loader import Scenario
from diplosim.scenario.rates import step_dynamics
from diplosim.scenario.schema import EventSpec, NegotiationSpec, TensionSpec
from diplosim.scenario.shared import (
    PREFIX,
    SHARED_PATHS,
    SIZED,
    WIN_SETS,
    _get,
    parameter_set,
    split_overrides,
)

# A destination in the scenario: ("tension" | "negotiation", path inside it), or
# ("events", index, field). None: the value reaches nothing of this case.
Where = tuple[Any, ...]


class Variants:
    """Variants of ``stem`` (a scenario naming a shared set) under more overrides of the set:
    :meth:`variant` returns what ``stem.with_overrides(overrides)`` returns (see the module)."""

    def __init__(self, stem: Scenario) -> None:
        self.stem = stem
        self.checked: bool | None = None  # None: not yet compared; False: the ordinary way
        self._plans: dict[tuple[str, ...], list[list[Where]] | None] = {}
        spec = stem.spec
        self._set: dict[str, Any] | None = None
        if spec.parameters is not None and spec.rates == "per_year":
            self._set = parameter_set(spec.parameters, split_overrides(stem.overrides)[0])

    def variant(self, overrides: Mapping[str, float]) -> Scenario:
        """``stem.with_overrides(overrides)``, built directly where that is known to be the
        same (raises :class:`InputError` where that would)."""
        plan = self._plan(tuple(overrides))
        if plan is None or self.checked is False:
            return self.stem.with_overrides(overrides)
        if self.checked is None:
            slow = self.stem.with_overrides(overrides)  # raises where the values are refused
            try:
                fast: Scenario | None = self._build(overrides, plan)
            except InputError:
                fast = None
            self.checked = fast is not None and identical(slow, fast)
            return slow
        return self._build(overrides, plan)

    def _plan(self, paths: tuple[str, ...]) -> list[list[Where]] | None:
        """Where each override lands in the case (None for the whole: not known here)."""
        if paths not in self._plans:
            self._plans[paths] = self._where_all(paths)
        return self._plans[paths]

    def _where_all(self, paths: tuple[str, ...]) -> list[list[Where]] | None:
        if self._set is None or not paths:
            return None
        out: list[list[Where]] = []
        for path in paths:
            where = self._where(path.removeprefix(PREFIX)) if path.startswith(PREFIX) else None
            if where is None:
                return None
            out.append(where)
        return out

    def _where(self, path: str) -> list[Where] | None:
        """Where :func:`diplosim.scenario.shared.merge` puts the set's value ``path`` in this
        case: its destinations (none: it reaches nothing here), or None (not known here)."""
        assert self._set is not None
        doc = self.stem.document
        talks = isinstance(doc.get("negotiation"), dict)
        if path in SHARED_PATHS:
            section, _, rest = path.partition(".")
            if section == "negotiation" and not talks:
                return []
            if _get(doc, path)[0]:  # the file's own value (case-specific) stays
                return []
            return [(section, rest)]
        structure = self._set.get("structure")
        section, _, key = path.partition(".")
        if section == "stages" and key in ("count", "rate"):
            staged = structure is not None and bool(structure.get("staged"))
            if not (staged and talks and self._set.get("stages")):
                return []
            if "stages" in doc["negotiation"]:  # the file's own stages stay
                return []
            return [("negotiation", path)]
        if section == "red_lines" and key in WIN_SETS:
            on = structure is not None and bool(structure.get("red_lines"))
            if not (on and talks and self._set.get("red_lines")):
                return []
            if "win_sets" in doc["negotiation"]:  # the file's own sizes stay
                return []
            return [("negotiation", f"win_sets.{key}")]
        sized = {sec: (kind, field) for kind, (field, sec, _) in SIZED.items()}
        if section in sized and key and "." not in key:
            kind, field = sized[section]
            if section == "politics" and structure is not None and not structure.get(
                    "political_changes"):
                return []  # political changes off: their sizes are 0 whatever the set says
            return [("events", i, field) for i, ev in enumerate(doc.get("events") or [])
                    if isinstance(ev, dict) and ev.get("type") == kind and field not in ev
                    and ev.get("kind") == key]
        return None

    def _build(self, overrides: Mapping[str, float], plan: list[list[Where]]) -> Scenario:
        stem = self.stem
        spec, c = stem.spec, stem.compiled
        # the changed sections as the document would hold them, each validated again
        dumps: dict[Any, dict[str, Any]] = {}
        for wheres, value in zip(plan, overrides.values(), strict=True):
            for where in wheres:
                key = where[:2] if where[0] == "events" else where[0]
                if key not in dumps:
                    part = spec.events[where[1]] if where[0] == "events" else getattr(
                        spec, where[0])
                    dumps[key] = part.model_dump(by_alias=True, exclude_unset=True)
                _set_in(dumps[key], str(where[-1]), value)
        try:
            update: dict[str, Any] = {}
            if "tension" in dumps:
                update["tension"] = TensionSpec.model_validate(dumps["tension"])
            if "negotiation" in dumps:
                update["negotiation"] = NegotiationSpec.model_validate(dumps["negotiation"])
            events = {key[1]: EventSpec.model_validate(d) for key, d in dumps.items()
                      if isinstance(key, tuple)}
            if events:
                update["events"] = [events.get(i, ev) for i, ev in enumerate(spec.events)]
        except pydantic.ValidationError as exc:
            raise InputError.single(f"a value the schema refuses: {exc.errors()[0]['msg']}",
                                    source=stem.source) from None
        new = spec.model_copy(update=update) if update else spec
        compiled = _recompiled(c, new, events) if update else c
        return Scenario(spec=new, compiled=compiled, document=stem.document, text=stem.text,
                        source=stem.source, overrides={**stem.overrides, **overrides})


def _set_in(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    cur = data
    for part in parents:
        cur = cur.setdefault(part, {})
    cur[last] = value


def _recompiled(c: Compiled, spec: Any, events: Mapping[int, Any]) -> Compiled:
    """What :func:`~diplosim.scenario.compile.compile_spec` derives from the sections a set's
    values change: the dynamics per step, the talks' section, the events sized by kind."""
    negotiation = c.negotiation
    if negotiation is not None and spec.negotiation is not negotiation.spec:
        assert spec.negotiation.session == negotiation.spec.session  # the plan is the same
        negotiation = dataclasses.replace(negotiation, spec=spec.negotiation)
    return dataclasses.replace(
        c,
        dynamics=step_dynamics(spec.rates, spec.time_unit, spec.tension, spec.negotiation),
        negotiation=negotiation,
        events=tuple(dataclasses.replace(ev, spec=spec.events[i]) if i in events else ev
                     for i, ev in enumerate(c.events)))


def identical(a: Any, b: Any) -> bool:
    """The same value all the way down: dataclasses field by field (their own ``==`` aside),
    arrays by dtype, shape and elements (NaN equal to NaN), pydantic models and other values by
    ``==``, plain objects by their attributes."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, pydantic.BaseModel):
        return bool(a == b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(identical(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a))
    if isinstance(a, Mapping):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    plain: Any = object.__eq__  # an object compared by identity: by its attributes here
    if type(a).__eq__ is plain and hasattr(a, "__dict__"):
        return identical(vars(a), vars(b))
    return bool(a == b)
