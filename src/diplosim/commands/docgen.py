"""File-format references generated from the schemas, so the documentation cannot drift.

``python -m diplosim.commands.docgen docs/reference`` writes ``scenario.md``, ``experiment.md`` and
``session.md``: one table per section of the format (field, type and allowed values, default,
meaning), built from the pydantic models that validate the files. ``tests/test_docs.py`` fails
when the committed files differ from what this module generates.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

Model = type[BaseModel]
BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "length ≥"),
          ("max_length", "length ≤"))


def _constraints(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        for attr, sign in BOUNDS:
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(f"{sign} {value:,}" if isinstance(value, int) else f"{sign} {value}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            parts.append("identifier" if pattern == r"^[A-Za-z][A-Za-z0-9_]*$"
                         else f"matches `{pattern}`")
    return ", ".join(parts)


def _type(annotation: Any, found: Callable[[Model], str]) -> str:
    """A readable type, with links to the sections of nested models."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = _type(args[0], found)
        extra = _constraints(list(args[1:]))
        return f"{inner} ({extra})" if extra else inner
    if origin in (typing.Union, types.UnionType):
        shown = [_type(a, found) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(shown))
        return f"{text} or null" if type(None) in args else text
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return "pair of " + _type(args[0], found) + "s" if len(set(args)) == 1 else (
                "[" + ", ".join(_type(a, found) for a in args) + "]")
        return "list of " + _type(args[0], found) if args else "list"
    if origin is dict:
        return f"mapping {_type(args[0], found)} → {_type(args[1], found)}"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return found(annotation)
        if issubclass(annotation, enum.Enum):
            return " or ".join(f"`{m.value}`" for m in annotation)
        if annotation is dt.date:
            return "date (YYYY-MM-DD)"
        return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(
            annotation, annotation.__name__)
    return str(annotation).replace("typing.", "")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    factory = info.default_factory
    value = factory() if factory is not None else info.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return "null" if value is None else "—"
    if isinstance(value, BaseModel):
        return "see its section"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return '`""`'

    if isinstance(value, (list, tuple, dict)) and not value:
        return "empty"
    return f"`{value}`"


def _first_line(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def reference(root: Model, title: str, intro: str) -> str:
    """Markdown tables for ``root`` and every model nested in it, in the order met."""
    sections: list[tuple[Model, str]] = [(root, "top level")]
    seen: dict[Model, str] = {root: "top-level"}

    def found(model: Model) -> str:
        if model not in seen:
            seen[model] = model.__name__.lower()
            sections.append((model, model.__name__))
        return f"[{model.__name__}](#{seen[model]})"

    out = [f"# {title}", "", intro, ""]
    i = 0
    while i < len(sections):
        model, name = sections[i]
        i += 1
        out += [f"## {name if model is not root else 'Top level'}", ""]
        doc = _first_line(model.__doc__)
        if doc:
            out += [doc, ""]
        out += ["| field | type | default | meaning |", "|---|---|---|---|"]
        for field, info in model.model_fields.items():
            shown = _type(info.annotation, found)
            bounds = _constraints(info.metadata)
            if bounds:
                shown = f"{shown} ({bounds})"
            key = info.alias or field
            meaning = " ".join((info.description or "").split()).replace("|", "\\|")
            out.append(f"| `{key}` | {shown} | {_default(info)} | {meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def cli_reference() -> str:
    """Every command with its arguments, from the parsers (as tables, not ``--help`` text,
    whose layout changes between Python versions)."""
    import argparse

    from diplosim.commands.parsers import build_parser

    def cell(text: str) -> str:
        text = " ".join(text.split())
        for char in "|<>":
            text = text.replace(char, "\\" + char)
        return text

    def rows(parser: argparse.ArgumentParser) -> list[str]:
        out = ["| argument | meaning |", "|---|---|"]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            name = ", ".join(action.option_strings) or str(action.metavar or action.dest)
            if action.option_strings and action.nargs != 0:
                name += f" {action.metavar or action.dest.upper()}"
            meaning = action.help or ""
            if action.choices is not None:
                meaning += f" (one of: {', '.join(map(str, action.choices))})"
            if action.nargs in ("+", "*"):
                meaning += " (one or more)" if action.nargs == "+" else " (any number)"
            elif (not action.option_strings and action.nargs == "?"
                  and "optional" not in meaning):
                meaning += " (optional)"
            if isinstance(action, argparse._AppendAction):
                meaning += " (repeatable)"
            out.append(f"| `{name}` | {cell(meaning)} |")
        return out if len(out) > 2 else ["No arguments."]

    parser = build_parser()
    # argparse keeps its subcommands in a private action; it is the one way to list them
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    out = ["# Command reference", "",
           "Generated from the command line's parsers by `python -m diplosim.commands.docgen "
           "docs/reference`; do not edit by hand (a test compares this file with the code). "
           "Every command also takes `--help`. Bad input exits with status 2 and a located "
           "message, an internal error with status 1, an interrupted command with 130 (Ctrl-C) "
           "or 143 (SIGTERM); see [safety.md](../safety.md).", "",
           "| command | what it does |", "|---|---|"]
    out += [f"| [`diplosim {n}`](#diplosim-{n}) | {cell(helps[n])} |" for n in sub.choices]
    out += ["", "`diplosim --version` prints the version.", ""]
    for name, command in sub.choices.items():
        out += [f"## diplosim {name}", "", cell(command.description or helps[name]), "",
                *rows(command), ""]
    return "\n".join(out).rstrip() + "\n"


def references() -> dict[str, str]:
    """The generated references (the three file formats and the commands), by file name."""
    from diplosim.experiment.spec import ExperimentSpec
    from diplosim.negotiation.session import SessionSpec
    from diplosim.scenario.schema import ScenarioSpec

    note = ("Generated from the schema by "
            "`python -m diplosim.commands.docgen docs/reference`; "
            "do not edit by hand (a test compares this file with the schema). "
            "The guide with examples is {guide}.")
    return {
        "scenario.md": reference(ScenarioSpec, "Scenario file reference",
                                 note.format(guide="[scenarios.md](../scenarios.md)")),
        "experiment.md": reference(ExperimentSpec, "Experiment file reference",
                                   note.format(guide="[sweeps.md](../sweeps.md)")),
        "session.md": reference(SessionSpec, "Negotiation session file reference",
                                note.format(guide="[negotiation.md](../negotiation.md)")),
        "cli.md": cli_reference(),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m diplosim.commands.docgen FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in references().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(folder / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
