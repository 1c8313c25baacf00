"""Safe YAML loading that remembers the line of every field.

Documents are read with PyYAML's safe loader (no object tags), composed into nodes first so that
each dotted path (``channels.embassy.close_threshold``, ``events.3.at``) maps to its line number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from diplosim.errors import InputError


@dataclass
class Document:
    """A parsed YAML document with the line (1-based) of each dotted path."""

    data: Any
    source: str
    lines: dict[str, int] = field(default_factory=dict)
    text: str = ""

    def line_of(self, path: str) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path.rpartition(".")[0]


# The tags plain YAML data uses; anything else (``!!python/object``, custom ``!tags``) is refused.
PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp"))


def _construct(node: yaml.Node, path: str, lines: dict[str, int], loader: yaml.SafeLoader) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if node.tag not in PLAIN_TAGS:
        raise InputError.single(
            f"YAML tag {node.tag!r} is not allowed (files are read as plain data)",
            path=path, line=node.start_mark.line + 1,
            allowed="plain YAML: mappings, lists, strings, numbers, true/false, null")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise InputError.single(
                    "mapping keys must be plain scalars",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    value=key,
                )
            if key in out:
                raise InputError.single(
                    f"duplicate key {key!r}",
                    path=_join(path, str(key)),
                    line=key_node.start_mark.line + 1,
                    allowed="each key once per mapping",
                )
            child = _join(path, str(key))
            lines[child] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child, lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, _join(path, str(i)), lines, loader) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_yaml(text: str, source: str = "<string>") -> Document:
    """Parse ``text`` safely; YAML syntax errors become :class:`InputError`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError.single(
                "the document is empty", source=source, allowed="a YAML mapping of fields"
            )
        lines: dict[str, int] = {}
        data = _construct(node, "", lines, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError.single(
            f"YAML syntax error: {problem}", source=source, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise InputError.single(f"YAML error: {exc}", source=source) from None
    except InputError as exc:
        raise InputError(exc.problems, source=source) from None
    finally:
        loader.dispose()
    return Document(data=data, source=source, lines=lines, text=text)


def read_yaml(path: str | Path) -> Document:
    """Read a YAML file; a missing file, a folder or undecodable bytes raise :class:`InputError`."""
    p = Path(path)
    source = str(path)
    if p.is_dir():
        raise InputError.single(
            "is a directory, not a file", source=source, allowed="a YAML file (.yaml or .yml)"
        )
    if not p.exists():
        raise InputError.single("no such file", source=source)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source
        ) from None
    except OSError as exc:
        raise InputError.single(f"cannot read: {exc.strerror}", source=source) from None
    return parse_yaml(text, source)


def require_mapping(doc: Document, what: str) -> Mapping[str, Any]:
    if not isinstance(doc.data, dict):
        raise InputError.single(
            f"the top level must be a mapping of {what} fields",
            source=doc.source,
            line=1,
            value=doc.data,
            allowed="a YAML mapping (key: value lines)",
        )
    return doc.data
