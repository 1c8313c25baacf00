"""``diplosim plugins``: what installed packages add (docs/extending.md)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from diplosim.plugins import GROUPS, KIND, PluginError, clash, installed, load


def describe() -> list[dict[str, Any]]:
    """Every installed plug-in: group, name, package, version, one line of doc, parameters (a
    JSON Schema), or the problem that keeps it from loading (``refused``: True for a plug-in
    named like a built-in, which diplosim refuses)."""
    out: list[dict[str, Any]] = []
    for info in installed():
        entry: dict[str, Any] = {**info.record(), "kind": KIND[info.group]}
        refused = clash(info.group, info.name)
        if refused is not None:
            entry.update(problem=refused.message, allowed=refused.allowed, refused=True)
            out.append(entry)
            continue
        cls: Any
        try:
            cls, _ = load(info.group, info.name, object)
        except PluginError as exc:
            entry["problem"] = exc.message
        else:
            first = (cls.__doc__ or "").strip().split("\n\n")[0]
            entry["summary"] = " ".join(first.split())
            entry["parameters"] = cls.Parameters.model_json_schema()
        out.append(entry)
    return out


def _bounds(field: dict[str, Any]) -> str:
    marks = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    parts = [f"{sym} {field[k]}" for k, sym in marks.items() if k in field]
    if "default" in field:
        parts.append(f"default {field['default']}")
    else:
        parts.append("required")
    if field.get("unit"):
        parts.append(f"a {field['unit']}: per year with rates: per_year")
    return "; ".join(parts)


def _refusals(found: list[dict[str, Any]]) -> int:
    """Each refused plug-in as an error on stderr; exit status 2 if there is one."""
    refused = [e for e in found if e.get("refused")]
    for e in refused:
        print(f"error: {e['problem']}\n  allowed: {e['allowed']}", file=sys.stderr)
    return 2 if refused else 0


def plugins_command(args: argparse.Namespace) -> int:
    found = describe()
    if args.json:
        print(json.dumps(found, indent=2))
        return _refusals(found)
    if not found:
        print("no plug-ins installed (entry-point groups: "
              f"{', '.join(GROUPS.values())}; docs/extending.md says how to write one)")
        return 0
    for group, entry_group in GROUPS.items():
        mine = [e for e in found if e["group"] == entry_group]
        if not mine:
            continue
        print(f"{group} ({entry_group}):")
        for e in mine:
            owner = f"{e['package']} {e['version']}" if e["package"] else "?"
            print(f"  {e['name']}  ({owner})")
            if e.get("summary"):
                print(textwrap.fill(e["summary"], 96, initial_indent="    ",
                                    subsequent_indent="    "))
            if "problem" in e:
                print(f"    {'refused' if e.get('refused') else 'broken'}: {e['problem']}")
                continue
            for name, field in e["parameters"].get("properties", {}).items():
                what = field.get("description", "")
                print(f"    {name}: {what} [{_bounds(field)}]")
    return _refusals(found)
