"""Load scenario files into frozen, typed :class:`Scenario` objects."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diplosim.io.errors import InputError
from diplosim.io.overrides import apply_overrides
from diplosim.io.validation import validate_document
from diplosim.io.yamlio import Document, parse_yaml, read_yaml, require_mapping
from diplosim.plugins import PluginError, installed, load
from diplosim.scenario.compile import Compiled, compile_spec
from diplosim.scenario.schema import ScenarioSpec
from diplosim.scenario.shared import merge, parameter_set, split_overrides


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the typed spec, its compiled arrays, and where it came from."""

    spec: ScenarioSpec
    compiled: Compiled = field(repr=False)
    document: Mapping[str, Any] = field(repr=False)
    text: str = field(repr=False, default="")
    source: str = "<scenario>"
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def steps(self) -> int:
        return self.spec.steps

    @property
    def sha256(self) -> str:
        """Hash of the scenario text plus the overrides applied to it (and, for a scenario
        naming a shared parameter set, the set's values: a changed set is a changed scenario)."""
        h = hashlib.sha256(self.text.encode())
        if self.spec.parameters is not None:
            h.update(json.dumps(parameter_set(self.spec.parameters), sort_keys=True).encode())
        if self.overrides:
            h.update(json.dumps(dict(self.overrides), sort_keys=True, default=str).encode())
        for info in self.compiled.plugins:  # a plug-in's release is part of the model
            h.update(json.dumps(info.record(), sort_keys=True).encode())
        return h.hexdigest()

    @property
    def plugins(self) -> list[dict[str, Any]]:
        """The plug-ins the scenario uses, as provenance records them (group, name, object,
        package, version)."""
        return [info.record() for info in self.compiled.plugins]

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with dotted-path overrides applied on top of this one's."""
        if not overrides:
            return self
        merged = {**self.overrides, **overrides}
        doc = Document(data=dict(self.document), source=self.source, text=self.text)
        return _build(doc, merged)


def _build(doc: Document, overrides: Mapping[str, Any],
           origins: Mapping[str, str] | None = None) -> Scenario:
    base = require_mapping(doc, "scenario")
    set_overrides, own = split_overrides(overrides)
    filled = merge(base, doc.source, doc.lines, set_overrides)
    data = (apply_overrides(filled, own, source=f"{doc.source} (--set)", model=ScenarioSpec)
            if own else filled)
    lines = doc.lines if not overrides else {
        k: v for k, v in doc.lines.items() if not any(
            k == p or k.startswith(p + ".") for p in overrides)
    }
    check = Document(data=data, source=doc.source, lines=lines, text=doc.text)
    try:
        spec = validate_document(check, ScenarioSpec)
        compiled = compile_spec(spec, check.lines, doc.source, _file_steps(base))
    except InputError as exc:
        if overrides:  # say which override was involved
            for p in exc.problems:
                for k in overrides:
                    if p.path == k or p.path.startswith(k + "."):
                        option = (origins or {}).get(k, "--set")
                        object.__setattr__(p, "message", p.message + f" (set by {option})")
                        break
        raise
    return Scenario(spec=spec, compiled=compiled, document=base, text=doc.text,
                    source=doc.source, overrides=dict(overrides))


def _file_steps(base: Mapping[str, Any]) -> int | None:
    """The document's own ``steps`` (before overrides), if it is a valid number of steps."""
    steps = base.get("steps", ScenarioSpec.model_fields["steps"].default)
    return steps if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0 else None


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None,
                  origins: Mapping[str, str] | None = None) -> Scenario:
    """Read, validate and compile a scenario file; raise :class:`InputError` on bad input.
    ``origins`` names the option each override came from (default ``--set``) for messages."""
    return _build(read_yaml(path), overrides or {}, origins)


def scenario_from_text(text: str, source: str = "<string>",
                       overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario from YAML text, validated and compiled like a file (``source`` names it in
    messages)."""
    return _build(parse_yaml(text, source), overrides or {})


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>",
                       overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario from a mapping with the file's structure (e.g. built in Python), validated
    and compiled like a file."""
    import yaml

    text = yaml.safe_dump(dict(data), sort_keys=False)
    return _build(Document(data=dict(data), source=source, text=text), overrides or {})


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format (for editors' completion and validation)."""
    schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "diplosim scenario"
    _installed_plugins(schema)
    return schema


def _installed_plugins(schema: dict[str, Any]) -> None:
    """The installed plug-ins' parameters in the schema: each dynamics term's under
    ``dynamics.NAME``, and every plug-in's under ``x-diplosim-plugins`` (group, name, package,
    version, parameters), so that editors and ``diplosim schema`` show them."""
    listed: list[dict[str, Any]] = []
    terms: dict[str, Any] = {}
    for info in installed():
        cls: Any
        try:
            cls, _ = load(info.group, info.name, object)
        except PluginError as exc:
            listed.append({**info.record(), "problem": exc.message})
            continue
        params = cls.Parameters.model_json_schema()
        listed.append({**info.record(), "parameters": params})
        if info.group == "dynamics":
            terms[info.name] = params
    if terms:
        schema["properties"]["dynamics"]["properties"] = terms
    schema["x-diplosim-plugins"] = listed
