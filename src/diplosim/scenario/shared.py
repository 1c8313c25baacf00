"""Shared parameter sets: the model's dynamics in one place, the case's facts in its file.

A scenario that says ``parameters: calibrated`` takes every value the named set holds — tension
and misperception rates, ripeness, the talks' dynamics and durability, all per year — and the
size of each shock from its ``kind:`` (war, attack, crisis, …). The file keeps the facts of its
case: states, actors, channels and their ladders, dated events, its starting tension, baseline
and misperception, how often its negotiators meet, and the parties' positions. A file may set a
value the set holds only where ``case_specific`` names the field and says why; anything else is
refused, located, so that no case is quietly re-tuned.

Sets ship in ``diplosim/data/parameters/NAME.yaml``. Overrides of a set are dotted paths with the
prefix ``parameters.`` (``--set parameters.tension.drift=0.8``; a joint fit's posterior columns):
they change the set before it is merged, so they reach every field the set fills.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from diplosim.io.errors import InputError, Problem
from diplosim.io.overrides import apply_overrides
from diplosim.io.yamlio import read_yaml
from diplosim.scenario import shapes

SETS = Path(__file__).resolve().parents[1] / "data" / "parameters"
PREFIX = "parameters."

#: Every value a set holds, by dotted path into a scenario (a set holds all of them).
SHARED_PATHS: tuple[str, ...] = (
    "tension.drift", "tension.escalation", "tension.deescalation", "tension.half_saturation",
    "tension.noise", "tension.audience_cost_weight",
    "tension.misperception.growth", "tension.misperception.learning",
    "tension.misperception.transfer",
    "negotiation.ripeness.hurting", "negotiation.ripeness.window", "negotiation.ripeness.band",
    "negotiation.ripeness.way_out", "negotiation.power_weight",
    "negotiation.misperception_weight", "negotiation.agreement_relief",
    "negotiation.failure_shock", "negotiation.breakdown_shock", "negotiation.cooldown",
    "negotiation.durability.base_hazard", "negotiation.durability.suppression",
    "negotiation.durability.civil_society",
)


#: A set's values by kind (optional sections): a channel class's dynamics, an actor kind's
#: values, the states' values.
BY_KIND: dict[str, tuple[str, ...]] = {
    "channels": ("close_threshold", "reopen_threshold", "noise", "secrecy", "capacity",
                 "tension_effect", "perception_effect"),
    "actors": ("access", "credibility", "openness", "rigidity"),
    "states": ("hawkishness", "audience_cost"),
}

#: Values a set may give every case (optional sections ``start`` and ``talks``): the set's path
#: -> the scenario's (``*``: each party of the talks). A file's own value needs a reason.
DEFAULTS: dict[str, str] = {
    "start.tension": "tension.initial",
    "start.baseline": "tension.baseline",
    "start.misperception": "tension.misperception.initial",
    "talks.rounds_per_year": "negotiation.rounds_per_year",
    "talks.protocol": "negotiation.session.protocol",
    "talks.deadline": "negotiation.session.deadline",
    "talks.resolution": "negotiation.session.resolution",
    "talks.reservation": "negotiation.session.parties.*.reservation",
    "talks.strategy": "negotiation.session.parties.*.strategy",
}

#: The competing structures of docs/validity.md a set switches on (optional section
#: ``structure``; absent: whatever the file gives is used).
STRUCTURE: tuple[str, ...] = ("mandates", "political_changes", "staged", "red_lines")

#: The sizes of structure 5 (red lines) a set gives (its section ``red_lines``), each a field of
#: the talks' ``win_sets`` (docs/model.md 3.5c).
WIN_SETS: tuple[str, ...] = ("relaxation", "leader_step", "ratifier_margin")

#: Events sized by their kind from a set: type -> (the event's field, the set's section, name).
SIZED: dict[str, tuple[str, str, str]] = {
    "shock": ("magnitude", "shocks", "shock"),
    "political_change": ("change", "politics", "political change"),
}


def available() -> list[str]:
    """Names of the shipped sets."""
    return sorted(p.stem for p in SETS.glob("*.yaml"))


@functools.cache
def _read(name: str) -> dict[str, Any]:
    doc = read_yaml(SETS / f"{name}.yaml")
    problems = []
    data = doc.data if isinstance(doc.data, dict) else {}
    values = dict(_leaves(data, ("tension", "negotiation")))
    for path in SHARED_PATHS:
        if not isinstance(values.get(path), int | float) or isinstance(values.get(path), bool):
            problems.append(Problem("a parameter set gives every shared value as a number",
                                    path=path, value=values.get(path), has_value=True))
    for path in set(values) - set(SHARED_PATHS):
        problems.append(Problem("not a shared parameter", path=path, allowed=", ".join(
            SHARED_PATHS)))
    for section, fields in BY_KIND.items():
        table = data.get(section)
        if table is None:
            continue
        entries = {"state": table} if section == "states" else table
        if not isinstance(entries, dict) or not all(
                isinstance(v, dict) and v and set(v) <= set(fields) and all(
                    _number(x) or (section == "channels" and isinstance(x, list) and x
                                   and all(_number(y) for y in x)) for x in v.values())
                for v in entries.values()):
            problems.append(Problem(f"{section}: values by kind, each a mapping of "
                                    f"{', '.join(fields)} to numbers (a channel class: or "
                                    "lists of numbers, one per level from the top down)",
                                    path=section,
                                    value=table, has_value=True))
    for path, _ in _leaves(data, ("start", "talks")):
        if path not in DEFAULTS and not path.startswith("talks.strategy."):
            problems.append(Problem("not a value a set gives every case", path=path,
                                    allowed=", ".join(DEFAULTS)))
    structure = data.get("structure")
    if structure is not None and not (isinstance(structure, dict) and set(structure) <= set(
            STRUCTURE) and all(isinstance(v, bool | int) for v in structure.values())):
        problems.append(Problem("structure: which competing structures are on, each true or "
                                "false", path="structure", value=structure, has_value=True,
                                allowed=", ".join(STRUCTURE)))
    win_sets = data.get("red_lines")
    if win_sets is not None and not (isinstance(win_sets, dict) and set(win_sets) == set(
            WIN_SETS) and all(_number(v) for v in win_sets.values())):
        problems.append(Problem("red_lines: structure 5's sizes, each a number", path="red_lines",
                                value=win_sets, has_value=True, allowed=", ".join(WIN_SETS)))
    stages = data.get("stages")
    if stages is not None and not (isinstance(stages, dict) and set(stages) == {"count", "rate"}
                                   and _number(stages["count"]) and _number(stages["rate"])):
        problems.append(Problem("stages: the staged talks' count and rate, each a number",
                                path="stages", value=stages, has_value=True,
                                allowed="count: whole number >= 1, rate: per year > 0"))
    for section, required in (("shocks", True), ("politics", False)):
        sizes = data.get(section)
        if sizes is None and not required:
            continue
        if not isinstance(sizes, dict) or not sizes or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in sizes.values()):
            problems.append(Problem(f"{section}: a mapping of event kind to a number",
                                    path=section, value=sizes, has_value=True))
    if problems:
        raise InputError(problems, source=doc.source)
    return data


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def per_level(value: Any, n_open: int) -> Any:
    """A class's value for a ladder with ``n_open`` open levels: a number as it is; a list
    (one value per level from the top of the ladder down) cut to the top ``n_open`` levels, its
    last value repeated below, and put in the ladder's order (lowest open level first)."""
    if not isinstance(value, list):
        return value
    top_down = [*value[:n_open], *[value[-1]] * max(0, n_open - len(value))]
    return top_down[::-1]


