"""Which values of a case file are facts (docs/validity.md): the classifier and the report of
``diplosim validate --facts``."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplosim.cli import main
from diplosim.scenario.facts import is_fact, non_facts

ROOT = Path(__file__).resolve().parents[1]

CASE = """\
name: case
time_unit: month
start: 2000-01-01
steps: 24
parameters: pooled
case_specific:
  channels.talks.close_threshold: "the line held through two wars (Smith 2001, p. 3)"
states:
  - {id: A, capability: 2.0, capability_source: "CINC (COW NMC v6.0), 2000"}
  - {id: B, capability: 1.0}
actors:
  list:
    - {id: a1, state: A, kind: negotiator, tracks: ["1"], access: 0.9}
    - {id: b1, state: B, kind: negotiator, tracks: ["1"]}
channels:
  talks:
    track: "1"
    close_threshold: 0.9
    reopen_threshold: 0.5
    links:
      - {id: line, between: [a1, b1], level: 0}
dyads:
  - {states: [A, B], baseline: 0.6}
events:
  - {at: 2000-06-01, type: set_level, channels: {ids: [line]}, level: 1, label: opened}
"""


def test_facts_are_who_what_when_and_sources() -> None:
    doc = {"states": [{"id": "A", "capability": 2.0, "capability_source": "CINC 2000"},
                      {"id": "B", "capability": 1.0}]}
    for path in ("name", "start", "states.0.id", "actors.list.3.tracks.0",
                 "channels.hotline.ladder.2", "channels.mission.links.4.between.1",
                 "events.2.at", "events.2.kind", "negotiation.session.issues.0.high",
                 "negotiation.session.parties.1.name", "case_specific.tension.initial"):
        assert is_fact(path, doc), path
    for path in ("channels.hotline.close_threshold", "channels.x.capacity.1",
                 "actors.list.0.access", "actors.generate.0.openness", "tension.initial",
                 "states.0.hawkishness", "events.3.magnitude", "dyads.0.baseline",
                 "negotiation.session.parties.0.reservation", "negotiation.ripeness.hurting",
                 "dynamics.spoilers.strength"):
        assert not is_fact(path, doc), path
    assert is_fact("states.0.capability", doc)  # its source is named
    assert not is_fact("states.1.capability", doc)


def test_non_facts_carry_their_case_specific_reason() -> None:
    import yaml

    found = {n.path: n for n in non_facts(yaml.safe_load(CASE))}
    assert set(found) == {"states.1.capability", "dyads.0.baseline",
                          "actors.list.0.access", "channels.talks.close_threshold",
                          "channels.talks.reopen_threshold"}
    assert found["channels.talks.close_threshold"].reason.startswith("the line held")
    assert found["channels.talks.reopen_threshold"].reason is None


def test_validate_facts_lists_what_is_not_named_and_fails(tmp_path: Path, capsys) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    assert main(["validate", str(path)]) == 0  # a valid scenario
    capsys.readouterr()
    assert main(["validate", "--facts", str(path)]) == 2
    out = capsys.readouterr().out
    assert "5 values set are not facts of the case: 1 named in case_specific, 4 not" in out
    assert "line 10: states.1.capability = 1.0" in out
    assert "(case_specific: the line held through two wars" in out
    named = CASE.replace('  channels.talks.close_threshold: "the line held through two wars '
                         '(Smith 2001, p. 3)"\n',
                         "  channels.talks: the kind's ladder as observed (Smith 2001)\n"
                         "  states.1: capability coded by hand (Smith 2001)\n"
                         "  dyads.0: a friendlier pair than most (Smith 2001)\n"
                         "  actors.list.0.access: the envoy was the leader's brother\n")
    path.write_text(named)
    assert main(["validate", "--facts", str(path)]) == 0
    assert "0 not" in capsys.readouterr().out


def test_a_case_specific_entry_must_name_a_value_the_file_gives(tmp_path: Path,
                                                                capsys) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE.replace("channels.talks.close_threshold:", "channels.talks.noise:"))
    assert main(["validate", str(path)]) == 2
    assert "case_specific.channels.talks.noise: case_specific names a value the file does not " \
        "give" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["oslo_1993", "us_cuba", "mission_closure"])
def test_the_library_cases_are_reported(name: str, capsys) -> None:
    main(["validate", "--facts", str(ROOT / "scenarios" / f"{name}.yaml")])
    out = capsys.readouterr().out
    if name == "mission_closure":  # no parameter set: a stylised scenario, not a case file
        assert "not a case file" in out
    else:  # the header says how many values are not facts; the report lists as many
        count = int(out.split("facts: ")[1].split(" values")[0])
        header = (ROOT / "scenarios" / f"{name}.yaml").read_text()
        assert f"{count} values that are not facts" in header
        assert out.count("\n  line ") == count


def test_the_test_cases_hold_facts_only_and_match_the_rules(capsys) -> None:
    """The held-out cases (docs/validity.md): each file sets no value that is not a fact, and
    the outcome registered for it is the one the rules fixed before any fit."""
    import datetime as dt
    import re

    from diplosim.analysis.cases import TEST_CASES

    rules = (ROOT / "docs" / "validity.md").read_text(encoding="utf-8")
    table = (rules[rules.index("**Test cases**"):rules.index("At least six of the nine")]
             + rules[rules.index("**The new test cases**"):
                     rules.index("Each of the new cases is scored")])
    fixed = re.findall(r"\| (\d{4}-\d\d-\d\d) – (\d{4}-\d\d-\d\d) \| (\d{4}-\d\d-\d\d|none)", table)
    assert len(fixed) == len(TEST_CASES) >= 15
    for case, (first, _last, outcome) in zip(TEST_CASES, fixed, strict=True):
        path = ROOT / "scenarios" / f"{case.name}.yaml"
        assert main(["validate", "--facts", str(path)]) == 0, case.name
        out = capsys.readouterr().out
        assert "facts: 0 values set are not facts" in out, case.name
        assert case.agreement == (None if outcome == "none" else dt.date.fromisoformat(outcome))
        # the file starts at the span's start (a monthly file on day 28 at the latest)
        start = dt.date.fromisoformat(path.read_text().split("\nstart: ")[1][:10])
        assert 0 <= (dt.date.fromisoformat(first) - start).days <= 3, case.name
