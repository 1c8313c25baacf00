"""Session files: loading, every kind of bad input with its message, and the CLI end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diplosim.io.errors import InputError
from diplosim.negotiation import (
    build_session,
    load_session,
    parse_session,
    run_session,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "negotiation").glob("*.yaml"))

GOOD = """\
name: pie
protocol: alternating_offers
deadline: 20
seed: 4
first: beta
issues:
  - {name: share, kind: continuous, low: 0, high: 1}
  - {name: border, kind: discrete, values: [old, shared, new]}
parties:
  - name: alpha
    weights: {share: 1, border: 0.5}
    ideal: {share: 1, border: new}
    discount: 0.9
    strategy: {kind: boulware, e: 0.3}
  - name: beta
    weights: {share: 1, border: 0.5}
    ideal: {share: 0}
    scores: {border: {old: 1, shared: 0.5, new: 0}}
    reservation: 0.1
    strategy: {kind: conceder}
"""


def bad(old: str, new: str) -> InputError:
    text = GOOD.replace(old, new, 1)
    assert text != GOOD, f"{old!r} not in the template"
    with pytest.raises(InputError) as info:
        parse_session(text, source="s.yaml")
    return info.value


def test_good_session_loads_into_library_objects() -> None:
    plan = parse_session(GOOD, source="s.yaml")
    assert plan.space.names == ("share", "border")
    assert [p.name for p in plan.parties] == ["alpha", "beta"]
    assert plan.first == 1
    assert plan.parties[0].strategy.e == pytest.approx(0.3)  # type: ignore[attr-defined]
    assert plan.parties[1].strategy.e == pytest.approx(5.0)  # type: ignore[attr-defined]
    assert plan.parties[1].utility.reservation == pytest.approx(0.1)
    a = run_session(plan)
    b = run_session(plan)
    assert a.trace == b.trace  # same file, same seed
    assert a.trace[0].party == "beta"
    s = build_session(plan, seed=9)
    while not s.done:
        s.step()
    assert s.result().rounds <= 20


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_runs(path: Path) -> None:
    res = run_session(load_session(path))
    assert res.rounds >= 1
    if res.agreed:
        for u, p in zip(res.utilities, load_session(path).parties, strict=True):
            assert u >= p.utility.reservation - 1e-9


def test_examples_cover_every_protocol() -> None:
    kinds = {load_session(p).spec.protocol for p in EXAMPLES}
    assert len(kinds) == 4


def test_rubinstein_example_matches_closed_form() -> None:
    res = run_session(load_session(ROOT / "examples/negotiation/rubinstein_pie.yaml"))
    assert res.rounds == 1
    assert res.utilities[0] == pytest.approx(0.2 / 0.28, abs=1e-9)


def test_zeuthen_example_ends_at_the_nash_point() -> None:
    res = run_session(load_session(ROOT / "examples/negotiation/zeuthen_border.yaml"))
    assert res.agreed
    assert res.deal == res.nash_deal


# -- bad files: each message names the file, the line, the path, the value, what is allowed ----


def test_unknown_key_suggests_the_right_one() -> None:
    err = bad("deadline: 20", "deadlin: 20")
    msg = str(err)
    assert "s.yaml, line 3: deadlin: unknown field 'deadlin' (did you mean 'deadline'?)" in msg
    assert "deadline: this field is required" in msg


def test_unknown_protocol_lists_the_allowed_ones() -> None:
    msg = str(bad("protocol: alternating_offers", "protocol: haggling"))
    assert "s.yaml, line 2: protocol:" in msg
    assert "value: 'haggling'" in msg
    assert "'monotonic_concession'" in msg
    assert "'single_text'" in msg


def test_discount_out_of_range() -> None:
    msg = str(bad("discount: 0.9", "discount: 1.5"))
    assert "s.yaml, line 13: parties.0.discount:" in msg
    assert "value: 1.5" in msg
    assert "allowed: <= 1" in msg


def test_weight_on_an_unknown_issue() -> None:
    msg = str(bad("weights: {share: 1, border: 0.5}", "weights: {shar: 1, border: 0.5}"))
    assert "s.yaml, line 11: parties.0.weights.shar: unknown issue 'shar'" in msg
    assert "(did you mean 'share'?)" in msg
    assert "allowed: share, border" in msg


def test_strategy_the_protocol_cannot_play() -> None:
    msg = str(bad("strategy: {kind: conceder}", "strategy: {kind: zeuthen}"))
    assert "s.yaml, line 20: parties.1.strategy.kind: strategy 'zeuthen' cannot play " in msg
    assert "alternating_offers" in msg
    assert "allowed: time_dependent, boulware, linear, conceder, tit_for_tat, rubinstein" in msg


def test_three_parties_in_a_bilateral_protocol() -> None:
    third = (
        "  - {name: gamma, weights: {share: 1}, ideal: {share: 0.5}, strategy: {kind: linear}}\n"
    )
    msg = str(bad("  - name: beta\n", third + "  - name: beta\n"))
    assert (
        "s.yaml, line 9: parties: alternating_offers is bilateral: it needs exactly 2 parties"
        in msg
    )
    assert "value: ['alpha', 'gamma', 'beta']" in msg


def test_ideal_point_outside_the_issue() -> None:
    msg = str(bad("ideal: {share: 1, border: new}", "ideal: {share: 1, border: newer}"))
    assert "parties.0.ideal.border: ideal point outside the issue" in msg
    assert "value: 'newer'" in msg
    assert "allowed: old, shared, new" in msg
    msg = str(bad("ideal: {share: 0}", "ideal: {share: 2}"))
    assert "s.yaml, line 17: parties.1.ideal.share" in msg
    assert "allowed: a number in [0.0, 1.0]" in msg


def test_weighted_issue_without_ideal_point() -> None:
    msg = str(bad("ideal: {share: 0}", "ideal: {}"))
    assert "parties.1.ideal: issue 'share' has a weight but no ideal point" in msg


def test_parameter_for_a_strategy_that_takes_none() -> None:
    text = GOOD.replace("strategy: {kind: conceder}", "strategy: {kind: tit_for_tat, e: 2}")
    with pytest.raises(InputError, match=r"parties\.1\.strategy\.e: strategy 'tit_for_tat'"):
        parse_session(text, source="s.yaml")


def test_mediator_outside_single_text() -> None:
    msg = str(bad("seed: 4\n", "seed: 4\nmediator: {step: 0.2}\n"))
    assert "s.yaml, line 5: mediator: a mediator is only for single_text" in msg


def test_first_must_name_a_party() -> None:
    msg = str(bad("first: beta", "first: betta"))
    assert "s.yaml, line 5: first: unknown party 'betta' (did you mean 'beta'?)" in msg


def test_discrete_issue_without_values_and_repeated_names() -> None:
    msg = str(
        bad(
            "{name: border, kind: discrete, values: [old, shared, new]}",
            "{name: border, kind: discrete}",
        )
    )
    assert "issues.1.values: a discrete issue needs a list of values" in msg
    msg = str(bad("  - name: beta\n", "  - name: alpha\n"))
    assert "parties.1.name: repeated party name" in msg


def test_rubinstein_without_discounting() -> None:
    text = (
        GOOD.replace("strategy: {kind: boulware, e: 0.3}", "strategy: {kind: rubinstein}")
        .replace("strategy: {kind: conceder}", "strategy: {kind: rubinstein}")
        .replace("    discount: 0.9\n", "")
    )
    with pytest.raises(InputError, match="rubinstein play needs a discount below 1"):
        parse_session(text, source="s.yaml")


def test_yaml_syntax_error_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"s\.yaml, line \d+: YAML syntax error"):
        parse_session("protocol: [unclosed\n", source="s.yaml")
    with pytest.raises(InputError, match="no such file"):
        load_session(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="top level must be a mapping"):
        parse_session("- a\n- b\n", source="s.yaml")


# -- the command line ---------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplosim", "negotiate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_json_end_to_end() -> None:
    proc = cli("examples/negotiation/rubinstein_pie.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["agreed"] is True
    assert out["rounds"] == 1
    assert out["seed"] == 1
    assert out["utilities"]["alpha"] == pytest.approx(0.2 / 0.28, abs=1e-9)
    assert out["deal"]["share"] == pytest.approx(0.2 / 0.28, abs=1e-9)
    assert out["distance_to_nash"] == pytest.approx(((0.2 / 0.28 - 0.5) ** 2 * 2) ** 0.5, abs=1e-9)
    assert "trace" not in out


def test_cli_table_seed_and_trace() -> None:
    proc = cli("examples/negotiation/camp_david.yaml", "--seed", "5", "--trace")
    assert proc.returncode == 0, proc.stderr
    assert "protocol single_text, seed 5" in proc.stdout
    for word in ("agreed", "rounds", "egypt", "israel", "distance to Nash", "step"):
        assert word in proc.stdout
    js = cli("examples/negotiation/camp_david.yaml", "--seed", "5", "--json", "--trace")
    out = json.loads(js.stdout)
    assert out["trace"][0]["party"] == "mediator"
    assert out["seed"] == 5


def test_cli_bad_file_exits_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("deadline: 20", "deadline: 0"), encoding="utf-8")
    proc = cli(str(path))
    assert proc.returncode == 2
    assert f"error: {path}, line 3: deadline:" in proc.stderr
    assert "Traceback" not in proc.stderr
