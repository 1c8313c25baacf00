"""Shared parameter sets (``parameters: NAME``): the set fills the dynamics, the file keeps the
facts; values the set holds are set in a file only with a reason; shock sizes come by kind;
``parameters.*`` overrides change the set; every bad use is a located error (exit 2)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from diplosim.cli import main
from diplosim.io.errors import InputError
from diplosim.scenario import load_scenario, scenario_from_text
from diplosim.scenario.rates import YEARS_PER_STEP
from diplosim.scenario.shared import SHARED_PATHS, available, parameter_set

ROOT = Path(__file__).resolve().parents[1]
REAL_CASES = ("us_cuba", "us_iran", "oslo_1993", "camp_david_1978", "india_pakistan",
              "us_china_track15", "russia_west_expulsions", "northern_ireland_nine_tracks")

CASE = """\
name: shared_case
time_unit: month
start: 2000-01-01
steps: 24
parameters: pooled
{extra}
states: [{{id: A}}, {{id: B}}]
actors:
  list:
    - {{id: a_dip, state: A, kind: diplomat, tracks: ["1"]}}
    - {{id: b_dip, state: B, kind: diplomat, tracks: ["1"]}}
channels:
  embassy:
    track: "1"
    mission: true
    links: [{{id: emb, between: [a_dip, b_dip]}}]
tension:
  # the start values come from the set
  regime_change: 0.0
{tension}
events:
  - {{at: 2000-03-01, type: shock, dyad: [A, B], {shock}, label: a crisis}}
