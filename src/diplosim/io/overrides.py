"""The one override mechanism: dotted paths into a document.

``apply_overrides(data, {"channels.backchannel.close_threshold": 0.9})`` returns a copy of the
document with that field replaced. ``run --set``, sweeps and the browser app all use it, and the
result is validated against the same schema as a file.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from diplosim.io.errors import InputError
from diplosim.io.yamlio import parse_yaml


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
    if not raw.strip():
        return path, ""
    try:
        value = parse_yaml(raw, source=f"--set {path}").data
    except InputError as exc:
        if not exc.problems[0].message.startswith("YAML syntax error"):
            raise  # control characters, aliases beyond the limits, tags: refused
        value = raw  # not YAML: the text itself (the schema says whether it fits)
    return path, value


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    return dict(parse_assignment(item) for item in items)


def apply_overrides(data: Any, overrides: Mapping[str, Any], source: str = "--set",
                    model: type[BaseModel] | None = None) -> Any:
    """Return a deep copy of ``data`` with each dotted path set to its value.

    List items are addressed by index and must exist. With ``model`` (the document's schema), a
    missing mapping key is created only where the schema has a field of that name (so optional
    sections can be set); an entry of a user-named mapping (a channel kind, say) must exist,
    unless the path ends there and the value is a whole mapping, which adds the entry. A path
    that matches nothing says so, with the nearest names. The schema validates the result.
    """
    out = copy.deepcopy(data)
    for path, value in overrides.items():
        parts = path.split(".")
        cur = out
        slot: Any = model
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            where = ".".join(parts[: i + 1])
            if isinstance(cur, dict):
                key: Any = part
                if part not in cur and part.lstrip("-").isdigit() and int(part) in cur:
                    key = int(part)
                fields, entries = _slot(slot, dict)
                if key not in cur:
                    _check_new_key(cur, key, fields, entries, last, value, where, source)
                slot = fields.get(part) if fields is not None else entries
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
                slot = _slot(slot, list)[1]
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


def _check_new_key(cur: dict[Any, Any], key: Any, fields: dict[str, Any] | None, entries: Any,
                   last: bool, value: Any, where: str, source: str) -> None:
    """Refuse a key the document does not have, unless the schema allows creating it."""
    name = str(key)
    parent = where.rpartition(".")[0] or "the top level"
    if fields is not None:
        if name in fields:
            return
        hint = _nearest(name, [*cur, *fields])
        raise InputError.single(f"unknown field {name!r} in {parent}{hint}", source=source,
                                path=where, value=value,
                                allowed=", ".join(sorted(dict.fromkeys(fields))))
    if entries is typing.Any:
        return  # a plug-in's parameters: its own model validates the keys (docs/extending.md)
    if entries is not None:
        if last and isinstance(value, dict):
            return  # a whole new entry, e.g. channels.hotline2={track: "1", ...}
        hint = _nearest(name, list(cur))
        existing = ", ".join(str(k) for k in cur) or "(none)"
        raise InputError.single(
            f"no entry {name!r} in {parent}{hint}", source=source, path=where, value=value,
            allowed=f"an existing entry ({existing}), or a new entry given whole as a mapping: "
            f"{where}={{...}}")


def _nearest(name: str, names: list[Any]) -> str:
    close = difflib.get_close_matches(name, [str(n) for n in names], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _slot(tp: Any, container: type) -> tuple[dict[str, Any] | None, Any]:
    """What a schema type says of a mapping (``container`` dict) or list at this position:
    ``(fields, None)`` for a model with fixed fields (name and alias -> type),
    ``(None, value_type)`` for a user-named mapping or a list, ``(None, None)`` if unknown."""
    for option in _options(tp):
        if isinstance(option, type) and issubclass(option, BaseModel) and container is dict:
            fields: dict[str, Any] = {}
            for name, info in option.model_fields.items():
                fields[name] = info.annotation
                if info.alias:
                    fields[info.alias] = info.annotation
            return fields, None
        origin = typing.get_origin(option)
        if container is dict and origin is dict:
            return None, typing.get_args(option)[1]
        if container is list and origin in (list, tuple):
            args = typing.get_args(option)
            return None, args[0] if args else None
    return None, None


def _options(tp: Any) -> list[Any]:
    """The alternatives of a type, with Annotated and Optional unwrapped."""
    if tp is None:
        return []
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _options(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for a in typing.get_args(tp) for o in _options(a)]
    return [tp]
