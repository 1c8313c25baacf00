"""Red lines, ratification and matters in case files (docs/validity.md, "Talks that can fail";
docs/scenarios.md, "Red lines"): checked with their lines, facts only when sourced, and read by
no structure but red lines (win_sets): without it a file with them runs exactly as without."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from diplosim.io.errors import InputError
from diplosim.results.tables import simulate_many
from diplosim.scenario import shared
from diplosim.scenario.facts import non_facts
from diplosim.scenario.loader import scenario_from_text

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "scenarios" / "israel_syria_1991.yaml"


def _base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CASE.read_text())
    # the file as it was before red lines were added to it: the test does not depend on them
    neg = data["negotiation"]
    neg.pop("red_lines", None)
    neg.pop("ratification", None)
    neg["session"]["issues"] = [i for i in neg["session"]["issues"]
                                if i.get("matter", "settlement") == "settlement"]
    names = {i["name"] for i in neg["session"]["issues"]}
    for p in neg["session"]["parties"]:
        p["ideal"] = {k: v for k, v in p["ideal"].items() if k in names}
    data["events"] = [e for e in data["events"] if e.get("type") != "red_line"]
    return data


def _with_red_lines(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    neg = out["negotiation"]
    neg["session"]["issues"].insert(0, {"name": "ceasefire", "kind": "discrete",
                                        "values": ["none", "ceasefire"], "matter": "ceasefire",
                                        "red_lines_only": True})
    for p in neg["session"]["parties"]:
        p["ideal"]["ceasefire"] = "ceasefire"
    neg["red_lines"] = [
        {"party": "syria", "issue": "golan_withdrawal", "at_least": 1.0,
         "stated": "1991-10-31", "by": "the head of state", "source": "a work, ch. 2"},
        {"party": "israel", "issue": "normalisation", "exclude": ["none"],
         "stated": "1991-10-31", "by": "the head of government", "source": "a work, p. 3"},
    ]
    neg["ratification"] = [{"party": "israel", "by": "referendum", "stated": "1994-01-01",
                            "source": "a statement of that date"}]
    out["events"].append({"at": "1999-12-15", "type": "red_line", "party": "israel",
                          "issue": "golan_withdrawal", "at_most": 0.9, "by": "the head of "
                          "government", "source": "a work, p. 4", "label": "a shift"})
    return out


def test_marking_an_issues_matter_changes_nothing_for_the_other_structures() -> None:
    """An existing issue given its matter (a ceasefire issue a file held before) is read by
    every structure as before; only an issue added for red lines (red_lines_only) is left out."""
    base = _base()
    marked = copy.deepcopy(base)
    marked["negotiation"]["session"]["issues"][0]["matter"] = "humanitarian"
    a = simulate_many(scenario_from_text(_text(base), source="a.yaml"), [1, 2])
    b = simulate_many(scenario_from_text(_text(marked), source="b.yaml"), [1, 2])
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.talks, y.talks)


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as exc:
        scenario_from_text(_text(data), source="case.yaml")
    return [f"{p.path}: {p.message}" for p in exc.value.problems]


def test_a_file_with_red_lines_runs_exactly_as_without() -> None:
    base = _base()
    plain = scenario_from_text(_text(base), source="plain.yaml")
    lined = scenario_from_text(_text(_with_red_lines(base)), source="lined.yaml")
    a = simulate_many(plain, [1, 2, 3])
    b = simulate_many(lined, [1, 2, 3])
    for x, y in zip(a, b, strict=True):
        logged = y.events[y.events["type"] != "red_line"].reset_index(drop=True)
        pd.testing.assert_frame_equal(x.events, logged)  # the red line is logged, read by none
        pd.testing.assert_frame_equal(x.talks, y.talks)


def test_sourced_red_lines_are_facts_and_unsourced_ones_are_not() -> None:
    data = _with_red_lines(_base())
    assert [f.path for f in non_facts(data)] == []
    del data["negotiation"]["red_lines"][0]["source"]
    data["negotiation"]["ratification"][0]["source"] = ""
    data["events"][-1]["by"] = None
    paths = [f.path for f in non_facts(data)]
    assert "negotiation.red_lines.0.at_least" in paths
    assert "negotiation.red_lines.1.exclude.0" not in paths
    assert "negotiation.ratification.0.by" in paths
    assert f"events.{len(data['events']) - 1}.at_most" in paths


@pytest.mark.parametrize(("change", "path"), [
    (lambda n, e: n["red_lines"][0].update(at_least=1.5), "negotiation.red_lines.0.at_least"),
    (lambda n, e: n["red_lines"][1].update(exclude=["partial"]),
     "negotiation.red_lines.1.exclude.0"),
    (lambda n, e: n["red_lines"][0].update(party="egypt"), "negotiation.red_lines.0.party"),
    (lambda n, e: n["red_lines"][0].update(issue="water"), "negotiation.red_lines.0.issue"),
    (lambda n, e: n["red_lines"][1].update(exclude=None, at_most=0.5),
     "negotiation.red_lines.1.at_most"),
    (lambda n, e: n["ratification"][0].update(party="egypt"),
     "negotiation.ratification.0.party"),
    (lambda n, e: e[-1].update(issue="water"), "events.13.issue"),
])
def test_a_red_line_that_does_not_fit_the_talks_is_located(change: Any, path: str) -> None:
    data = _with_red_lines(_base())
    change(data["negotiation"], data["events"])
    assert any(p.startswith(path) for p in _problems(data)), _problems(data)


@pytest.mark.parametrize("line", [
    {"party": "syria", "issue": "golan_withdrawal"},  # no bound
    {"party": "syria", "issue": "golan_withdrawal", "at_least": 0.5, "at_most": 0.9},
    {"party": "syria", "issue": "normalisation", "exclude": []},
])
def test_a_red_line_is_exactly_one_bound(line: dict[str, Any]) -> None:
    data = _with_red_lines(_base())
    data["negotiation"]["red_lines"] = [line]
    assert any(p.startswith("negotiation.red_lines.0") for p in _problems(data))


def test_red_line_fields_belong_to_red_line_events() -> None:
    data = _base()
    data["events"][0]["party"] = "syria"
    assert any(p.startswith("events.0") for p in _problems(data))


def test_a_set_that_switches_red_lines_on_gives_the_talks_its_sizes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((shared.SETS / "calibrated.yaml").read_text())
    data["structure"].update(mandates=True, red_lines=True)
    (tmp_path / "five.yaml").write_text(yaml.safe_dump(data))
    no_sizes = {k: v for k, v in data.items() if k != "red_lines"}
    (tmp_path / "nosizes.yaml").write_text(yaml.safe_dump(no_sizes))
    bad = {**data, "red_lines": {"relaxation": "fast"}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    monkeypatch.setattr(shared, "SETS", tmp_path)
    shared._read.cache_clear()
    try:
        doc = yaml.safe_load(CASE.read_text())
        sc = scenario_from_text(_text({**doc, "parameters": "five"}), source="case.yaml")
        assert sc.spec.negotiation is not None
        assert sc.spec.negotiation.win_sets is not None
        assert sc.spec.negotiation.win_sets.model_dump() == data["red_lines"]
        with pytest.raises(InputError, match="gives no red_lines"):
            scenario_from_text(_text({**doc, "parameters": "nosizes"}), source="case.yaml")
        with pytest.raises(InputError) as exc:
            shared.parameter_set("bad")
        assert any(p.path == "red_lines" for p in exc.value.problems)
    finally:
        shared._read.cache_clear()