def parameter_set(name: str, overrides: Mapping[str, Any] | None = None,
                  source: str = "<scenario>", line: int | None = None) -> dict[str, Any]:
    """The set ``name`` with ``overrides`` (paths inside the set) applied."""
    if name not in available():
        raise InputError.single("no such parameter set", source=source, path="parameters",
                                line=line, value=name, allowed=", ".join(available()))
    data = copy.deepcopy(_read(name))
    if overrides:
        known = [p for p, v in _leaves(data, tuple(data)) if isinstance(v, int | float)]
        bad = [p for p in overrides if p not in known]
        if bad:
            raise InputError.single(
                "not a value of the parameter set", source=source, path=PREFIX + bad[0],
                value=overrides[bad[0]], allowed=", ".join(PREFIX + p for p in known))
        data = apply_overrides(data, overrides, source=f"{source} (parameters.*)")
    return data


def _leaves(data: Any, roots: tuple[str, ...], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in (data or {}).items():
        path = f"{prefix}{key}"
        if not prefix and key not in roots:
            continue
        if isinstance(value, dict):
            yield from _leaves(value, roots, path + ".")
        else:
            yield path, value


def _get(data: Any, path: str) -> tuple[bool, Any]:
    cur = data
    for part in path.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return False, None
    return True, cur


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (mappings made where missing; list items by index, which must exist)."""
    *parents, last = path.split(".")
    cur: Any = data
    for part in parents:
        if isinstance(cur, list):
            cur = cur[int(part)]
            continue
        if not isinstance(cur.get(part), dict | list):
            cur[part] = {}
        cur = cur[part]
    cur[last] = value


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(overrides of the set, overrides of the scenario)``."""
    shared = {k.removeprefix(PREFIX): v for k, v in overrides.items() if k.startswith(PREFIX)}
    return shared, {k: v for k, v in overrides.items() if not k.startswith(PREFIX)}


def merge(data: Mapping[str, Any], source: str, lines: Mapping[str, int],
          set_overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The scenario document with its named set's values filled in (a copy); a document without
    ``parameters`` comes back as it is. Refuses, located: an unknown set; a part of the file of
    another type than :data:`diplosim.scenario.shapes.SHAPES` declares (checked before any part
    is read); a value the set holds set in the file but not named in ``case_specific``; a
    ``case_specific`` entry that names a value the file does not give; a shock with a
    ``magnitude`` (unless case-specific) or an unknown ``kind``."""
    name = data.get("parameters")
    problems: list[Problem] = []
    if name is None:
        if set_overrides:
            problems.append(Problem("parameters.* overrides need a scenario with parameters:",
                                    path=PREFIX + next(iter(set_overrides))))
        if data.get("case_specific"):
            problems.append(Problem("case_specific names exceptions to a parameter set; this "
                                    "scenario names none", path="case_specific",
                                    line=lines.get("case_specific"),
                                    allowed="parameters: NAME, or no case_specific"))
        if problems:
            raise InputError(problems, source=source)
        return dict(data)
    if not isinstance(name, str):
        raise InputError.single("the name of a parameter set", source=source, path="parameters",
                                line=lines.get("parameters"), value=name,
                                allowed=", ".join(available()))
    pset = parameter_set(name, set_overrides, source, lines.get("parameters"))
    shapes.check(data, source, lines)  # every part read below has its declared type
    reasons = data.get("case_specific", {})
    out = copy.deepcopy(dict(data))
    rates = data.get("rates", "per_year")
    if rates != "per_year":
        problems.append(Problem("a shared parameter set gives rates per year",
                                path="rates", line=lines.get("rates"), value=rates,
                                has_value=True, allowed="per_year, or leave rates out"))
    out["rates"] = "per_year"
    has_talks = isinstance(data.get("negotiation"), dict)
    for path in SHARED_PATHS:
        if path.startswith("negotiation.") and not has_talks:
            continue
        present, _ = _get(data, path)
        if present and path not in reasons:
            problems.append(Problem(
                f"the parameter set {name!r} gives this value", path=path,
                line=lines.get(path),
                allowed=f"remove it, or name it in case_specific with the reason ({path}: why)"))
        elif not present:
            _put(out, path, _get(pset, path)[1])
    _fill_by_kind(data, out, pset, name, reasons, lines, problems)
    _fill_defaults(data, out, pset, name, reasons, lines, problems)
    structure = pset.get("structure")
    politics_off = structure is not None and not structure.get("political_changes")
    # a structure whose sizes the set gives in a section of its own: the talks' field they fill
    for switch, section, what, field in (("staged", "stages", "staged talks", "stages"),
                                         ("red_lines", "red_lines", "red lines", "win_sets")):
        if structure is None or not structure.get(switch) or not has_talks:
            continue
        if not pset.get(section):
            problems.append(Problem(f"the parameter set {name!r} switches {what} on but gives "
                                    f"no {section}", path="parameters", value=name,
                                    has_value=True, allowed=f"a set with a {section} section"))
        else:
            out["negotiation"].setdefault(field, dict(pset[section]))
    if structure is not None and not structure.get("mandates"):
        for kind in out.get("channels", {}).values():
            kind.pop("mandate", None)  # every channel carries every matter
    for i, event in enumerate(data.get("events", [])):
        if event.get("type") not in SIZED:
            continue
        field, section, what = SIZED[event["type"]]
        sizes = pset.get(section) or {}
        where = f"events.{i}"
        if field in event:
            if f"{where}.{field}" not in reasons:
                problems.append(Problem(
                    f"{what} sizes come from the parameter set {name!r} by kind",
                    path=f"{where}.{field}", line=lines.get(f"{where}.{field}"),
                    allowed=f"kind: one of {', '.join(sizes) or '(none in this set)'}, or name "
                    f"{where}.{field} in case_specific with the reason"))
        elif event.get("kind") in sizes:
            off = politics_off and event["type"] == "political_change"
            out["events"][i][field] = 0.0 if off else sizes[event["kind"]]
        else:
            problems.append(Problem(
                f"a {what} takes its size from its kind", path=f"{where}.kind",
                line=lines.get(f"{where}.kind", lines.get(where)), value=event.get("kind"),
                has_value=True, allowed=", ".join(sizes) or f"(the set has no {section})"))
    for path in reasons:  # the set's values the file keeps, and its other non-facts
        if not _get(data, path)[0]:
            problems.append(Problem("case_specific names a value the file does not give",
                                    path=f"case_specific.{path}",
                                    line=lines.get(f"case_specific.{path}"),
                                    allowed=f"give {path} in the file, or drop the entry"))
    if problems:
        raise InputError(problems, source=source)
    return out


def _by_kind_targets(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Where a set's values by kind go: ``(path of the entry, set section, kind)`` for every
    channel kind with a ``class``, every actor (listed or generated) with a ``kind`` and every
    state of a document whose shapes are checked (:mod:`diplosim.scenario.shapes`)."""
    for name, kind in data.get("channels", {}).items():
        if kind.get("class") is not None:
            yield f"channels.{name}", "channels", kind["class"]
    for group in ("list", "generate"):
        for i, actor in enumerate(data.get("actors", {}).get(group, [])):
            if "kind" in actor:
                yield f"actors.{group}.{i}", "actors", actor["kind"]
    for i, _ in enumerate(data.get("states", [])):
        yield f"states.{i}", "states", "state"


def _fill_by_kind(data: Mapping[str, Any], out: dict[str, Any], pset: Mapping[str, Any],
                  name: str, reasons: Mapping[str, Any], lines: Mapping[str, int],
                  problems: list[Problem]) -> None:
    """The set's values by kind (:data:`BY_KIND`) filled into the document: a channel kind's by
    its ``class`` (which the set must know), an actor's by its kind and a state's, where the set
    gives them; a value the file sets itself needs a ``case_specific`` reason."""
    for where, section, kind in _by_kind_targets(data):
        table = pset.get(section) or {}
        values = (table or None) if section == "states" else table.get(kind)
        if values is None:
            if section == "channels":
                problems.append(Problem(
                    f"the parameter set {name!r} has no channel class {kind!r}",
                    path=f"{where}.class", line=lines.get(f"{where}.class"), value=kind,
                    has_value=True, allowed=", ".join(table) or "(this set has none)"))
            continue
        for field, value in values.items():
            path = f"{where}.{field}"
            if _get(data, path)[0]:
                if not _is_set(data, path, reasons):
                    problems.append(Problem(
                        f"the parameter set {name!r} gives this value by kind ({kind})",
                        path=path, line=lines.get(path),
                        allowed=f"remove it, or name it in case_specific with the reason "
                        f"({path}: why)"))
            else:
                if section == "channels":
                    ladder = _get(data, f"{where}.ladder")[1]
                    value = per_level(value, len(ladder) - 1 if isinstance(ladder, list) else 1)
                _put(out, path, value)


def _is_set(data: Mapping[str, Any], path: str, reasons: Mapping[str, Any]) -> bool:
    return any(path == r or path.startswith(f"{r}.") for r in reasons)


def _fill_defaults(data: Mapping[str, Any], out: dict[str, Any], pset: Mapping[str, Any],
                   name: str, reasons: Mapping[str, Any], lines: Mapping[str, int],
                   problems: list[Problem]) -> None:
    """The values a set gives every case (:data:`DEFAULTS`), where it holds them, filled into
    the document; with ``talks``, a party that gives no weights weighs the issues equally. A
    value the file sets itself needs a ``case_specific`` reason."""
    session = (data.get("negotiation") or {}).get("session")  # shapes checked: a mapping
    parties = session.get("parties", []) if session is not None else []
    for source, target in DEFAULTS.items():
        present, value = _get(pset, source)
        if not present or (target.startswith("negotiation.") and session is None):
            continue
        paths = ([target.replace("*", str(i)) for i, _ in enumerate(parties)]
                 if "*" in target else [target])
        for path in paths:
            if not _get(data, path)[0]:
                _put(out, path, copy.deepcopy(value))
            elif not _is_set(data, path, reasons):
                problems.append(Problem(
                    f"the parameter set {name!r} gives this value", path=path,
                    line=lines.get(path),
                    allowed=f"remove it, or name it in case_specific with the reason "
                    f"({path}: why)"))
    issues = session.get("issues") if session is not None else None
    if "talks" in pset and issues is not None:
        names = [i["name"] for i in issues if "name" in i]  # the schema requires every name
        for i, party in enumerate(parties):
            if "weights" not in party:
                out["negotiation"]["session"]["parties"][i]["weights"] = dict.fromkeys(names,
                                                                                        1.0)


def _is_shock_magnitude(data: Mapping[str, Any], path: str) -> bool:
    parts = path.split(".")
    events = data.get("events") or []
    return (len(parts) == 3 and parts[0] == "events" and parts[2] == "magnitude"
            and parts[1].isdigit() and int(parts[1]) < len(events)
            and isinstance(events[int(parts[1])], dict)
            and events[int(parts[1])].get("type") == "shock")
