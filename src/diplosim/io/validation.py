"""Turn pydantic validation errors into :class:`InputError` with lines and suggestions.

The same function validates scenario files, experiment files and negotiation sessions, so every
file format gets the same kind of message: file, line, dotted path, value, what is allowed.
"""

from __future__ import annotations

import collections.abc
import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from diplosim.io.errors import InputError, Problem
from diplosim.io.yamlio import Document


def dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(p) for p in loc)


def _lookup(data: Any, loc: Sequence[int | str]) -> tuple[bool, Any]:
    cur = data
    for part in loc:
        in_mapping = isinstance(cur, Mapping) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_mapping or in_list:
            cur = cur[part]
        else:
            return False, None
    return True, cur


def _allowed_keys(model: type[pydantic.BaseModel], loc: Sequence[int | str]) -> list[str]:
    """Field names (aliases) allowed at the mapping that holds ``loc`` (best effort)."""
    cls: Any = model
    key_next = False  # the next part is a key of a mapping field (e.g. a channel kind's name)
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if key_next:
            key_next = False
            continue
        if not (isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)):
            return []
        info = cls.model_fields.get(str(part))
        if info is None:
            return []
        key_next = typing.get_origin(info.annotation) in (dict, collections.abc.Mapping)
        cls = _inner_model(info.annotation)
    if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel):
        return [f.alias or name for name, f in cls.model_fields.items()]
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc: Sequence[int | str]) -> list[int | str]:
    # pydantic adds union-member and validator tags to locations; keep only real path parts.
    out: list[int | str] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        out.append(part)
    return out


def validate_document[M: pydantic.BaseModel](
    doc: Document, model: type[M], data: Any | None = None
) -> M:
    """Validate ``doc.data`` (or ``data``) against ``model``; raise :class:`InputError`."""
    payload = doc.data if data is None else data
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        raise InputError(problems_from(exc, doc, model, payload), source=doc.source) from None


def problems_from(
    exc: pydantic.ValidationError,
    doc: Document,
    model: type[pydantic.BaseModel],
    payload: Any,
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        path = dotted(loc)
        kind = err["type"]
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        allowed = ""
        has_value, value = _lookup(payload, loc)
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            options = _allowed_keys(model, loc)
            close = difflib.get_close_matches(key, options, n=1)
            msg = f"unknown field {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            allowed = ", ".join(sorted(options)) if options else ""
        elif kind == "missing":
            msg = "this field is required"
            has_value = False
        elif kind == "finite_number":
            allowed = "a finite number (not .nan or .inf)"
        elif "ctx" in err and "expected" in err["ctx"]:
            allowed = str(err["ctx"]["expected"])
        elif "ctx" in err:
            ctx = err["ctx"]
            names = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
            bounds = [f"{sym} {ctx[k]}" for k, sym in names.items() if k in ctx]
            if bounds:
                allowed = ", ".join(bounds)
        if (path, msg) in seen:
            continue
        seen.add((path, msg))
        problems.append(
            Problem(msg, path=path, value=value, allowed=allowed, line=doc.line_of(path),
                    has_value=has_value)
        )
    return problems
