"""The example library that ships with diplosim: scenarios, experiments, negotiation sessions.

There is one copy of each file: ``scenarios/``, ``experiments/`` and ``examples/negotiation/`` at
the repository's top level. The wheel carries them as ``diplosim/_bundled/`` (the build maps the
folders in; see pyproject.toml), so an installed diplosim finds them there and a clone or an
editable install finds them at the top level.

On the command line a bare name such as ``mission_closure`` stands for the bundled file when no
file of that name exists (:func:`resolve`); ``diplosim examples`` lists them (:func:`catalogue`).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["scenario", "experiment", "session"]
KINDS: tuple[Kind, ...] = ("scenario", "experiment", "session")
# the folder of each kind: in the wheel (under diplosim/_bundled) and in a clone (top level)
_WHEEL_FOLDERS: dict[Kind, str] = {"scenario": "scenarios", "experiment": "experiments",
                                   "session": "negotiation"}
_CLONE_FOLDERS: dict[Kind, str] = {"scenario": "scenarios", "experiment": "experiments",
                                   "session": "examples/negotiation"}
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Example:
    """One bundled file: its name (the file's stem), kind, path and first header line."""

    name: str
    kind: Kind
    path: Path
    summary: str


def folder(kind: Kind) -> Path | None:
    """Where the bundled files of ``kind`` are, or None if this installation has none."""
    package = Path(__file__).resolve().parents[1]  # src/diplosim/io -> src/diplosim
    bundled = package / "_bundled" / _WHEEL_FOLDERS[kind]
    if bundled.is_dir():
        return bundled
    root = package.parents[1]  # src/diplosim -> the repository, for a clone
    clone = root / _CLONE_FOLDERS[kind]
    if (root / "pyproject.toml").is_file() and clone.is_dir():
        return clone
    return None


def summary_of(path: Path, limit: int = 110) -> str:
    """The first sentence of a file's header comment (what the file is about), or ''."""
    lines: list[str] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                text = line.strip()
                if not text.startswith("#") or (lines and not text.lstrip("#").strip()):
                    break
                if text.lstrip("#").strip():
                    lines.append(text.lstrip("#").strip())
    except (OSError, UnicodeDecodeError):
        return ""
    header = " ".join(lines)
    end = re.search(r"(?<![A-Z])\.\s", header)  # a sentence's end, not U.S.'s
    first = header[: end.start() + 1] if end else header
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def catalogue(kinds: tuple[Kind, ...] = KINDS) -> list[Example]:
    """Every bundled file of these kinds, by kind then name."""
    found: list[Example] = []
    for kind in kinds:
        where = folder(kind)
        if where is None:
            continue
        for path in sorted(where.iterdir()):
            if path.suffix in SUFFIXES and path.is_file():
                found.append(Example(path.stem, kind, path, summary_of(path)))
    return found


def bundled(name: str, kind: Kind) -> Path | None:
    """The bundled file of ``kind`` named ``name`` (with or without .yaml), or None."""
    where = folder(kind)
    if where is None or not name or Path(name).name != name:
        return None
    stem = name.removesuffix(".yaml").removesuffix(".yml")
    for suffix in SUFFIXES:
        candidate = where / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def path(name: str, kind: Kind = "scenario") -> Path:
    """The path of a bundled file, for use from Python: ``load_scenario(examples.path(
    "us_cuba"))``. Raises :class:`LookupError` naming what is bundled when there is no such file.
    """
    found = bundled(name, kind)
    if found is None:
        names = ", ".join(e.name for e in catalogue((kind,))) or "none"
        raise LookupError(f"no bundled {kind} named {name!r} (bundled: {names})")
    return found


def resolve(argument: str, kind: Kind, *, quiet: bool = False) -> Path:
    """A command's file argument: the file itself when it exists (whatever it is: reading it
    reports what is wrong), else the bundled file of that name, said on stderr. A name that is
    neither comes back unchanged, so the reader reports it missing."""
    given = Path(argument)
    try:
        if given.exists() or given.is_symlink():
            return given
    except OSError:  # e.g. a name too long for the file system: the reader says so, located
        return given
    found = bundled(argument, kind)
    if found is None:
        return given
    if not quiet:
        print(f"note: no file {argument!r} here; using the bundled {kind} {found.stem} "
              f"({found})", file=sys.stderr)
    return found
