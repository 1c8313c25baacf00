"""Experiment files: designs are what they claim, and bad input is refused before any run."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplosim.experiment import build_design, experiment_from_text, load_experiment, run_seed
from diplosim.io.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "mission_closure.yaml"

BASE = """\
name: t
scenario: {scenario}
parameters:
{parameters}
design: {design}
replications: 2
seed: 3
steps: 90
outcomes:
  - {{name: continuity, metric: continuity_during_closure, aggregate: value}}
"""

BC = "  - {path: channels.backchannel.close_threshold, name: bc, low: 0.85, high: 0.99"
HL = "  - {path: channels.hotline.close_threshold, name: hl, low: 0.8, high: 0.95"


def text(parameters: str, design: str, scenario: Path = SCENARIO) -> str:
    return BASE.format(scenario=scenario, parameters=parameters, design=design)


def exp(parameters: str, design: str, check: bool = True):  # type: ignore[no-untyped-def]
    return experiment_from_text(text(parameters, design), "exp.yaml", ROOT, check=check)


def test_grid_is_the_full_product_of_values_and_levels() -> None:
    e = exp(BC + ", levels: 3}\n" + HL + ", values: [0.8, 0.9]}", "{kind: grid}")
    d = build_design(e.spec)
    assert len(d) == 6
    expected = list(itertools.product([0.85, 0.92, 0.99], [0.8, 0.9]))
    got = list(zip(d.points["bc"], d.points["hl"], strict=True))
    assert np.allclose(np.array(got), np.array(expected))
    assert d.overrides(5) == {"channels.backchannel.close_threshold": 0.99,
                              "channels.hotline.close_threshold": 0.9}


def test_lhs_is_stratified_reproducible_and_in_bounds() -> None:
    params = (BC + "}\n" + HL + "}\n"
              "  - {path: channels.workshop.generate.0.count, name: ws, type: integer, "
              "low: 1, high: 4}\n"
              "  - {path: channels.hotline.noise, name: noise, type: categorical, "
              "values: [0.0, 0.03]}")
    e = exp(params, "{kind: lhs, points: 20}")
    a, b = build_design(e.spec), build_design(e.spec)
    assert a.points.equals(b.points)
    bc = a.points["bc"].to_numpy()
    assert ((bc >= 0.85) & (bc <= 0.99)).all()
    # one point per stratum of each axis (Latin hypercube)
    strata = np.floor((bc - 0.85) / (0.14 / 20)).astype(int).clip(0, 19)
    assert sorted(strata) == list(range(20))
    assert set(a.points["ws"]) == {1, 2, 3, 4}
    assert set(a.points["noise"]) == {0.0, 0.03}


def test_sobol_design_has_n_times_2d_plus_2_points_and_a_salib_problem() -> None:
    e = exp(BC + "}\n" + HL + "}", "{kind: sobol, points: 8}")
    d = build_design(e.spec)
    assert len(d) == 8 * (2 * 2 + 2)
    assert d.problem == {"num_vars": 2, "names": ["bc", "hl"],
                         "bounds": [[0.85, 0.99], [0.8, 0.95]]}
    first_order_only = exp(BC + "}\n" + HL + "}",
                           "{kind: sobol, points: 8, second_order: false}")
    assert len(build_design(first_order_only.spec)) == 8 * (2 + 2)


def test_morris_design_moves_one_parameter_per_step_on_the_grid() -> None:
    e = exp(BC + "}\n" + HL + "}", "{kind: morris, points: 5, levels: 4}")
    d = build_design(e.spec)
    assert len(d) == 5 * 3
    x = d.points.to_numpy()
    for t in range(5):
        steps = np.diff(x[3 * t: 3 * t + 3], axis=0)
        assert ((np.abs(steps) > 1e-12).sum(axis=1) == 1).all()
    unit = (x - [0.85, 0.8]) / [0.14, 0.15]
    assert np.allclose(unit * 3, np.round(unit * 3))  # on the 4-level grid


def test_normal_distribution_is_truncated_to_the_bounds() -> None:
    e = exp("  - {path: channels.backchannel.close_threshold, name: bc, low: 0.85, high: 0.99, "
            "distribution: {kind: normal, mean: 0.9, sd: 0.05}}", "{kind: lhs, points: 200}")
    bc = build_design(e.spec).points["bc"].to_numpy()
    assert bc.min() >= 0.85
    assert bc.max() <= 0.99
    assert abs(np.median(bc) - 0.9) < 0.01


def test_list_design_takes_points_by_path_or_name() -> None:
    e = exp(BC + "}\n" + HL + "}",
            "{kind: list, points: [{bc: 0.9, hl: 0.85}, "
            "{channels.backchannel.close_threshold: 0.95, hl: 0.9}]}")
    d = build_design(e.spec)
    assert d.points.to_dict("list") == {"bc": [0.9, 0.95], "hl": [0.85, 0.9]}


def test_run_seeds_are_spawned_by_point_then_replication() -> None:
    child = np.random.SeedSequence(7).spawn(4)[2].spawn(3)[1]
    assert run_seed(7, 2, 1).generate_state(4).tolist() == child.generate_state(4).tolist()
    assert run_seed(7, 2, 1).generate_state(2).tolist() != run_seed(7, 1, 2).generate_state(
        2).tolist()


@pytest.mark.parametrize(("parameters", "design", "needles"), [
    ("  - {path: channels.backchanel.close_threshold, low: 0.85, high: 0.99, levels: 2}",
     "{kind: grid}", ["line 4", "parameters.0.path", "backchanel"]),
    ("  - {path: channels.backchannel.close_threshold, low: 0.99, high: 0.85, levels: 2}",
     "{kind: grid}", ["line 4", "parameters.0", "low must be below high"]),
    ("  - {path: channels.backchannel.close_threshold, low: 0.5, high: 0.99, levels: 2}",
     "{kind: grid}", ["line 4", "reopen_threshold", "0.5"]),
    (BC + "}", "{kind: grid}", ["a grid needs values or levels"]),
    (BC + "}", "{kind: sobol, points: 10}", ["design", "power of two", "10"]),
    (BC + "}", "{kind: lhs}", ["design", "needs points"]),
    (BC + "}", "{kind: factorial}", ["design.kind", "factorial", "grid"]),
    ("  - {path: channels.hotline.noise, type: categorical, values: [0.0, 0.1]}",
     "{kind: sobol, points: 8}", ["need real parameters"]),
    (BC + ", levels: 2, lvls: 3}", "{kind: grid}", ["parameters.0.lvls", "did you mean 'levels'"]),
    (BC + "}", "{kind: list, points: [{bc: 0.9}, {xx: 1}]}", ["design.points.1", "xx"]),
])
def test_bad_experiments_are_refused_with_a_located_message(
        parameters: str, design: str, needles: list[str]) -> None:
    with pytest.raises(InputError) as info:
        exp(parameters, design)
    message = str(info.value)
    assert message.startswith("exp.yaml")
    for needle in needles:
        assert needle in message, (needle, message)


def test_unknown_metric_and_missing_scenario(tmp_path: Path) -> None:
    bad_metric = text(BC + ", levels: 2}", "{kind: grid}").replace(
        "continuity_during_closure", "continuity")
    with pytest.raises(InputError, match=r"outcomes\.0\.metric: unknown metric"):
        experiment_from_text(bad_metric, "exp.yaml", ROOT)
    f = tmp_path / "e.yaml"
    f.write_text(text(BC + ", levels: 2}", "{kind: grid}", scenario=Path("nowhere.yaml")))
    with pytest.raises(InputError, match="line 2: scenario: no such scenario file"):
        load_experiment(f)


@pytest.mark.parametrize(("remaining", "workers"), [(1, 1), (7, 2), (500, 2), (10_000, 16)])
def test_guided_chunks_cover_every_run_and_shrink_towards_the_end(remaining: int,
                                                                  workers: int) -> None:
    from diplosim.experiment.sweep import MAX_CHUNK, MIN_CHUNK, chunk_sizes, chunks_of

    sizes = list(chunk_sizes(remaining, workers))
    assert sum(sizes) >= remaining
    assert all(MIN_CHUNK <= s <= MAX_CHUNK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    chunks = list(chunks_of(iter(range(remaining)), chunk_sizes(remaining, workers)))
    assert [r for c in chunks for r in c] == list(range(remaining))
    assert list(chunk_sizes(7, 2, fixed=3)) == [3, 3, 3]


@settings(max_examples=200)
@given(st.lists(st.integers(1, 120), min_size=1, max_size=12), st.integers(1, 16),
       st.integers(1, 40))
def test_chunks_by_point_keep_batches_large(points: list[int], workers: int, least: int) -> None:
    from diplosim.experiment.sweep import RunSpec, chunk_sizes, chunks_by_point

    runs = [RunSpec(run_id=i, point_id=p, replication=k, overrides={})
            for i, (p, k) in enumerate((p, k) for p, n in enumerate(points) for k in range(n))]
    chunks = list(chunks_by_point(iter(runs), chunk_sizes(len(runs), workers), least))
    assert [r for c in chunks for r in c] == runs  # every run once, in order
    for chunk in chunks:
        for point, piece in itertools.groupby(chunk, key=lambda r: r.point_id):
            n = len(list(piece))
            assert n >= least or n == points[point], (point, n)  # or the whole point


def test_one_run_points_share_chunks() -> None:
    """Points of one run each (a design of many points) fill chunks together, so their runs
    share the batch axis, instead of a chunk each."""
    from diplosim.experiment.sweep import MIN_CHUNK, RunSpec, chunk_sizes, chunks_by_point

    runs = [RunSpec(run_id=i, point_id=i, replication=0, overrides={}) for i in range(1000)]
    chunks = list(chunks_by_point(iter(runs), chunk_sizes(len(runs), 2)))
    assert [r for c in chunks for r in c] == runs
    assert all(len(c) >= MIN_CHUNK for c in chunks[:-1])
    assert len(chunks) < 1000 // MIN_CHUNK + 2
