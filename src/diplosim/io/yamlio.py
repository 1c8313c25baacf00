"""Safe YAML loading that remembers the line of every field.

Documents are read with PyYAML's safe loader (no object tags), composed into nodes first so that
each dotted path (``channels.embassy.close_threshold``, ``events.3.at``) maps to its line number.
"""

from __future__ import annotations

import codecs
import difflib
import itertools
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from diplosim.io.errors import InputError


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


@dataclass(frozen=True)
class Limit:
    """A bound on what one input file may ask of the reader, raisable by an environment
    variable where raising it is sensible (``env`` empty: fixed)."""

    name: str
    default: int
    env: str = ""

    def value(self) -> int:
        raw = os.environ.get(self.env, "") if self.env else ""
        if raw.strip():
            try:
                return max(1, int(raw))
            except ValueError:
                raise InputError.single(f"{self.env} must be a positive integer",
                                        source=self.env, value=raw) from None
        return self.default

    def how_to_raise(self) -> str:
        return f"raise it with {self.env}=N" if self.env else "this limit is fixed"


FILE_BYTES = Limit("file size in bytes", 1_000_000, "DIPLOSIM_MAX_INPUT_BYTES")
NESTING = Limit("nesting depth", 64)
ALIAS_NODES = Limit("values repeated through aliases", 10_000, "DIPLOSIM_MAX_ALIAS_NODES")
SCALAR_CHARS = Limit("characters in one value", 100_000, "DIPLOSIM_MAX_INPUT_BYTES")

# Characters YAML refuses (C0/C1 controls other than tab, newline, CR and NEL; surrogates,
# non-characters). Checked before parsing so the message names the line and column.
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
                         "\ud800-\udfff\ufffe\uffff]")


def position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


_CLoader: Any = getattr(yaml, "CSafeLoader", None)  # libyaml, when PyYAML was built with it


def _check_nesting(text: str) -> None:
    """With libyaml: walk the event stream (libyaml's parser keeps explicit stacks, it does not
    recurse) and refuse deep nesting before anything recursive composes the document."""
    loader = _CLoader(text)
    limit = NESTING.value()
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    mark = event.start_mark
                    raise InputError.single(
                        f"nested more than {limit} levels deep",
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None, allowed=f"at most {limit} "
                        f"levels of mappings and lists ({NESTING.how_to_raise()})")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a bound on nesting while composing (its composer recurses)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.max_depth = NESTING.value()

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        if self.depth > self.max_depth:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise InputError.single(
                f"nested more than {self.max_depth} levels deep", line=mark.line + 1,
                column=mark.column + 1, allowed=f"at most {self.max_depth} levels of "
                f"mappings and lists ({NESTING.how_to_raise()})")
        try:
            node: yaml.Node | None = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        return node


