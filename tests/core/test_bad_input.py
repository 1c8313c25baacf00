"""Bad scenario input: one clear message (file, line, path, value, allowed), never a crash."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplosim.io.errors import InputError
from diplosim.scenario import load_scenario, scenario_from_dict, scenario_from_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

GOOD = """\
name: small
steps: 20
states:
  - {id: A}
  - {id: B}
actors:
  list:
    - {id: a_dip, state: A, kind: diplomat, tracks: ["1"], access: 1.0}
    - {id: b_dip, state: B, kind: diplomat, tracks: ["1"], access: 1.0}
    - {id: a_env, state: A, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: b_env, state: B, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: fac, state: null, kind: facilitator, tracks: ["1"]}
channels:
  embassy:
    track: "1"
    mission: true
    ladder: [closed, embassy]
    close_threshold: 0.8
    reopen_threshold: 0.5
    links: [{id: emb, between: [a_dip, b_dip]}]
  backchannel:
    track: "1"
    close_threshold: 0.95
    reopen_threshold: 0.5
    links: [{id: back, between: [a_env, b_env], via: fac}]
events:
  - {at: 5, type: shock, dyad: [A, B], magnitude: 0.6}
  - {at: 10, type: set_level, channels: {ids: [back]}, level: 0, label: envoy recalled}
