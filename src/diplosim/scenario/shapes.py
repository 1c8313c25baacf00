"""The shape of a scenario file that names a parameter set, checked before the set is merged.

The merge (:func:`diplosim.scenario.shared.merge`) reads the file as written — its sections,
channel kinds, actors, states, events and talks — before the schema has seen it, so it must not
meet a section of another type than the schema allows (``channels: 5`` was an internal
``AttributeError``). :data:`SHAPES` declares, by dotted path, the type of every part of a file
the merge reads, and of every top-level section; :func:`check` tests them all in one pass, from
the top down, and refuses a wrong one — located: file, line, path, value, what is allowed — before
the merge reads any of them. Below a part of the wrong type nothing is checked (its problem is
reported); a part that is absent is the schema's to require or not. The table allows everything
the schema allows at the type level (tested): it refuses nothing the schema would accept.

A path's ``*`` is every item of a list or every entry of a mapping. The keys of every mapping
the table declares are text (as the schema requires), since the merge reads some of them as
paths (``case_specific``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diplosim.io.errors import InputError, Problem

#: How each type is named in a message.
_NAMES: dict[type, str] = {dict: "a mapping (key: value lines)", list: "a list (- item lines, or "
                           "[...])", str: "text", type(None): "null"}


@dataclass(frozen=True)
class Shape:
    """The types a part of a scenario may have (``dict``, ``list``, ``str``, ``type(None)``) and
    what it is, as the message says it (``must be WHAT``)."""

    types: tuple[type, ...]
    what: str

    def admits(self, value: Any) -> bool:
        return isinstance(value, self.types)

    @property
    def allowed(self) -> str:
        return ", or ".join(_NAMES[t] for t in self.types)


MAPPING, LIST, TEXT, NULL = (dict,), (list,), (str,), (type(None),)

#: The type of every part of a scenario the merge of a parameter set reads, and of every
#: top-level section of the file, by dotted path (``*``: each item or entry). A parent comes
#: before its parts. Null is allowed where the schema allows it, and in the sections holding
#: shared values (the merge fills them: ``tension:`` with nothing under it is the set's).
SHAPES: dict[str, Shape] = {
    "case_specific": Shape(MAPPING, "a mapping of dotted path: reason"),
    "rates": Shape(TEXT, "text (per_year)"),
    "states": Shape(LIST, "a list of states"),
    "states.*": Shape(MAPPING, "a mapping: one state (id: ..., name: ...)"),
    "actors": Shape(MAPPING, "a mapping of actors (list: and generate:)"),
    "actors.list": Shape(LIST, "a list of actors"),
    "actors.list.*": Shape(MAPPING, "a mapping: one actor (id: ..., kind: ...)"),
    "actors.list.*.kind": Shape(TEXT, "text: the actor's kind"),
    "actors.generate": Shape(LIST, "a list of rules generating actors"),
    "actors.generate.*": Shape(MAPPING, "a mapping: one rule (kind: ..., count: ...)"),
    "actors.generate.*.kind": Shape(TEXT, "text: the generated actors' kind"),
    "channels": Shape(MAPPING, "a mapping of channel kinds by name"),
    "channels.*": Shape(MAPPING, "a mapping: one channel kind (track: ..., class: ...)"),
    "channels.*.class": Shape(TEXT + NULL, "text: the parameter set's channel class"),
    "channels.*.ladder": Shape(LIST, "a list of level names"),
    "tension": Shape(MAPPING + NULL, "a mapping of field: value"),
    "tension.misperception": Shape(MAPPING + NULL, "a mapping of field: value"),
    "dyads": Shape(LIST, "a list of dyads"),
    "events": Shape(LIST, "a list of events"),
    "events.*": Shape(MAPPING, "a mapping: one event (at: ..., type: ...)"),
    "events.*.type": Shape(TEXT, "text: the event's type"),
    "events.*.kind": Shape(TEXT + NULL, "text: the event's kind"),
    "metrics": Shape(MAPPING, "a mapping of field: value"),
    "negotiation": Shape(MAPPING + NULL, "a mapping: the talks (dyad: ..., session: ...)"),
    "negotiation.ripeness": Shape(MAPPING + NULL, "a mapping of field: value"),
    "negotiation.durability": Shape(MAPPING + NULL, "a mapping of field: value"),
    "negotiation.session": Shape(MAPPING, "a mapping: the session (issues: ..., parties: ...)"),
    "negotiation.session.issues": Shape(LIST, "a list of issues"),
    "negotiation.session.issues.*": Shape(MAPPING, "a mapping: one issue (name: ..., kind: ...)"),
    "negotiation.session.issues.*.name": Shape(TEXT, "text: the issue's name"),
    "negotiation.session.parties": Shape(LIST, "a list of parties"),
    "negotiation.session.parties.*": Shape(MAPPING, "a mapping: one party (name: ..., "
                                           "ideal: ...)"),
    "dynamics": Shape(MAPPING, "a mapping of dynamics plug-ins by name"),
    "requires": Shape(LIST, "a list of package requirements"),
    "sources": Shape(LIST, "a list of references"),
    "explore": Shape(MAPPING + NULL, "a mapping: the browser app's sliders"),
}

# The table as a tree: part -> (its shape, its parts).
_Tree = dict[str, tuple[Shape, "_Tree"]]


def _tree(table: Mapping[str, Shape]) -> _Tree:
    root: _Tree = {}
    for path, shape in table.items():
        *parents, last = path.split(".")
        node = root
        for part in parents:
            node = node[part][1]  # a parent comes first (KeyError: the table is malformed)
        node[last] = (shape, {})
    return root


_TREE = _tree(SHAPES)


def _line(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return None


def problems(data: Mapping[str, Any], lines: Mapping[str, int]) -> list[Problem]:
    """Every part of ``data`` :data:`SHAPES` declares that has another type, and every key of a
    declared mapping that is not text, each located."""
    found: list[Problem] = []

    def walk(node: Any, tree: _Tree, prefix: str) -> None:
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    where = f"{prefix}{key}"
                    found.append(Problem("a key must be text", path=where,
                                         line=_line(lines, where), value=key, has_value=True,
                                         allowed="a name or a dotted path (quoted if it "
                                         "reads as a number or true/false: '5')"))
        for part, (shape, parts) in tree.items():
            if part == "*":  # a key that is not text is reported above
                items = ([(k, v) for k, v in node.items() if isinstance(k, str)]
                         if isinstance(node, dict) else list(enumerate(node)))
            elif isinstance(node, dict) and part in node:
                items = [(part, node[part])]
            else:
                continue
            for key, value in items:
                where = f"{prefix}{key}"
                if not shape.admits(value):
                    found.append(Problem(f"must be {shape.what}", path=where,
                                         line=_line(lines, where), value=value,
                                         has_value=True, allowed=shape.allowed))
                elif isinstance(value, dict | list):
                    walk(value, parts, where + ".")

    walk(data, _TREE, "")
    return sorted(found, key=lambda p: (p.line is None, p.line or 0))  # in the file's order


def check(data: Mapping[str, Any], source: str, lines: Mapping[str, int]) -> None:
    """Raise :class:`InputError` with :func:`problems` of ``data``, if any."""
    found = problems(data, lines)
    if found:
        raise InputError(found, source=source)