class _Builder:
    """Turns composed nodes into plain data, recording each dotted path's line and bounding the
    work aliases can cause (a node reached a second time through an alias counts again)."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[str, int] = {}
        self.seen: set[int] = set()
        self.repeated = 0
        self.max_repeated = ALIAS_NODES.value()
        self.max_chars = SCALAR_CHARS.value()

    def build(self, node: yaml.Node, path: str) -> Any:
        line = node.start_mark.line + 1
        self.lines.setdefault(path, line)
        if id(node) in self.seen:
            self.repeated += 1
            if self.repeated > self.max_repeated:
                raise InputError.single(
                    f"aliases repeat more than {self.max_repeated} values", path=path,
                    line=line, allowed="aliases for simple reuse (an anchor reused a few times, "
                    f"not aliases of aliases); {ALIAS_NODES.how_to_raise()}")
        else:
            self.seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            raise InputError.single(
                f"YAML tag {node.tag!r} is not allowed (files are read as plain data)",
                path=path, line=line,
                allowed="plain YAML: mappings, lists, strings, numbers, true/false, null")
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in PLAIN_TAGS:
                    raise InputError.single("mapping keys must be plain scalars", path=path,
                                            line=key_line, allowed="a name, e.g. steps: 20")
                key = self.scalar(key_node, path)
                if not isinstance(key, str | int | float | bool):
                    raise InputError.single("mapping keys must be plain scalars", path=path,
                                            line=key_line, value=key)
                if key in out:
                    raise InputError.single(
                        f"duplicate key {key!r}", path=_join(path, str(key)), line=key_line,
                        allowed="each key once per mapping")
                child = _join(path, str(key))
                self.lines[child] = key_line
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, _join(path, str(i))) for i, v in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: str) -> Any:
        line = node.start_mark.line + 1
        if len(node.value) > self.max_chars:
            raise InputError.single(
                f"a value of {len(node.value):,} characters", path=path, line=line,
                allowed=f"at most {self.max_chars:,} characters ({SCALAR_CHARS.how_to_raise()})")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except Exception:  # PyYAML's constructors on hostile text: a 5,000-digit integer,
            # 2024-13-45, '!!timestamp 0.5' (an AttributeError inside PyYAML)
            kind = node.tag.rsplit(":", 1)[-1]
            allowed = ("at most 4,300 digits" if kind == "int" and len(node.value) > 4300
                       else f"a valid {kind}")
            raise InputError.single(f"cannot read this value as {kind}", path=path, line=line,
                                    value=node.value, allowed=allowed) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def check_text(text: str, source: str) -> None:
    """Refuse text YAML cannot read (control characters) or too long, before parsing."""
    limit = FILE_BYTES.value()
    if len(text) > limit:
        raise InputError.single(
            f"too large ({len(text):,} characters)", source=source,
            allowed=f"at most {limit:,} ({FILE_BYTES.how_to_raise()})")
    bad = _UNREADABLE.search(text)
    if bad is not None:
        line, column = position(text, bad.start())
        raise InputError.single(
            f"control character U+{ord(bad.group()):04X} is not allowed", source=source,
            line=line, column=column, allowed="printable text, tabs and line breaks")


def parse_yaml(text: str, source: str = "<string>") -> Document:
    """Parse ``text`` safely, within the input limits; every problem is an :class:`InputError`."""
    text = text.removeprefix("\ufeff")
    check_text(text, source)
    # libyaml (C) reads ~10x faster than PyYAML's Python reader: a file at the size limit
    # in well under a second. Its composer recurses, so nesting is checked first.
    loader = _LimitedLoader(text) if _CLoader is None else None
    try:
        if loader is None:
            _check_nesting(text)
            loader = _CLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError.single(
                "the document is empty", source=source, allowed="a YAML mapping of fields"
            )
        builder = _Builder(loader)
        data = builder.build(node, "")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError.single(
            f"YAML syntax error: {problem}", source=source, line=line, column=column
        ) from None
    except yaml.reader.ReaderError as exc:
        line, column = position(text, exc.position)
        raise InputError.single(f"unreadable character: {exc.reason}", source=source,
                                line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise InputError.single(f"YAML error: {exc}", source=source) from None
    except RecursionError:
        raise InputError.single("nested too deeply to read", source=source,
                                allowed=f"at most {NESTING.value()} levels") from None
    except InputError as exc:
        raise InputError(exc.problems, source=source) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(data=data, source=source, lines=builder.lines, text=text)


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def read_text(path: str | Path, what: str = "a YAML file (.yaml or .yml)") -> str:
    """Read a user's text file as UTF-8 (a UTF-8 byte-order mark is dropped). Anything that is
    not a readable regular file within the size limit, or not UTF-8, raises
    :class:`InputError` naming the file (and the line and column of a bad byte)."""
    p = Path(path)
    source = str(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        hint = suggest_path(p)
        raise InputError.single(f"no such file{f' ({hint})' if hint else ''}", source=source,
                                allowed=what) from None
    except OSError as exc:
        raise InputError.single(f"cannot read: {exc.strerror}", source=source) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError.single("is a directory, not a file", source=source, allowed=what)
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        raise InputError.single(f"is {kind}", source=source, allowed=what)
    limit = FILE_BYTES.value()
    if st.st_size > limit:
        raise InputError.single(f"too large ({st.st_size:,} bytes)", source=source,
                                allowed=f"at most {limit:,} bytes ({FILE_BYTES.how_to_raise()})")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError.single(f"cannot read: {exc.strerror}", source=source) from None
    if len(raw) > limit:
        raise InputError.single("too large", source=source,
                                allowed=f"at most {limit:,} bytes ({FILE_BYTES.how_to_raise()})")
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise InputError.single(f"not UTF-8 text (it starts with a {name} byte-order mark)",
                                    source=source, line=1, column=1,
                                    allowed="UTF-8 text (save the file as UTF-8)")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError.single(
            f"not UTF-8 text ({exc.reason}: byte 0x{raw[exc.start]:02x})", source=source,
            line=line, column=column, allowed="UTF-8 text (save the file as UTF-8)") from None


def suggest_path(path: Path) -> str:
    """'did you mean ...?' for a missing file: the nearest names beside it or in the usual
    folders (scenarios/, experiments/, examples/negotiation/) of the current folder."""
    candidates: list[str] = []
    folders = [path.parent, Path("scenarios"), Path("experiments"), Path("examples/negotiation")]
    for folder in dict.fromkeys(folders):
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in itertools.islice(entries, 2000))
        except OSError:
            continue
        for name in difflib.get_close_matches(path.name, names, n=2, cutoff=0.75):
            candidates.append(str(folder / name) if str(folder) != "." else name)
    unique = {Path(c).resolve(): c for c in reversed(candidates)}
    found = [c for r, c in reversed(unique.items()) if r != path.resolve()]
    if not found and path.name == str(path):  # a bare name: perhaps a bundled example's
        from diplosim.io.examples import catalogue

        stems = sorted({e.name for e in catalogue()})
        found = [f"{n} (bundled; diplosim examples lists them)"
                 for n in difflib.get_close_matches(path.stem, stems, n=2, cutoff=0.75)]
    return f"did you mean {' or '.join(found[:2])}?" if found else ""


def read_yaml(path: str | Path) -> Document:
    """Read a YAML file; every way the file can fail to be read raises :class:`InputError`."""
    return parse_yaml(read_text(path), str(path))


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
