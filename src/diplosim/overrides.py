"""The one override mechanism: dotted paths into a document.

``apply_overrides(data, {"channels.backchannel.close_threshold": 0.9})`` returns a copy of the
document with that field replaced. ``run --set``, sweeps and the browser app all use it, and the
result is validated against the same schema as a file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from diplosim.errors import InputError


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``path=value`` (value in YAML syntax: ``0.8``, ``true``, ``[1, 2]``, ``embassy``)."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise InputError.single(
            "an override must look like dotted.path=value",
            source="--set",
            value=text,
            allowed="e.g. channels.backchannel.close_threshold=0.9",
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path, value


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    return dict(parse_assignment(item) for item in items)


def apply_overrides(data: Any, overrides: Mapping[str, Any], source: str = "--set") -> Any:
    """Return a deep copy of ``data`` with each dotted path set to its value.

    Mapping keys are created when missing (so optional sections can be set); list items are
    addressed by index and must exist. The schema validates the result.
    """
    out = copy.deepcopy(data)
    for path, value in overrides.items():
        parts = path.split(".")
        cur = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            where = ".".join(parts[: i + 1])
            if isinstance(cur, dict):
                key: Any = part
                if part not in cur and part.lstrip("-").isdigit() and int(part) in cur:
                    key = int(part)
                if last:
                    cur[key] = copy.deepcopy(value)
                else:
                    if key not in cur or cur[key] is None:
                        cur[key] = {}
                    cur = cur[key]
            elif isinstance(cur, list):
                if not part.isdigit() or int(part) >= len(cur):
                    raise InputError.single(
                        f"no list item {part!r}",
                        source=source,
                        path=where,
                        value=value,
                        allowed=f"an index from 0 to {len(cur) - 1}" if cur else "(empty list)",
                    )
                if last:
                    cur[int(part)] = copy.deepcopy(value)
                else:
                    cur = cur[int(part)]
            else:
                raise InputError.single(
                    f"cannot set a field inside a {type(cur).__name__}",
                    source=source,
                    path=where,
                    value=value,
                )
    return out
