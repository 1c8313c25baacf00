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


def test_a_class_the_shipped_set_does_not_hold_lists_its_classes() -> None:
    with pytest.raises(InputError, match="has no channel class 'fax'") as err:
        scenario_from_text(CASE.replace("parameters: bykind", "parameters: pooled").replace(
            "class: hotline", "class: fax"), "k.yaml")
    assert "mission, official_talks, summit, secret_political, hotline" in str(err.value)


def test_the_shipped_sets_hold_the_same_values_by_kind() -> None:
    """The values by kind, the start and the talks' form are not fitted: the fitted set
    (calibrated) holds the pooled set's (docs/validity.md, "Cases hold facts")."""
    from diplosim.scenario.shared import parameter_set

    pooled, calibrated = parameter_set("pooled"), parameter_set("calibrated")
    for section in ("channels", "actors", "states", "start", "talks", "structure", "politics",
                    "stages", "red_lines"):
        assert calibrated[section] == pooled[section], section
    assert pooled["structure"] == {"mandates": False, "political_changes": False,
                                   "staged": False, "red_lines": False}


@pytest.mark.parametrize(("values", "n_open", "expected"), [
    ([1.0, 0.4, 0.2], 3, [0.2, 0.4, 1.0]),   # lowest open level first
    ([1.0, 0.4, 0.2], 2, [0.4, 1.0]),        # the top levels of a shorter ladder
    ([1.0, 0.4, 0.2], 1, [1.0]),
    ([1.0, 0.4, 0.2], 5, [0.2, 0.2, 0.2, 0.4, 1.0]),  # the lowest value repeated below
    (0.5, 4, 0.5),
])
def test_a_class_value_per_level_counts_from_the_top(values: object, n_open: int,
                                                      expected: object) -> None:
    from diplosim.scenario.shared import per_level

    assert per_level(values, n_open) == expected


def test_a_mission_ladder_takes_the_class_levels_from_the_top() -> None:
    sc = scenario_from_text(CASE.replace("parameters: bykind", "parameters: pooled").replace(
        "class: hotline\n", "class: mission\n    mission: true\n    ladder: [closed, "
        "interests_section, embassy]\n"), "k.yaml")
    kind = sc.spec.channels["line"]
    assert kind.close_threshold == [0.95, 0.78]
    assert kind.capacity == [0.4, 1.0]


TALKS = """\
negotiation:
  dyad: [A, B]
  session:
    issues:
      - {name: border, kind: continuous}
      - {name: trade, kind: discrete, values: [closed, open]}
    parties:
      - {name: A, ideal: {border: 1.0, trade: open}}
      - {name: B, ideal: {border: 0.0, trade: open}}
"""


def test_the_set_gives_the_start_and_the_talks_form() -> None:
    """A file of facts names the issues and what each side asked for; the set gives the start
    of tension and misperception, the talks' form, each party's reservation and strategy, and
    equal weights where a party gives none."""
    from diplosim.scenario.shared import parameter_set

    pooled = parameter_set("pooled")
    spec = scenario_from_text(CASE.replace("parameters: bykind", "parameters: pooled") + TALKS,
                              "k.yaml").spec
    assert spec.tension.initial == pooled["start"]["tension"]
    assert spec.tension.baseline == pooled["start"]["baseline"]
    assert spec.tension.misperception.initial == pooled["start"]["misperception"]
    talks = spec.negotiation
    assert talks is not None
    assert talks.rounds_per_year == pooled["talks"]["rounds_per_year"]
    assert (talks.session.protocol, talks.session.deadline) == ("alternating_offers", 12)
    for party in talks.session.parties:
        assert party.weights == {"border": 1.0, "trade": 1.0}
        assert party.reservation == pooled["talks"]["reservation"]
        assert (party.strategy.kind, party.strategy.e) == ("time_dependent", 1.0)
    own = TALKS.replace("{name: A, ideal", "{name: A, reservation: 0.5, ideal")
    with pytest.raises(InputError, match=r"negotiation\.session\.parties\.0\.reservation: the "
                       "parameter set 'pooled' gives this value"):
        scenario_from_text(CASE.replace("parameters: bykind", "parameters: pooled") + own,
                           "k.yaml")


def test_the_schema_names_the_shipped_classes() -> None:
    from diplosim.scenario.schema import ChannelKindSpec
    from diplosim.scenario.shared import parameter_set

    text = ChannelKindSpec.model_fields["class_"].description or ""
    named = text.split("the shipped sets: ")[1].split(")")[0].split(", ")
    assert named == list(parameter_set("pooled")["channels"])
