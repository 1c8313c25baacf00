"""A set's values by kind (docs/validity.md, "Cases hold facts"): a channel kind names its class
and takes the class's dynamics from the set; actors and states take their kind's values; a file
that sets one needs a case_specific reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.parameter_sets import pooled_with

from diplosim.io.errors import InputError
from diplosim.scenario import scenario_from_text
from diplosim.scenario.facts import non_facts

BY_KIND = {
    "channels": {"hotline": {"close_threshold": 0.95, "reopen_threshold": 0.6, "noise": 0.1,
                             "secrecy": 0.0, "capacity": 0.5, "tension_effect": 2.0,
                             "perception_effect": 0.5}},
    "actors": {"envoy": {"access": 0.9, "openness": 0.3, "rigidity": 0.7, "credibility": 0.6}},
    "states": {"hawkishness": 0.4, "audience_cost": 0.3},
}

CASE = """\
name: kinds
time_unit: month
start: 2000-01-01
steps: 12
parameters: bykind
states: [{id: A}, {id: B}]
actors:
  list:
    - {id: a, state: A, kind: envoy, tracks: ["1"]}
    - {id: b, state: B, kind: envoy, tracks: ["1"]}
channels:
  line:
    class: hotline
    track: "1"
    links: [{id: line, between: [a, b]}]
"""


@pytest.fixture
def by_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with pooled_with("bykind", BY_KIND, tmp_path / "sets", monkeypatch):
        yield


def test_a_file_of_facts_takes_its_dynamics_from_the_set_by_kind(by_kind: None) -> None:
    sc = scenario_from_text(CASE, "kinds.yaml")
    kind = sc.spec.channels["line"]
    assert (kind.close_threshold, kind.reopen_threshold, kind.noise) == (0.95, 0.6, 0.1)
    assert (kind.capacity, kind.tension_effect, kind.perception_effect) == (0.5, 2.0, 0.5)
    assert [a.access for a in sc.spec.actors.listed] == [0.9, 0.9]
    assert [a.rigidity for a in sc.spec.actors.listed] == [0.7, 0.7]
    assert [s.hawkishness for s in sc.spec.states] == [0.4, 0.4]
    assert sc.compiled.audience_cost.tolist() == [0.3, 0.3]
    import yaml

    assert non_facts(yaml.safe_load(CASE)) == []  # the file holds facts only


def test_a_value_the_set_gives_by_kind_needs_a_reason(by_kind: None) -> None:
    text = CASE.replace("    class: hotline\n", "    class: hotline\n    noise: 0.3\n")
    with pytest.raises(InputError, match=r"channels\.line\.noise: the parameter set 'bykind' "
                       r"gives this value by kind \(hotline\)"):
        scenario_from_text(text, "kinds.yaml")
    kept = text.replace("parameters: bykind\n",
                        "parameters: bykind\ncase_specific: {channels.line.noise: why}\n")
    assert scenario_from_text(kept, "kinds.yaml").spec.channels["line"].noise == 0.3


def test_an_unknown_class_lists_the_sets_classes(by_kind: None) -> None:
    with pytest.raises(InputError, match="has no channel class 'fax'") as err:
        scenario_from_text(CASE.replace("class: hotline", "class: fax"), "kinds.yaml")
    assert "allowed: hotline" in str(err.value)


def test_a_class_needs_a_set_that_holds_classes() -> None:
    with pytest.raises(InputError, match="has no channel class 'hotline'"):
        scenario_from_text(CASE.replace("parameters: bykind", "parameters: pooled"), "k.yaml")


def test_the_shipped_sets_hold_no_values_by_kind_yet() -> None:
    """Until they do, the library's cases keep their own values (docs/validity.md)."""
    from diplosim.scenario.shared import BY_KIND as SECTIONS
    from diplosim.scenario.shared import available, parameter_set

    for name in available():
        assert not set(parameter_set(name)) & set(SECTIONS), name
