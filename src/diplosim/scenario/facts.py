"""Which values of a scenario file are facts of its case, and which are the model's dynamics.

A case file that names a parameter set should hold only what is observed (docs/validity.md;
issue 28): who (states, actors and their kinds and tracks), which channels of which kind between
whom (their ladders, the levels they start at, their ceilings), what happened when (events'
dates, types, targets and kinds), the issues at stake and what each party asked for on them
(its ideal), the parties' red lines and ratification requirements when each names its source
(docs/validity.md, "Red lines"), and where the facts come from. Every other
value — thresholds, noise, capacities and effects of channels, actors' access, openness,
rigidity and credibility, states' hawkishness and audience costs, tension's levels and rates,
shock magnitudes, preferences and strategies of the talks — is a dynamic: it should come from the
set by kind, or be named in ``case_specific`` with its reason and source. A state's capability is
a fact when the file names its source (``capability_source``: a published power measure and its
year).

:func:`non_facts` lists the values a file sets that are not facts, each with whether
``case_specific`` names it; ``diplosim validate --facts`` reports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Dotted paths of facts: ``*`` is one part (a list index or a name), ``**`` the rest.
FACTS: tuple[str, ...] = (
    "name", "description", "time_unit", "start", "steps", "seed", "parameters", "rates",
    "taxonomy", "case_specific.**", "sources.**", "requires.**", "explore.**", "metrics.**",
    "states.*.id", "states.*.name", "states.*.capability_source",
    "actors.list.*.id", "actors.list.*.state", "actors.list.*.kind", "actors.list.*.tracks.**",
    "actors.generate.*.states", "actors.generate.*.states.**", "actors.generate.*.kind",
    "actors.generate.*.tracks.**", "actors.generate.*.count",
    "channels.*.track", "channels.*.mission", "channels.*.ladder.**", "channels.*.formal_level",
    "channels.*.links.**", "channels.*.generate.**", "channels.*.mandate.**",
    "channels.*.class",
    "events.*.at", "events.*.type", "events.*.label", "events.*.dyad.**", "events.*.kind",
    "events.*.channels.**", "events.*.level", "events.*.by", "events.*.state",
    "events.*.matters.**",
    "dyads.*.states.**",
    "negotiation.dyad.**", "negotiation.session.name", "negotiation.session.description",
    "negotiation.session.issues.**", "negotiation.session.parties.*.name",
    "negotiation.session.parties.*.ideal.**", "negotiation.session.first",
)


def _pattern(glob: str) -> re.Pattern[str]:
    parts = []
    for part in glob.split("."):
        parts.append(r"[^.]+" if part == "*" else r".+" if part == "**" else re.escape(part))
    return re.compile(r"\.".join(parts))


_FACTS = tuple(_pattern(g) for g in FACTS)


@dataclass(frozen=True)
class NonFact:
    """A value a file sets that is not a fact; ``reason``: what case_specific says of it."""

    path: str
    value: Any
    reason: str | None


def leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a document with its dotted path (lists by index)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, f"{prefix}.{i}")
    else:
        yield prefix, data


#: Sections of the talks whose entries are facts when they name what the tuple lists
#: (docs/validity.md, "Red lines"): a red line with when, by whom and its source.
SOURCED: dict[str, tuple[str, ...]] = {
    "red_lines": ("stated", "by", "source"),
    "ratification": ("stated", "source"),
}
#: A red_line event's own fields: facts when it names who stated it and its source.
RED_LINE_FIELDS = frozenset({"party", "issue", "at_least", "at_most", "exclude", "lifted",
                             "source", "by"})


def _item(items: Any, index: str) -> Any:
    if isinstance(items, list) and index.isdigit() and int(index) < len(items):
        return items[int(index)]
    return None


def _sourced(negotiation: Any, section: str, index: str, needs: tuple[str, ...]) -> bool:
    entry = _item(negotiation.get(section) if isinstance(negotiation, Mapping) else None, index)
    return isinstance(entry, Mapping) and all(bool(entry.get(k)) for k in needs)


def is_fact(path: str, document: Mapping[str, Any]) -> bool:
    """Whether the value at ``path`` is a fact (see the module); a capability is one when its
    state names a source."""
    if any(p.fullmatch(path) for p in _FACTS):
        return True
    parts = path.split(".")
    if len(parts) >= 4 and parts[0] == "negotiation" and parts[1] in SOURCED:
        return _sourced(document.get("negotiation"), parts[1], parts[2], SOURCED[parts[1]])
    if len(parts) >= 3 and parts[0] == "events" and parts[2] in RED_LINE_FIELDS:
        event = _item(document.get("events"), parts[1])
        return (isinstance(event, Mapping) and event.get("type") == "red_line"
                and bool(event.get("source")) and bool(event.get("by")))
    if len(parts) == 3 and parts[0] == "states" and parts[2] == "capability":
        states = document.get("states")
        if isinstance(states, list) and parts[1].isdigit() and int(parts[1]) < len(states):
            state = states[int(parts[1])]
            return isinstance(state, Mapping) and bool(state.get("capability_source"))
    return False


def non_facts(document: Mapping[str, Any]) -> list[NonFact]:
    """The values ``document`` (a file as written, before its set is filled in) sets that are
    not facts, in the file's order, each with its case_specific reason if it has one (an entry
    naming a section covers every value in it)."""
    reasons = document.get("case_specific")
    reasons = reasons if isinstance(reasons, Mapping) else {}

    def reason(path: str) -> str | None:
        for key, why in reasons.items():
            if path == key or path.startswith(f"{key}."):
                return str(why)
        return None

    return [NonFact(path, value, reason(path)) for path, value in leaves(document)
            if not is_fact(path, document)]
