"""A file naming a parameter set with a part of the wrong type (``channels: 5``, an event that is
text, ``negotiation.session.issues: {}``, ...) is a located input error, exit 2, never an
internal error: :data:`diplosim.scenario.shapes.SHAPES` declares the type of every part the merge
reads, checked before it reads any (issue 40). Every declared part is tried with every type it
may not have, through the command line; the table is checked against the schema (it refuses
nothing the schema accepts) and against the merge (every section the set fills is declared)."""

from __future__ import annotations

import contextlib
import copy
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from diplosim.cli import main
from diplosim.io.errors import InputError
from diplosim.io.validation import problems_from
from diplosim.io.yamlio import Document, parse_yaml
from diplosim.scenario.schema import ScenarioSpec
from diplosim.scenario.shapes import SHAPES
from diplosim.scenario.shared import BY_KIND, DEFAULTS, SHARED_PATHS, merge

ROOT = Path(__file__).resolve().parents[1]


def _base() -> dict[str, Any]:
    """A held-out case naming ``calibrated``, with every part the table declares present."""
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "scenarios" / "israel_syria_1991.yaml").read_text())
    data["rates"] = "per_year"
    data["case_specific"] = {}
    data["actors"]["generate"] = [{"states": "all", "kind": "observer", "tracks": ["2"]}]
    data["channels"]["bilateral_talks"]["ladder"] = ["closed", "talks"]
    data["tension"] = {"misperception": {}}
    data["negotiation"]["ripeness"] = {}
    data["negotiation"]["durability"] = {}
    data.update(dyads=[], dynamics={}, requires=[], explore={"parameters": []})
    return data


BASE = _base()
WRONG: dict[str, Any] = {"a number": 5, "text": "text", "a list": [1, 2],
                         "a mapping": {"x": 1}, "null": None}


def _concrete(pattern: str, node: Any = BASE) -> str | None:
    """The pattern's path in :data:`BASE`, each ``*`` the first item or entry that holds the
    rest of the path (None: none does)."""
    part, _, rest = pattern.partition(".")
    keys = (range(len(node)) if isinstance(node, list) else list(node)) if part == "*" else (
        [part] if isinstance(node, dict) and part in node else [])
    for key in keys:
        below = _concrete(rest, node[key]) if rest else ""
        if below is not None:
            return f"{key}.{below}" if rest else str(key)
    return None


def _replace(data: Any, path: str, value: Any) -> Any:
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = copy.deepcopy(value)
    return out


# (dotted path, value): every declared part with every type it may not have
CASES = [(str(_concrete(pattern)), name) for pattern, shape in SHAPES.items()
         for name, value in WRONG.items() if not shape.admits(value)]
# not declared (the merge reads none of them): a section the scenario format does not have,
# and values of the talks the set gives every case (the file's own is refused, located)
OTHERS = [(path, name) for path in ("talks", "negotiation.session.deadline",
                                    "negotiation.session.parties.0.strategy")
          for name in WRONG]


def _write(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, str]:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return path, text


def test_the_base_is_valid_and_holds_every_declared_part(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, BASE)
    assert main(["validate", str(path)]) == 0
    assert all(_concrete(pattern) is not None for pattern in SHAPES)
    assert len(CASES) >= 40
    assert {p.split(".")[0] for p, _ in CASES} >= {
        "channels", "actors", "states", "events", "negotiation", "metrics", "case_specific",
        "tension", "rates"}


@pytest.mark.parametrize(("where", "wrong"), CASES + OTHERS,
                         ids=[f"{p}={n}" for p, n in CASES + OTHERS])
def test_a_part_of_the_wrong_type_is_a_located_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, wrong: str) -> None:
    path, text = _write(tmp_path, _replace(BASE, where, WRONG[wrong]))
    line = parse_yaml(text, str(path)).lines[where]
    key = where.rpartition(".")[2]
    assert (key if not key.isdigit() else "-") in text.splitlines()[line - 1]  # the right line
    commands = [["validate", str(path)]]
    if "." not in where:  # a section: diplosim run too
        commands.append(["run", str(path), "--reps", "1", "--out", str(tmp_path / "out")])
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"error: {path}"), err
        assert f"line {line}: {where}" in err, err
        assert "internal error" not in err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _concrete_value(path: str) -> dict[str, Any]:
    node: Any = BASE
    for part in path.split("."):
        node = node[part]
    return dict(node)


@pytest.mark.parametrize("where", ["case_specific", "channels", "negotiation.ripeness"])
def test_a_key_that_is_not_text_is_a_located_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    """``case_specific: {5: why}`` was an internal error (a key read as a dotted path)."""
    data = _replace(BASE, where, {5: "why"} if where == "case_specific" else {
        **_concrete_value(where), 5: {}})
    path, text = _write(tmp_path, data)
    line = parse_yaml(text, str(path)).lines[f"{where}.5"]
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"line {line}: {where}.5: a key must be text" in err, err
    assert "internal error" not in err


@pytest.mark.parametrize(("where", "wrong"), CASES, ids=[f"{p}={n}" for p, n in CASES])
def test_the_table_refuses_nothing_the_schema_accepts(where: str, wrong: str) -> None:
    """The schema, reading the file as the table does, refuses every value the table refuses,
    at its path (so no valid file is refused before the merge)."""
    data = _replace(BASE, where, WRONG[wrong])
    with pytest.raises(pydantic.ValidationError) as info:
        ScenarioSpec.model_validate(data)
    paths = [p.path for p in problems_from(info.value, Document(data, "x"), ScenarioSpec, data)]
    assert any(p == where or p.startswith(where + ".") for p in paths), (where, paths)


def test_every_section_the_merge_reads_or_fills_is_declared() -> None:
    containers = {p.rpartition(".")[0] for p in SHARED_PATHS} | {
        t.rpartition(".")[0] for t in DEFAULTS.values()}
    containers |= {f"{s}.*" for s in BY_KIND if s != "actors"} | {
        "actors.list.*", "actors.generate.*", "events.*", "case_specific"}
    for path in sorted(containers):
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            assert ".".join(parts[:depth]) in SHAPES, ".".join(parts[:depth])
        assert SHAPES[path].admits({}), path


def test_every_top_level_section_is_declared() -> None:
    for name, info in ScenarioSpec.model_fields.items():
        args = {typing.get_origin(a) or a for a in (typing.get_args(info.annotation)
                                                     or (info.annotation,))}
        origin = typing.get_origin(info.annotation) or info.annotation
        kinds = args | {origin}
        if any(k in (list, dict, tuple) or (isinstance(k, type) and issubclass(
                k, pydantic.BaseModel)) for k in kinds):
            assert (info.alias or name) in SHAPES, name


def test_no_part_of_the_wrong_type_ends_the_merge_otherwise() -> None:
    """Every part of the base, declared or not, with every other type: the merge succeeds or
    refuses with an input error, never another exception."""
    def parts(node: Any, prefix: str = "") -> list[str]:
        items = (node.items() if isinstance(node, dict) else enumerate(node)
                 if isinstance(node, list) else ())
        out = []
        for key, value in items:
            out += [f"{prefix}{key}", *parts(value, f"{prefix}{key}.")]
        return out

    tried = 0
    for where in parts(BASE):
        for value in WRONG.values():
            with contextlib.suppress(InputError):
                merge(_replace(BASE, where, value), "case.yaml", {})
            tried += 1
    assert tried > 500