"""

# (name, edit of GOOD, text that must appear in the message)
CASES: list[tuple[str, tuple[str, str], list[str]]] = [
    ("wrong type", ("steps: 20", "steps: twenty"),
     ["line 2", "steps", "valid integer", "'twenty'"]),
    ("unknown top-level key", ("steps: 20", "steps: 20\nstpes: 3"),
     ["line 3", "stpes", "did you mean 'steps'", "allowed:"]),
    ("unknown nested key", ("    close_threshold: 0.95", "    close_treshold: 0.95"),
     ["line 23", "channels.backchannel.close_treshold", "did you mean 'close_threshold'"]),
    ("value out of range", ("access: 0.9}", "access: 1.7}"),
     ["line 10", "actors.list.2.access", "1.7", "<= 1"]),
    ("negative steps", ("steps: 20", "steps: -3"), ["line 2", "steps", "-3", ">= 1"]),
    ("undefined state", ("{id: a_dip, state: A", "{id: a_dip, state: C"),
     ["line 8", "actors.list.0.state", "unknown state 'C'", "A, B"]),
    ("undefined actor", ("between: [a_dip, b_dip]", "between: [a_dip, x_dip]"),
     ["line 20", "channels.embassy.links.0.between.1", "unknown actor 'x_dip'"]),
    ("duplicate id", ("{id: b_dip,", "{id: a_dip,"),
     ["line 9", "actors.list.1", "duplicate actor id 'a_dip'"]),
    ("event after the last step", ("{at: 10, type: set_level", "{at: 25, type: set_level"),
     ["line 28", "events.1.at", "after the last step", "25", "1 to steps (20)"]),
    ("unknown channel in an event", ("ids: [back]", "ids: [bak]"),
     ["events.1.channels.ids.0", "unknown channel 'bak'"]),
    ("unknown event type", ("type: set_level", "type: explode"),
     ["events.1.type", "'explode'", "'shock'"]),
    ("no hysteresis", ("    reopen_threshold: 0.5\n    links: [{id: emb",
                       "    reopen_threshold: 0.9\n    links: [{id: emb"),
     ["channels.embassy", "reopen_threshold (0.9) must be below close_threshold (0.8)"]),
    ("unknown track",
     ('track: "1"\n    close_threshold: 0.95', 'track: "7"\n    close_threshold: 0.95'),
     ["channels.backchannel.track", "unknown track '7'", "1, 1.5, 2"]),
    ("too few states", ("  - {id: B}\n", ""), ["states", "at least 2"]),
    ("YAML syntax error", ("steps: 20", "steps: [20"), ["YAML syntax error", "line"]),
    ("duplicate key", ("steps: 20", "steps: 20\nsteps: 30"),
     ["line 3", "duplicate key 'steps'"]),
    ("python object tag", ("steps: 20", "steps: !!python/object/apply:os.system ['true']"),
     ["line 2", "python/object/apply", "not allowed"]),
    ("ladder and thresholds disagree",
     ("    close_threshold: 0.8\n", "    close_threshold: [0.8, 0.7]\n"),
     ["line 14", "channels.embassy", "close_threshold has 2 values but the ladder has 1 open "
      "levels"]),
    ("event without its fields", ("magnitude: 0.6}", "label: x}"),
     ["line 27", "events.0", "a shock event needs magnitude"]),
    ("carrier belongs to a state", ("via: fac}", "via: a_dip}"),
     ["line 25", "channels.backchannel.links.0.via", "actor 'a_dip' belongs to a state",
      "a third party"]),
    ("both ends in one state", ("between: [a_dip, b_dip]", "between: [a_dip, a_env]"),
     ["line 20", "channels.embassy.links.0.between", "both ends belong to the same state"]),
    ("level above the ladder", ("between: [a_dip, b_dip]}", "between: [a_dip, b_dip], level: 4}"),
     ["line 20", "channels.embassy.links.0.level", "level 4 is above the top",
      "0 to 1 (closed, embassy)"]),
    ("list expected", ('tracks: ["1"], access: 1.0}', 'tracks: "1", access: 1.0}'),
     ["line 8", "actors.list.0.tracks", "valid list", "'1'"]),
    ("not a number", ("magnitude: 0.6}", "magnitude: .nan}"),
     ["line 27", "events.0.magnitude", "finite number", "nan"]),
    ("dyad of one state", ("dyad: [A, B]", "dyad: [A, A]"),
     ["line 27", "events.0.dyad", "two different states"]),
    ("unknown channel kind in an event", ("ids: [back]", "kind: hotline"),
     ["line 28", "events.1.channels.kind", "unknown channel kind 'hotline'",
      "embassy, backchannel"]),
    ("bad identifier", ("{id: a_env,", "{id: 2env,"),
     ["line 10", "actors.list.2.id", "'2env'", "pattern"]),
]


@pytest.mark.parametrize(("name", "edit", "needles"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_gets_one_located_message(
        name: str, edit: tuple[str, str], needles: list[str]) -> None:
    old, new = edit
    assert old in GOOD, name
    with pytest.raises(InputError) as info:
        scenario_from_text(GOOD.replace(old, new, 1), "bad.yaml")
    message = str(info.value)
    assert message.startswith("bad.yaml")
    for needle in needles:
        assert needle in message, f"{name}: {needle!r} not in\n{message}"


def test_the_good_scenario_is_good() -> None:
    assert scenario_from_text(GOOD, "good.yaml").name == "small"


def test_empty_file_directory_missing_file_top_level_list(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty\.yaml: the document is empty"):
        load_scenario(empty)
    with pytest.raises(InputError, match="is a directory, not a file"):
        load_scenario(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="top level must be a mapping"):
        load_scenario(listy)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(InputError, match="not UTF-8"):
        load_scenario(binary)


def test_bad_overrides_name_the_path_and_value() -> None:
    good = scenario_from_text(GOOD, "good.yaml")
    with pytest.raises(InputError,
                       match=r"channels\.backchannel\.close_threshold.*\(set by --set\)"):
        good.with_overrides({"channels.backchannel.close_threshold": "lots"})
    with pytest.raises(InputError, match="no list item '9'"):
        good.with_overrides({"events.9.at": 3})
    with pytest.raises(InputError, match="unknown field 'stepz'"):
        good.with_overrides({"stepz": 3})


@pytest.mark.parametrize("args", [
    ["validate", "BAD"],
    ["validate", "MISSING"],
    ["run", "EMPTY"],
    ["validate", "TAGGED"],
    ["run", "BAD", "--reps", "1"],
    ["run", "GOOD", "--set", "channels.backchannel.close_threshold=lots"],
    ["run", "GOOD", "--set", "no_equals_sign"],
    ["run", "GOOD", "--reps", "0"],
    ["validate", "DIR"],
])
def test_cli_bad_input_exits_2_without_a_traceback(args: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("steps: 20", "steps: twenty"))
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text(GOOD.replace("steps: 20", "steps: !!python/object/apply:os.system ['true']"))
    subs = {"BAD": str(bad), "GOOD": str(good), "DIR": str(tmp_path), "EMPTY": str(empty),
            "TAGGED": str(tagged), "MISSING": str(tmp_path / "missing.yaml")}
    argv = [subs.get(a, a) for a in args]
    done = subprocess.run([sys.executable, "-m", "diplosim", *argv, "--out", str(tmp_path / "o")]
                          if argv[0] == "run" else [sys.executable, "-m", "diplosim", *argv],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    named = [v for k, v in subs.items() if k in args and k != "GOOD"]
    assert all(name in done.stderr for name in named), done.stderr  # the file is named
    assert not (tmp_path / "o").exists()  # nothing written


# --- property: mutated scenarios load or raise InputError, never anything else -------------

def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif action == "inject" and isinstance(parent[last], dict):
        parent[last]["unexpected_key"] = value
    else:
        parent[last] = value
    return out


DOCS = [yaml.safe_load(p.read_text()) for p in SCENARIOS] + [yaml.safe_load(GOOD)]
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["A", "north", "embassy", "1.5", "closed", "-1", "1e9"]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.sampled_from(range(len(DOCS))), pick=st.integers(0, 10**6),
       action=st.sampled_from(["delete", "replace", "inject"]), value=ODD_VALUES)
def test_mutated_scenarios_never_crash(doc: int, pick: int, action: str, value: Any) -> None:
    data = DOCS[doc]
    paths = _paths(data)
    path = paths[pick % len(paths)]
    mutated = _mutate(data, path, action, value)
    try:
        scenario = scenario_from_dict(mutated, "mutated.yaml")
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert message.startswith("mutated.yaml")
        return
    from diplosim.engine.model import DiplomacyModel

    model = DiplomacyModel(scenario, rng=0)
    for _ in range(min(scenario.steps, 3)):
        model.step()
        tension = model.tension.tension
        assert np.isfinite(tension).all()
        assert ((tension >= 0) & (tension <= 1)).all()


def test_error_messages_do_not_mention_internal_names() -> None:
    env = {**os.environ}
    env.pop("DIPLOSIM_DEBUG", None)
    with pytest.raises(InputError) as info:
        scenario_from_text(GOOD.replace("steps: 20", "steps: twenty"), "bad.yaml")
    assert "pydantic" not in str(info.value).lower()


TEXTS = [p.read_text() for p in SCENARIOS] + [GOOD]


@settings(max_examples=120)
@given(doc=st.sampled_from(range(len(TEXTS))), pick=st.integers(0, 10**6),
       action=st.sampled_from(["drop_line", "repeat_line", "insert", "truncate", "indent"]),
       junk=st.text(alphabet=":-[]{}!&*#|>'\" \t\nabc019.", max_size=8))
def test_mangled_scenario_text_never_crashes(
        doc: int, pick: int, action: str, junk: str) -> None:
    lines = TEXTS[doc].splitlines(keepends=True)
    i = pick % len(lines)
    if action == "drop_line":
        del lines[i]
    elif action == "repeat_line":
        lines.insert(i, lines[i])
    elif action == "insert":
        col = pick % (len(lines[i]) + 1)
        lines[i] = lines[i][:col] + junk + lines[i][col:]
    elif action == "truncate":
        lines = lines[:i]
    else:
        lines[i] = "  " + lines[i]
    message = ""
    try:
        scenario_from_text("".join(lines), "mangled.yaml")
    except InputError as exc:
        message = str(exc)
    assert not message or message.startswith("mangled.yaml")


def test_the_json_schema_is_self_consistent() -> None:
    from diplosim.scenario import scenario_json_schema

    schema = scenario_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    defs = schema.get("$defs", {})
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            if isinstance(node.get("required"), list) and "properties" in node:
                assert set(node["required"]) <= set(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in defs
    assert {"name", "states"} <= set(schema["required"])
    assert "list" in defs["ActorsSpec"]["properties"]  # aliases, as users write them