"""


def case(extra: str = "", tension: str = "", shock: str = "kind: crisis") -> str:
    return CASE.format(extra=extra, tension=tension, shock=shock)


def test_every_real_case_takes_the_dynamics_from_a_shipped_set() -> None:
    for name in REAL_CASES:
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert scenario.spec.parameters in available(), name
        assert scenario.spec.rates == "per_year", name
        # every exception is stated with its reason
        assert all(reason.strip() for reason in scenario.spec.case_specific.values()), name


def test_the_set_fills_every_shared_value_and_the_shock_size() -> None:
    pooled = parameter_set("pooled")
    spec = scenario_from_text(case()).spec
    assert spec.rates == "per_year"
    assert spec.tension.drift == pooled["tension"]["drift"]
    assert spec.tension.misperception.learning == pooled["tension"]["misperception"]["learning"]
    assert spec.tension.initial == pooled["start"]["tension"]  # the set's, by default
    assert spec.tension.regime_change == 0.0  # what the set does not hold stays the file's
    assert spec.events[0].magnitude == pooled["shocks"]["crisis"]
    assert spec.events[0].kind == "crisis"


def test_the_set_is_converted_to_the_step_like_any_per_year_rate() -> None:
    scenario = scenario_from_text(case())
    drift = parameter_set("pooled")["tension"]["drift"]
    got = scenario.compiled.step.tension.drift
    assert got == pytest.approx(-math.expm1(-drift * YEARS_PER_STEP["month"]))


def test_a_value_the_set_holds_is_refused_without_a_reason() -> None:
    with pytest.raises(InputError) as err:
        scenario_from_text(case(tension="  drift: 0.3"), source="case.yaml")
    text = str(err.value)
    assert "case.yaml, line 20: tension.drift: the parameter set 'pooled' gives this value" in text
    assert "case_specific" in text


def test_a_stated_exception_is_kept() -> None:
    text = case(extra='case_specific: {tension.drift: "slower here, see the header"}',
                tension="  drift: 0.3")
    assert scenario_from_text(text).spec.tension.drift == 0.3


def test_a_shock_magnitude_needs_a_reason_and_a_kind_must_be_known() -> None:
    with pytest.raises(InputError, match=r"events\.0\.magnitude: shock sizes come from"):
        scenario_from_text(case(shock="magnitude: 0.2"))
    stated = case(extra="case_specific: {events.0.magnitude: the largest crisis of the era}",
                  shock="magnitude: 0.5")
    assert scenario_from_text(stated).spec.events[0].magnitude == 0.5
    with pytest.raises(InputError) as err:
        scenario_from_text(case(shock="kind: earthquake"))
    assert "events.0.kind: a shock takes its size from its kind" in str(err.value)
    assert "war, war_abroad, crisis" in str(err.value)


def test_kind_without_a_set_says_what_to_do() -> None:
    text = case(shock="kind: war").replace("parameters: pooled\n", "")
    with pytest.raises(InputError, match="takes its size from a parameter set"):
        scenario_from_text(text)


def test_case_specific_may_name_any_value_the_file_gives_that_is_not_a_fact() -> None:
    """tension.regime_change is not in the set but is not a fact either: the file may keep it
    with its reason (diplosim validate --facts then counts it as named)."""
    scenario_from_text(case(extra="case_specific: {tension.regime_change: 'why (a source)'}"))


@pytest.mark.parametrize(("extra", "words"), [
    ("case_specific: {tension.drift: why}", "names a value the file does not give"),
    ("rates: per_step", "a shared parameter set gives rates per year"),
])
def test_bad_exceptions_are_located(extra: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        scenario_from_text(case(extra=extra))


def test_an_unknown_set_is_refused_with_the_names_shipped(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(case().replace("parameters: pooled", "parameters: tuned"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-plots", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "line 5: parameters: no such parameter set" in err
    assert "pooled" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_parameters_overrides_change_the_set_before_it_is_merged() -> None:
    base = scenario_from_text(case())
    changed = base.with_overrides({"parameters.tension.drift": 2.0,
                                   "parameters.shocks.crisis": 0.05})
    assert changed.spec.tension.drift == 2.0
    assert changed.spec.events[0].magnitude == 0.05
    assert base.spec.tension.drift != 2.0  # the shipped set itself is unchanged
    with pytest.raises(InputError, match="not a value of the parameter set"):
        base.with_overrides({"parameters.tension.baseline": 0.2})
    plain = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    with pytest.raises(InputError, match="need a scenario with parameters"):
        plain.with_overrides({"parameters.tension.drift": 1.0})


def test_every_shipped_set_is_complete() -> None:
    for name in available():
        pset = parameter_set(name)
        for path in SHARED_PATHS:
            cur = pset
            for part in path.split("."):
                cur = cur[part]
            assert isinstance(cur, int | float), (name, path)
        assert pset["shocks"], name


@pytest.mark.parametrize(("replace", "by", "where"), [
    ("events:\n  - {at: 2000-03-01, type: shock, dyad: [A, B], kind: crisis, label: a crisis}",
     "events: true", "line 21: events: must be a list of events"),
    ("events:\n  - {at: 2000-03-01, type: shock, dyad: [A, B], kind: crisis, label: a crisis}",
     "events: 5", "line 21: events: must be a list of events"),
    ("tension:\n  # the start values come from the set\n  regime_change: 0.0\n", "tension: 5\n",
     "line 17: tension: must be a mapping"),
    ("tension:\n  # the start values come from the set\n  regime_change: 0.0\n",
     "tension:\n  regime_change: 0.0\n  misperception: [1, 2]\n",
     "line 19: tension.misperception: must be a mapping"),
    ("kind: crisis, label: a crisis}", "kind: [], label: a crisis}",  # found by the fuzzer
     "line 22: events.0.kind: must be text"),
    ("type: shock, dyad", "type: [], dyad",  # found by the fuzzer too
     "line 22: events.0.type"),
])
def test_a_section_of_the_wrong_shape_is_located_before_the_set_is_merged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], replace: str, by: str,
        where: str) -> None:
    """A file naming a set whose events are not a list (or whose sections holding shared
    values are not mappings) is an input error, exit 2, never an internal error (the fuzzer
    found ``events: true`` ending in a TypeError)."""
    text = case()
    assert replace in text
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(replace, by))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert where in err
    assert "internal error" not in err
    assert "Traceback" not in err
