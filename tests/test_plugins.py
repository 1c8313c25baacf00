"""Plug-ins as installed packages (docs/extending.md): the registry, the located errors of a
missing or broken plug-in, the parameters' validation, overrides and rates, and a batch with
plug-ins active equal to its single runs, reproducibly."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.plugin_packages import SPOILERS, example_entry_points, example_plugins, registered
from tests.test_batch import batch_equals_single_runs, replications_equal_single_runs

from diplosim.cli import main
from diplosim.engine.model import DiplomacyModel
from diplosim.io.errors import InputError
from diplosim.plugins import PluginError, installed, load
from diplosim.results import replication_seeds
from diplosim.results.tables import simulate, simulate_tables
from diplosim.scenario import load_scenario, scenario_from_text, scenario_json_schema

__all__ = ["example_plugins"]  # the fixture, used by name


def test_the_registry_lists_the_installed_plugins_with_their_package(example_plugins: None,
                                                                    capsys) -> None:
    found = {(i.group, i.name): i for i in installed()}
    assert set(found) >= {("strategies", "stepwise"), ("events", "new_leader"),
                          ("dynamics", "spoilers")}
    assert found["dynamics", "spoilers"].package == "diplosim-example-plugins"
    assert found["dynamics", "spoilers"].version == "0.1.0"
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for text in ("strategies (diplosim.strategies)", "stepwise", "new_leader", "spoilers",
                 "diplosim-example-plugins 0.1.0", "attack_hazard", "<= 1.0",
                 "a hazard: per year with rates: per_year", "shift", "required"):
        assert text in out, text
    assert main(["plugins", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    spoilers = next(e for e in listed if e["name"] == "spoilers")
    assert spoilers["group"] == "diplosim.dynamics"
    assert spoilers["parameters"]["properties"]["strength"]["maximum"] == 1.0


def test_the_plugins_parameters_are_in_the_schema(example_plugins: None) -> None:
    schema = scenario_json_schema()
    spoilers = schema["properties"]["dynamics"]["properties"]["spoilers"]
    assert spoilers["properties"]["attack_hazard"]["unit"] == "hazard"
    names = {p["name"] for p in schema["x-diplosim-plugins"]}
    assert names >= {"stepwise", "new_leader", "spoilers"}


def test_the_example_scenario_runs_and_records_its_plugins(example_plugins: None) -> None:
    sc = load_scenario(SPOILERS)
    assert [p["name"] for p in sc.plugins] == ["spoilers", "new_leader", "stepwise"]
    assert {p["version"] for p in sc.plugins} == {"0.1.0"}
    # the hazard per year is converted to the month as a built-in hazard is
    assert sc.compiled.terms[0].values.attack_hazard == pytest.approx(  # type: ignore[attr-defined]
        1 - (1 - 0.9) ** (1 / 12))
    model = DiplomacyModel(sc, rng=3, collect=False)
    model.run()
    log = [e for e in model.recorder.log if e.type == "new_leader"]
    assert len(log) == 1
    assert log[0].target == "east"
    assert log[0].detail == "hawkishness 0.60 -> 0.30"
    assert model.hawkishness[0] == pytest.approx(0.3)
    spoilers = model.terms.terms[0][1]
    assert spoilers.attacks.sum() > 0  # type: ignore[attr-defined]


def test_a_term_changes_tension_only_where_and_as_it_says(example_plugins: None) -> None:
    """Spoilers with certain attacks: each step of talks raises tension by strength * (1 - T)
    on top of the built-in update; with no attacks the run is the run without the plug-in."""
    sc = load_scenario(SPOILERS)
    none = DiplomacyModel(sc.with_overrides({"dynamics.spoilers.attack_hazard": 0.0}), rng=5,
                          collect=False)
    none.run()
    text = SPOILERS.read_text().replace("dynamics:\n  spoilers: {attack_hazard: 0.9, "
                                        "strength: 0.15}\n", "")
    assert "\ndynamics:" not in text
    without = DiplomacyModel(scenario_from_text(text, "no_spoilers.yaml"), rng=5, collect=False)
    without.run()
    np.testing.assert_array_equal(none.recorder.tension, without.recorder.tension)
    some = DiplomacyModel(sc.with_overrides({"dynamics.spoilers.attack_hazard": 1.0}), rng=5,
                          collect=False)
    some.run()
    assert not np.array_equal(some.recorder.tension, none.recorder.tension)
    assert some.terms.terms[0][1].attacks.sum() > 0  # type: ignore[attr-defined]


VARIANTS = [
    {},
    {"dynamics.spoilers.strength": 0.6, "dynamics.spoilers.attack_hazard": 1.0},
    {"events.0.params.shift": 0.2, "negotiation.session.parties.0.strategy.params.step": 0.3},
    {"dynamics.spoilers.attack_hazard": 0.0,
     "negotiation.session.parties.0.strategy.params.patience": 1},
]


def test_a_batch_with_plugins_equals_its_single_runs(example_plugins: None) -> None:
    base = load_scenario(SPOILERS)
    batch_equals_single_runs(base, VARIANTS, "spoilers")  # the plug-ins' values matter too
    # the same plug-in values in every replication: each equals its single run too
    replications_equal_single_runs(base, replication_seeds(11, len(VARIANTS)), "spoilers")


def test_plugin_runs_are_reproducible(example_plugins: None) -> None:
    sc = load_scenario(SPOILERS)
    seeds = replication_seeds(3, 6)
    one = simulate_tables(sc, seeds, [str(s) for s in range(6)])
    two = simulate_tables(sc, seeds, [str(s) for s in range(6)])
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name], check_exact=True)


def test_a_missing_plugin_is_a_located_error_that_says_what_to_install(tmp_path: Path,
                                                                       capsys) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nrequires: [no-such-plugins>=1.2]\nstates: [{id: a}, {id: b}]\n"
        "dynamics:\n  rivalry: {strength: 0.2}\n"
        "events:\n  - {at: 3, type: coup, state: a, params: {shift: 0.1}}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "s.yaml, line 5: dynamics.rivalry: no dynamics term 'rivalry' is built in or " \
        "installed" in err
    assert "pip install no-such-plugins>=1.2" in err
    assert "s.yaml, line 7: events.0.type: no event type 'coup'" in err
    assert "'shock'" in err  # the built-in types are listed
    assert "Traceback" not in err


def test_a_typo_of_a_builtin_event_type_suggests_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="did you mean 'shock'"):
        scenario_from_text("name: s\nstates: [{id: a}, {id: b}]\nevents:\n"
                           "  - {at: 1, type: shok, dyad: [a, b], magnitude: 0.1}\n", "s.yaml")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("attack_hazard: 0.9", "attack_hazard: 1.5", ["line 58: dynamics.spoilers.attack_hazard",
                                                  "allowed: <= 1.0"]),
    ("strength: 0.15}", "strength: 0.15, fury: 2}", ["line 58: dynamics.spoilers.fury",
                                                     "unknown field 'fury'"]),
    ("params: {shift: -0.3}", "params: {}", ["line 60: events.0.params.shift",
                                             "this field is required"]),
    ("type: new_leader, state: east,", "type: new_leader,", ["line 60: events.0:",
                                                              "a new_leader event needs state"]),
    ("params: {step: 0.05, patience: 3}", "params: {step: 0, patience: 3}",
     ["negotiation.session.parties.0.strategy.params.step", "allowed: > 0.0"]),
    ("strategy: {kind: stepwise,", "strategy: {kind: stepwise, e: 0.2,",
     ["parties.0.strategy.e", "takes no 'e'"]),
    ("strategy: {kind: linear}", "strategy: {kind: linear, params: {step: 1}}",
     ["parties.1.strategy.params", "takes no params"]),
    ("protocol: alternating_offers", "protocol: monotonic_concession",
     ["strategy 'stepwise' cannot play monotonic_concession"]),
])
def test_bad_plugin_values_are_located_errors(example_plugins: None, tmp_path: Path,
                                              old: str, new: str, expected: list[str]) -> None:
    text = SPOILERS.read_text()
    assert old in text
    path = tmp_path / "spoilers.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    for part in expected:
        assert part in str(exc.value), (part, str(exc.value))


def test_overrides_reach_a_plugins_parameters_and_are_checked(example_plugins: None) -> None:
    sc = load_scenario(SPOILERS, {"dynamics.spoilers.strength": 0.4})
    assert sc.compiled.terms[0].values.strength == 0.4  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=r"dynamics\.spoilers\.strength.*\(set by --set\)"):
        load_scenario(SPOILERS, {"dynamics.spoilers.strength": 4})
    with pytest.raises(InputError, match="unknown field 'fury'"):
        load_scenario(SPOILERS, {"dynamics.spoilers.fury": 1})


BROKEN = '''
import numpy as np
from diplosim.plugins import Dynamics


class NotATerm:
    pass


class Raises(Dynamics):
    def tension(self, now, draws):
        raise RuntimeError("the spoilers ran away")


class WrongShape(Dynamics):
    def tension(self, now, draws):
        return np.zeros(3)
'''


@pytest.mark.parametrize(("name", "expected"), [
    ("missing", "cannot be loaded from no_such_module:Term: ModuleNotFoundError"),
    ("not_a_term", "is broken: broken_terms:NotATerm is not a subclass of "
                   "diplosim.plugins.interfaces.Dynamics"),
    ("raises", "failed: RuntimeError: the spoilers ran away"),
    ("wrong_shape", "returned a tension change of shape (3,)"),
])
def test_a_broken_plugin_is_an_error_that_names_it(tmp_path: Path, monkeypatch, capsys,
                                                   name: str, expected: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "broken_terms.py").write_text(BROKEN)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\nsteps: 3\nstates: [{{id: a}}, {{id: b}}]\n"
                        f"dynamics:\n  {name}: {{}}\n")
    points = {"diplosim.dynamics": {
        "missing": "no_such_module:Term", "not_a_term": "broken_terms:NotATerm",
        "raises": "broken_terms:Raises", "wrong_shape": "broken_terms:WrongShape"}}
    with registered(tmp_path / "site", monkeypatch, "broken-terms", "0.0.1", points,
                    tmp_path / "src"):
        status = main(["run", str(scenario), "--reps", "2", "--out", str(tmp_path / "out"),
                       "--no-plots", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert expected in err
    assert "broken-terms 0.0.1" in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_plugin_registered_twice_is_an_error(tmp_path: Path, monkeypatch) -> None:
    points = {"diplosim.dynamics": {"twice": "diplosim.plugins:Dynamics"}}
    with (registered(tmp_path / "one", monkeypatch, "pkg-one", "1.0", points),
          registered(tmp_path / "two", monkeypatch, "pkg-two", "1.0", points),
          pytest.raises(PluginError, match="2 installed packages register the dynamics term "
                        "'twice'")):
        load("dynamics", "twice", object)


def test_library_scenarios_name_no_plugins() -> None:
    for path in sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml")):
        sc = load_scenario(path)
        assert sc.plugins == [], path.name
        assert sc.compiled.terms == (), path.name


def test_the_stepwise_strategy_concedes_as_documented(example_plugins: None) -> None:
    from diplosim.negotiation import parse_session, run_session

    plan = parse_session(
        "protocol: alternating_offers\ndeadline: 40\nresolution: 101\n"
        "issues: [{name: x}]\nparties:\n"
        "  - {name: a, weights: {x: 1}, ideal: {x: 1.0}, strategy: {kind: stepwise, "
        "params: {step: 0.1, patience: 2}}}\n"
        "  - {name: b, weights: {x: 1}, ideal: {x: 0.0}, strategy: {kind: stepwise, "
        "params: {step: 0.1, patience: 2}}}\n", "s.yaml")
    result = run_session(plan)
    assert [p["name"] for p in (i.record() for i in plan.plugins)] == ["stepwise"]
    # both ask 1.0, 1.0, 0.9, 0.9, 0.8, ...: the demands cross at 0.5 by round 10
    assert result.agreed
    assert result.agreement_round is not None
    assert result.agreement_round <= 10
    assert math.isclose(sum(result.utilities), 1.0, abs_tol=0.02)


PUSH = '''
from typing import ClassVar

from pydantic import Field

from diplosim.plugins import Dynamics, Parameters, Rate


class PushParameters(Parameters):
    push: Rate = Field(0.0, description="Tension added per step, times (1 - T).")


class Push(Dynamics):
    """A constant push on tension: dT = push * (1 - T)."""

    Parameters: ClassVar[type[Parameters]] = PushParameters

    def tension(self, now, draws):
        return self.values.push * (1.0 - now.tension)
'''


@pytest.mark.slow
def test_a_plugins_parameter_is_fitted_like_any_other(tmp_path: Path, monkeypatch,
                                                      capsys) -> None:
    """calibrate --fit with a prior on a dynamics term's parameter: the fit's simulator (the
    rupture template's mission levels, engine.batch.mission_levels_many) runs the term, and the
    posterior narrows the prior."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "push_terms.py").write_text(PUSH)
    root = Path(__file__).resolve().parents[1]
    template = tmp_path / "template.yaml"
    template.write_text((root / "scenarios" / "us_ruptures.yaml").read_text()
                        + "dynamics:\n  push: {push: 0.0}\n")
    points = {"diplosim.dynamics": {"push": "push_terms:Push"}}
    with registered(tmp_path / "site", monkeypatch, "push-terms", "0.1", points,
                    tmp_path / "src"):
        status = main(["calibrate", "--fit", "--template", str(template), "--prior",
                       "dynamics.push.push=0:0.2", "--population", "20", "--generations", "2",
                       "--episodes", "40", "--backend", "serial", "--seed", "3",
                       "--out", str(tmp_path / "fit")])
    out = capsys.readouterr().out
    assert status == 0, out
    posterior = pd.read_parquet(tmp_path / "fit" / "posterior.parquet")
    assert "dynamics.push.push" in posterior.columns
    assert posterior["dynamics.push.push"].min() >= 0.0
    assert posterior["dynamics.push.push"].max() <= 0.2
    assert "dynamics.push.push" in out


ULTIMATUM = '''
from diplosim.negotiation import Session
from diplosim.negotiation.context import ProtocolKind
from diplosim.negotiation.trace import EndReason


class Ultimatum(Session):
    """One offer, take it or leave it: the first party proposes once; the other accepts or the
    talks end (its offers follow alternating offers' rules, so its strategies may play it)."""

    kind = ProtocolKind.ALTERNATING_OFFERS
    max_parties = 2

    def _round(self):
        offer = self._offer(0)
        if self._respond(1, offer.deal):
            self._agree(offer.deal)
        else:
            self._end(EndReason.CONFLICT)
'''


def test_a_protocol_plugin_runs_in_a_session_and_in_a_scenarios_talks(tmp_path: Path,
                                                                      monkeypatch) -> None:
    from diplosim.negotiation import parse_session, run_session

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ultimatum.py").write_text(ULTIMATUM)
    points = {"diplosim.protocols": {"ultimatum": "ultimatum:Ultimatum"}}
    session = ("protocol: ultimatum\ndeadline: 10\nissues: [{name: x}]\nparties:\n"
               "  - {name: a, weights: {x: 1}, ideal: {x: 1.0}, strategy: {kind: %s}}\n"
               "  - {name: b, weights: {x: 1}, ideal: {x: 0.0}, reservation: 0.2, "
               "strategy: {kind: conceder}}\n")
    root = Path(__file__).resolve().parents[1]
    with registered(tmp_path / "site", monkeypatch, "ultimatum", "1.0", points,
                    tmp_path / "src"):
        greedy = run_session(parse_session(session % "boulware", "s.yaml"))
        # a boulware proposer asks for everything: below b's reservation, refused, talks end
        assert not greedy.agreed
        assert greedy.reason == "conflict"
        assert greedy.rounds == 1
        plan = parse_session(session % "linear", "s.yaml")
        assert [i.name for i in plan.plugins] == ["ultimatum"]
        with pytest.raises(InputError, match="strategy 'zeuthen' cannot play"):
            parse_session(session % "zeuthen", "s.yaml")
        text = (root / "scenarios" / "track2_transfer.yaml").read_text().replace(
            "protocol: alternating_offers", "protocol: ultimatum")
        scenario = scenario_from_text(text, "track2_ultimatum.yaml")
        assert [p["name"] for p in scenario.plugins] == ["ultimatum"]
        tables = simulate(scenario, rng=4)
        assert len(tables.talks) >= 1
        assert set(tables.talks["rounds"]) == {1}  # every talks: one offer
    with pytest.raises(InputError, match="no negotiation protocol 'ultimatum'"):
        parse_session(session % "linear", "s.yaml")


def test_the_registrys_builtin_names_are_the_builtins() -> None:
    from diplosim.negotiation.context import ProtocolKind
    from diplosim.negotiation.session import STRATEGY_KINDS
    from diplosim.plugins import BUILTIN
    from diplosim.scenario.schema import EventType

    builtins = {"strategies": STRATEGY_KINDS, "protocols": tuple(k.value for k in ProtocolKind),
                "events": tuple(t.value for t in EventType), "dynamics": ()}
    assert builtins == BUILTIN


CLASHES = {"diplosim.strategies": {"tit_for_tat": "diplosim_example_plugins.strategies:Stepwise"},
           "diplosim.events": {"shock": "diplosim_example_plugins.events:NewLeader"},
           "diplosim.protocols": {"alternating_offers": "diplosim.negotiation:AlternatingOffers"}}


def test_a_plugin_named_like_a_builtin_is_refused_when_installed(tmp_path: Path, monkeypatch,
                                                                 capsys) -> None:
    from diplosim.negotiation import Strategy

    with registered(tmp_path / "site", monkeypatch, "clash-plugins", "1.0", CLASHES,
                    Path(__file__).resolve().parents[1] / "examples" / "plugins" / "src"):
        assert main(["plugins"]) == 2
        captured = capsys.readouterr()
        for kind, name in (("negotiation strategy", "tit_for_tat"), ("event type", "shock"),
                           ("negotiation protocol", "alternating_offers")):
            both = (f"the built-in {kind} {name!r} and the {kind} {name!r} (clash-plugins "
                    "1.0) have one name")
            assert both in captured.err, captured.err
            assert both in captured.out  # listed as refused
        assert "refused: " in captured.out
        assert "pip uninstall clash-plugins" in captured.err
        assert main(["plugins", "--json"]) == 2
        listed = json.loads(capsys.readouterr().out)
        assert all(e["refused"] for e in listed)
        with pytest.raises(PluginError, match=re.escape(
                "the built-in negotiation strategy 'tit_for_tat' and the negotiation strategy "
                "'tit_for_tat' (clash-plugins 1.0)")):
            load("strategies", "tit_for_tat", Strategy)
        problems = {p["name"]: p.get("problem", "") for p in
                    scenario_json_schema()["x-diplosim-plugins"]}
        assert "have one name" in problems["shock"]


@pytest.mark.parametrize(("group", "old", "new", "expected"), [
    ("diplosim.strategies", "strategy: {kind: linear}", "strategy: {kind: tit_for_tat}",
     ["line 71: negotiation.session.parties.1.strategy.kind: the built-in negotiation strategy "
      "'tit_for_tat' and the negotiation strategy 'tit_for_tat' (clash-plugins 1.0)"]),
    ("diplosim.strategies", "strategy: {kind: linear}",
     "strategy: {kind: tit_for_tat, params: {step: 0.1}}",
     ["line 71: negotiation.session.parties.1.strategy.kind: the built-in negotiation strategy "
      "'tit_for_tat' and the negotiation strategy 'tit_for_tat' (clash-plugins 1.0)"]),
    ("diplosim.events", "type: new_leader, state: east,",
     "type: shock, dyad: [east, west], magnitude: 0.1,",
     ["line 60: events.0: the built-in event type 'shock' and the event type 'shock' "
      "(clash-plugins 1.0)"]),
    ("diplosim.protocols", "protocol: alternating_offers", "protocol: alternating_offers",
     ["line 64: negotiation.session.protocol: the built-in negotiation protocol "
      "'alternating_offers' and the negotiation protocol 'alternating_offers'"]),
])
def test_a_scenario_naming_a_builtin_that_a_plugin_also_registers_is_refused(
        tmp_path: Path, monkeypatch, group: str, old: str, new: str,
        expected: list[str]) -> None:
    """The built-in would run in silence where the author meant the plug-in: refused, naming
    both, wherever the scenario names it (with the plug-in's params: not 'takes no params')."""
    text = SPOILERS.read_text()
    assert old in text
    path = tmp_path / "spoilers.yaml"
    path.write_text(text.replace(old, new, 1))
    points = example_entry_points()
    points[group] = {**points.get(group, {}), **CLASHES[group]}
    with registered(tmp_path / "site", monkeypatch, "clash-plugins", "1.0", points,
                    SPOILERS.parents[1] / "src"), pytest.raises(InputError) as exc:
        load_scenario(path)
    for part in expected:
        assert part in str(exc.value), (part, str(exc.value))
    assert "takes no params" not in str(exc.value)
    assert "has no params" not in str(exc.value)


BLOCK_STYLE = """      - name: east
        weights: {territory: 1}
        ideal: {territory: 1.0}
        reservation: 0.3
        strategy:
          kind: stepwise
          params:
            patience: 3
            step: 0
"""


@pytest.mark.parametrize("style", ["flow", "block", "--set"])
def test_a_plugin_strategys_parameter_error_is_at_the_values_own_line(
        example_plugins: None, tmp_path: Path, capsys, style: str) -> None:
    text = SPOILERS.read_text()
    flow = next(line for line in text.splitlines(keepends=True) if "kind: stepwise" in line)
    path = tmp_path / "spoilers.yaml"
    overrides = []
    if style == "flow":
        text = text.replace("params: {step: 0.05, patience: 3}", "params: {step: 0, patience: 3}")
    elif style == "block":
        text = text.replace(flow, BLOCK_STYLE)
    else:
        overrides = ["--set", "negotiation.session.parties.0.strategy.params.step=0"]
    path.write_text(text)
    lines = text.splitlines()
    mark = "            step: 0" if style == "block" else "kind: stepwise"  # the value's line
    line = 1 + next(i for i, x in enumerate(lines) if x.startswith(mark) or mark in x)
    session = 1 + lines.index("  session:")
    assert line != session
    assert main(["validate", str(path), *overrides]) == 2
    err = capsys.readouterr().err
    assert f"line {line}: negotiation.session.parties.0.strategy.params.step: Input should be " \
        "greater than 0" in err, err
    if style == "--set":
        assert "(set by --set)" in err


def test_the_docs_show_the_example_packages_files_as_they_are() -> None:
    """docs/extending.md shows the example package's files in plain fenced blocks (readable on
    a code host), each under a comment naming the file: they must be the files as they are."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "extending.md").read_text(encoding="utf-8")
    shown = re.findall(r"<!-- (examples/\S+) -->\n```\w+\n(.*?)```", text, re.S)
    package = root / "examples" / "plugins"
    files = {"examples/plugins/pyproject.toml"} | {
        str(p.relative_to(root)) for p in (package / "src").rglob("*.py")
        if p.name != "__init__.py"}
    assert {path for path, _ in shown} == files
    for path, code in shown:
        assert code == (root / path).read_text(encoding="utf-8"), (
            f"docs/extending.md shows {path} otherwise than it is: copy the file into its block")
    assert "literalinclude" not in text
