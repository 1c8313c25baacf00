"""Dated political changes (structure 3 of docs/validity.md; docs/model.md 3.5): a change of a
state's hawkishness at a dated fact, sized by its kind from the parameter set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.parameter_sets import pooled_with

from diplosim.engine.model import DiplomacyModel
from diplosim.io.errors import InputError
from diplosim.scenario import scenario_from_text
from diplosim.scenario.shared import parameter_set

CASE = """\
name: politics
time_unit: month
start: 2000-01-01
steps: 12
{parameters}states: [{{id: A}}, {{id: B}}]
events:
  - {{at: 2000-04-01, type: political_change, state: A, {size}label: new leader}}
"""


def run(text: str) -> DiplomacyModel:
    model = DiplomacyModel(scenario_from_text(text, "politics.yaml"), rng=1, collect=False)
    model.run()
    return model


def test_a_political_change_moves_the_states_hawkishness_at_its_date() -> None:
    model = run(CASE.format(parameters="", size="change: -0.2, "))
    assert model.hawkishness[0] == pytest.approx(0.3)
    entry = next(e for e in model.recorder.log if e.type == "political_change")
    assert entry.step == 4
    assert entry.target == "A"
    assert entry.detail == "change: hawkishness 0.500 -> 0.300"
    # clipped to [0, 1]; the dyad's mean hawkishness follows (escalation reads it)
    high = run(CASE.format(parameters="", size="change: 0.9, "))
    assert high.hawkishness[0] == 1.0
    assert high.tension.hawkishness[0] == pytest.approx(0.75)


@pytest.fixture
def a_set_with_politics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pooled set with sizes of political changes by kind, as a shipped set."""
    sizes = {"new_leader_conciliatory": -0.15, "sanctions_imposed": 0.05}
    with pooled_with("withpolitics", {"politics": sizes, "structure": {
            "mandates": False, "political_changes": True}}, tmp_path / "sets", monkeypatch):
        yield


def test_with_a_set_the_kind_sizes_the_change(a_set_with_politics: None) -> None:
    text = CASE.format(parameters="parameters: withpolitics\n",
                       size="kind: new_leader_conciliatory, ")
    assert run(text).hawkishness[0] == pytest.approx(0.35)
    tuned = scenario_from_text(text, "politics.yaml",
                               {"parameters.politics.new_leader_conciliatory": -0.4})
    model = DiplomacyModel(tuned, rng=1, collect=False)
    model.run()
    assert model.hawkishness[0] == pytest.approx(0.1)
    with pytest.raises(InputError, match="a political change takes its size from its "
                       "kind"):
        scenario_from_text(text.replace("new_leader_conciliatory", "coup"), "politics.yaml")
    with pytest.raises(InputError, match="political change sizes come from the parameter set"):
        scenario_from_text(text.replace("kind: new_leader_conciliatory, ", "change: -0.3, "),
                           "politics.yaml")


def test_a_set_without_politics_says_so(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = CASE.format(parameters="parameters: nopolitics\n", size="kind: sanctions_imposed, ")
    with pooled_with("nopolitics", {"politics": None}, tmp_path / "sets", monkeypatch), \
            pytest.raises(InputError, match=r"the set has no politics"):
        scenario_from_text(text, "politics.yaml")


def test_the_structure_without_political_changes_keeps_hawkishness() -> None:
    """The shipped sets hold the sizes but switch the structure off (docs/validity.md): a
    change of a known kind then moves nothing; an unknown kind is still refused."""
    text = CASE.format(parameters="parameters: pooled\n", size="kind: conciliatory_leader, ")
    assert run(text).hawkishness[0] == 0.5
    on = scenario_from_text(text, "politics.yaml", {"parameters.structure.political_changes": 1})
    model = DiplomacyModel(on, rng=1, collect=False)
    model.run()
    assert model.hawkishness[0] == pytest.approx(0.5 + parameter_set("pooled")["politics"][
        "conciliatory_leader"])
    with pytest.raises(InputError, match="a political change takes its size from its kind"):
        scenario_from_text(text.replace("conciliatory_leader", "coup"), "politics.yaml")
    with pytest.raises(InputError, match="takes its size from a parameter set"):
        scenario_from_text(CASE.format(parameters="", size="kind: sanctions_imposed, "),
                           "politics.yaml")
