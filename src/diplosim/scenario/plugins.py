"""A scenario's plug-ins, checked and resolved: dynamics terms and event types.

Each plug-in a scenario names is looked up in the registry (:mod:`diplosim.plugins`); its
parameters are validated against the plug-in's own :class:`~diplosim.plugins.Parameters` with
the file's line and field path, and its rates and hazards converted to the step as the built-in
ones are (:mod:`diplosim.scenario.rates`). Problems are collected like every other compile error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from diplosim.io.errors import Problem
from diplosim.io.validation import problems_from
from diplosim.io.yamlio import Document
from diplosim.plugins import Dynamics, Event, Parameters, PluginError, PluginInfo, load, unit_of
from diplosim.scenario.rates import YEARS_PER_STEP, hazard, relaxation
from diplosim.scenario.schema import EventType, ScenarioSpec

AddProblem = Callable[[str, str, Any, str], None]


@dataclass(frozen=True)
class CompiledTerm:
    """A dynamics plug-in of the scenario: its class, its values per step and its package."""

    name: str
    cls: type[Dynamics]
    values: Parameters
    info: PluginInfo


def years_per_step(spec: ScenarioSpec) -> float | None:
    """The step's length in years when the rates are per year, else None."""
    return YEARS_PER_STEP.get(spec.time_unit) if spec.rates == "per_year" else None


def per_step(values: Parameters, years: float | None) -> Parameters:
    """``values`` with each :data:`~diplosim.plugins.Rate` and
    :data:`~diplosim.plugins.Hazard` converted to the step (as is, per step)."""
    if years is None:
        return values
    update: dict[str, float] = {}
    for name in type(values).model_fields:
        unit = unit_of(type(values), name)
        value = getattr(values, name)
        if unit == "rate":
            update[name] = relaxation(value, years)
        elif unit == "hazard":
            update[name] = hazard(value, years)
    return values.model_copy(update=update) if update else values


def validate_values(model: type[Parameters], params: Mapping[str, Any] | None, path: str,
                    lines: Mapping[str, int], source: str | None,
                    problems: list[Problem]) -> Parameters | None:
    """``params`` validated against a plug-in's parameters; problems located at ``path``."""
    payload = dict(params or {})
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        sub = {k[len(path) + 1:]: v for k, v in lines.items() if k.startswith(path + ".")}
        sub[""] = lines.get(path, 1)
        doc = Document(data=payload, source=source or "<scenario>", lines=sub)
        for p in problems_from(exc, doc, model, payload):
            where = f"{path}.{p.path}" if p.path else path
            line = p.line if p.line is not None else lines.get(path)
            problems.append(Problem(p.message, path=where, value=p.value, allowed=p.allowed,
                                    line=line, has_value=p.has_value))
        return None


def compile_terms(spec: ScenarioSpec, lines: Mapping[str, int], source: str | None,
                  add: AddProblem, problems: list[Problem]) -> tuple[CompiledTerm, ...]:
    """The scenario's dynamics plug-ins, in the file's order."""
    terms: list[CompiledTerm] = []
    years = years_per_step(spec)
    for name, params in spec.dynamics.items():
        path = f"dynamics.{name}"
        try:
            cls, info = load("dynamics", name, Dynamics, spec.requires)
        except PluginError as exc:
            add(path, exc.message, name, exc.allowed)
            continue
        values = validate_values(cls.Parameters, params, path, lines, source, problems)
        if values is not None:
            terms.append(CompiledTerm(name, cls, per_step(values, years), info))
    return tuple(terms)


@dataclass(frozen=True)
class CompiledPluginEvent:
    """An event plug-in's part of a compiled event: the instance, its values and package."""

    event: Event
    values: Parameters
    info: PluginInfo


def compile_event(spec: ScenarioSpec, i: int, lines: Mapping[str, int], source: str | None,
                  add: AddProblem, problems: list[Problem]) -> CompiledPluginEvent | None:
    """Event ``i`` of the scenario when its type is a plug-in's (None otherwise, or on error)."""
    ev = spec.events[i]
    if isinstance(ev.type, EventType):
        return None
    path = f"events.{i}"
    try:
        cls, info = load("events", ev.type, Event, spec.requires,  # type: ignore[type-abstract]
                         builtin=[t.value for t in EventType])
    except PluginError as exc:
        add(f"{path}.type", exc.message, ev.type, exc.allowed)
        return None
    missing = [f for f in cls.needs if getattr(ev, f) is None]
    if missing:
        add(path, f"a {ev.type} event needs {', '.join(missing)}", None,
            f"it uses: {', '.join(cls.needs)} (and params:)")
    values = validate_values(cls.Parameters, ev.params, f"{path}.params", lines, source,
                             problems)
    if values is None or missing:
        return None
    try:
        event = cls()
    except Exception as exc:  # a broken plug-in: an error that names it, never a traceback
        add(f"{path}.type", f"the {info.label} is broken: it cannot be made "
            f"({type(exc).__name__}: {exc})", ev.type, "a fixed release of the package")
        return None
    return CompiledPluginEvent(event, per_step(values, years_per_step(spec)), info)
