"""Replications as an array axis (diplosim.engine.batch.Batch) equal single runs exactly.

Replication r of a batch must give the very tables `simulate(scenario, rng=seeds[r])` gives —
for every scenario of the library (talks, dated events, baselines drawn per dyad, regime
changes, many states) — and `run --reps` and sweeps, which use batches, the numbers of single
runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplosim.engine.batch import Batch
from diplosim.experiment.design import run_seed
from diplosim.experiment.outcomes import compute_outcomes
from diplosim.experiment.runner import Chunk, RunContext, RunSpec, run_chunk, simulate_outcomes
from diplosim.experiment.spec import OutcomeSpec
from diplosim.io.errors import InputError
from diplosim.results.replicate import replication_seeds, seed_label
from diplosim.results.tables import (
    TABLES,
    RunResult,
    batch_size,
    collect,
    simulate,
    simulate_many,
)
from diplosim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
LONG = {"us_ruptures", "us_ruptures_calibrated"}  # 960 monthly steps: fewer steps here


def scenario_of(path: Path):  # type: ignore[no-untyped-def]
    overrides = {"steps": 240} if path.stem in LONG else {}
    return load_scenario(path, overrides)


def replications_equal_single_runs(scenario: Scenario, seeds: list[Any], label: str,
                                   variants: list[Scenario] | None = None) -> list[RunResult]:
    """Run ``seeds`` replications of ``scenario`` (each under its own of ``variants``, if
    given) as one batch; each replication's tables equal its single run's, exactly. The
    replications' tables, in order."""
    batch = Batch(scenario, seeds, variants)
    batch.run()
    tables = []
    for r, seed in enumerate(seeds):
        single = simulate(scenario if variants is None else variants[r], rng=seed)
        got = collect(batch.replication(r), seed=seed)
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(single, table), getattr(got, table),
                                          check_exact=True, obj=f"{label} {r} {table}")
        tables.append(got)
    return tables


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_replication_equals_its_single_run(path: Path) -> None:
    replications_equal_single_runs(scenario_of(path), replication_seeds(7, 3), path.stem)


def test_a_batch_of_one_and_int_seeds() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    batch = Batch(scenario, [42])
    batch.run()
    single = simulate(scenario, rng=42)
    pd.testing.assert_frame_equal(single.dyads, collect(batch.replication(0)).dyads)
    assert batch.replication(0).recorder.n == batch.replication(0).recorder.n  # repeatable


def test_simulate_many_splits_into_batches_without_changing_results(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import diplosim.results.tables as results

    scenario = load_scenario(ROOT / "scenarios" / "oslo_1993.yaml")
    seeds = replication_seeds(3, 5)
    monkeypatch.setattr(results, "batch_size", lambda sc, steps=None, most=256: 2)
    sizes: list[int] = []
    many = simulate_many(scenario, seeds, on_batch=sizes.append)
    assert sizes == [2, 2, 1]
    for seed, got in zip(seeds, many, strict=True):
        pd.testing.assert_frame_equal(simulate(scenario, rng=seed).events, got.events)


def test_batch_size_shrinks_for_large_records() -> None:
    small = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    assert batch_size(small) == 256
    long = load_scenario(ROOT / "scenarios" / "expulsions_multistate.yaml",
                         {"steps": 100_000})
    assert 1 <= batch_size(long) < 256


def test_sweep_chunks_give_the_outcomes_of_single_runs() -> None:
    scenario_path = ROOT / "scenarios" / "mission_closure.yaml"
    outcomes = (OutcomeSpec(name="continuity", metric="continuity_during_closure",
                            aggregate="value"),
                OutcomeSpec(name="peak", metric="tension", aggregate="max"),
                OutcomeSpec(name="agreements", metric="agreements", aggregate="value"))
    context = RunContext(scenario_text=scenario_path.read_text(),
                         scenario_source=str(scenario_path), steps=156, outcomes=outcomes,
                         root_seed=5)
    runs = tuple(RunSpec(run_id=i, point_id=i // 4, replication=i % 4,
                         overrides={"channels.backchannel.close_threshold": 0.9 + 0.05 * (i // 4)})
                 for i in range(8))
    result = run_chunk(Chunk(context, runs))
    for row, run in zip(result.rows, runs, strict=True):
        values, _ = simulate_outcomes(context, run.overrides,
                                      run_seed(5, run.point_id, run.replication))
        assert row["status"] == "ok"
        for name, value in values.items():
            assert row[name] == value or (np.isnan(row[name]) and np.isnan(value)), name


def test_outcomes_of_a_replication_view() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "us_cuba.yaml")
    seeds = replication_seeds(1, 2)
    batch = Batch(scenario, seeds)
    batch.run()
    from diplosim.engine.model import DiplomacyModel

    spec = [OutcomeSpec(name="first", metric="first_agreement", aggregate="value")]
    for r, seed in enumerate(seeds):
        model = DiplomacyModel(scenario, rng=seed, collect=False)
        model.run()
        assert compute_outcomes(batch.replication(r), spec) == compute_outcomes(model, spec)


@pytest.mark.parametrize("rows", [None, 2])
def test_streams_drawn_ahead_are_the_numbers_of_step_by_step_calls(
        rows: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from diplosim.engine import streams

    def generators() -> list[np.random.Generator]:
        return [np.random.default_rng(s) for s in (1, 2, 3)]

    plain = streams.Streams(generators(), 5)
    ahead = streams.Streams(generators(), 5, ahead=4)
    for _ in range(11):  # refills after steps 4 and 8
        np.testing.assert_array_equal(plain.random(15, rows=rows), ahead.random(15, rows=rows))
    monkeypatch.setattr(streams, "AHEAD_BYTES", 8 * 3 * 5)  # room for one step at a time
    small = streams.Streams(generators(), 5, ahead=4)
    plain = streams.Streams(generators(), 5)
    for _ in range(3):
        np.testing.assert_array_equal(plain.standard_normal(15), small.standard_normal(15))


def test_streams_refuse_another_call_while_numbers_drawn_ahead_wait() -> None:
    from diplosim.engine.streams import Streams

    s = Streams([np.random.default_rng(1), np.random.default_rng(2)], 3, ahead=8)
    s.standard_normal(6)
    with pytest.raises(RuntimeError, match="one kind of call"):
        s.random(6)
    with pytest.raises(RuntimeError, match="one kind of call"):
        s.beta(np.ones(2), np.ones(2), np.array([0, 3]))


# Per-replication values: each replication of a batch under its own numbers (a posterior's draw,
# a sweep's design point, a fit's particle) equals the single run of its own scenario exactly.
VARIED = {
    "oslo_1993": [  # talks: the set's dynamics, ripeness, talks, channels, actors, states
        {},
        {"parameters.tension.drift": 1.5, "parameters.tension.noise": 0.08,
         "parameters.negotiation.ripeness.way_out": 0.6,
         "parameters.negotiation.ripeness.hurting": 0.3, "parameters.negotiation.cooldown": 0.1,
         "parameters.tension.audience_cost_weight": 0.4},
        {"channels.oslo_track1.close_threshold": 0.6, "channels.oslo_track1.reopen_threshold": 0.5,
         "channels.fafo_track2.perception_effect": 6.0, "channels.oslo_track15.capacity": 0.2,
         "actors.list.0.access": 0.6, "actors.list.3.openness": 0.1},
        {"states.0.capability": 0.5, "states.1.hawkishness": 0.9, "states.0.audience_cost": 0.1,
         "negotiation.session.parties.0.reservation": 0.6,
         "parameters.negotiation.power_weight": 0.8, "tension.initial": 0.4,
         "parameters.tension.misperception.transfer": 25.0},
        {"parameters.structure.staged": True, "parameters.stages.rate": 3.0},  # staged talks
    ],
    "us_cuba": [  # missions, dated shocks by kind, durability
        {},
        {"parameters.shocks.crisis": 0.6, "parameters.shocks.attack": 0.05,
         "parameters.tension.deescalation": 4.0,
         "parameters.negotiation.durability.base_hazard": 0.5},
        {"parameters.tension.misperception.learning": 0.2, "tension.baseline": 0.2,
         "parameters.negotiation.ripeness.band": 0.01},
    ],
    "us_ruptures": [  # per-step rates, drawn baselines, regime changes
        {"steps": 240},
        {"steps": 240, "tension.baseline_concentration": 40.0, "tension.regime_change": 0.05,
         "tension.drift": 0.3, "channels.mission.close_threshold.1": 0.5},
        {"steps": 240, "tension.noise": 0.01, "tension.baseline": 0.8},
    ],
}


def batch_equals_single_runs(base: Scenario, overrides: list[dict[str, Any]],
                             label: str) -> list[RunResult]:
    """A batch of ``base``'s variants (one per override set) run at once: each replication's
    tables equal its variant's single run, exactly, and the values matter (each replication's
    tension differs from the first's). The replications' tables, in order."""
    variants = [base.with_overrides(o) for o in overrides]
    seeds = replication_seeds(11, len(variants))
    tables = replications_equal_single_runs(base, seeds, label, variants)
    for r in range(1, len(variants)):
        assert not tables[r].dyads["tension"].equals(tables[0].dyads["tension"]), r
    return tables


@pytest.mark.parametrize("name", sorted(VARIED))
def test_each_replication_under_its_own_values_equals_its_single_run(name: str) -> None:
    base = load_scenario(ROOT / "scenarios" / f"{name}.yaml", VARIED[name][0])
    tables = batch_equals_single_runs(base, VARIED[name], name)
    if name == "oslo_1993":  # which channels move and whether talks agree change with them
        agreed = [bool(t.summary["agreements"].sum()) for t in tables]
        assert len(set(agreed)) == 2, agreed
        changes = [len(t.level_changes) for t in tables]
        assert len(set(changes)) > 1, changes


def test_replications_of_another_structure_get_a_batch_of_their_own() -> None:
    from diplosim.engine.batch import group_by_structure

    base = load_scenario(ROOT / "scenarios" / "oslo_1993.yaml")
    numbers = base.with_overrides({"parameters.tension.noise": 0.1})
    other = base.with_overrides({"parameters.tension.noise": 0.0})  # draws no tension noise
    fewer = base.with_overrides({"actors.list.2.access": 0.6})  # now reaches its government
    with pytest.raises(InputError, match="replication 1 differs from the batch's scenario"):
        Batch(base, [1, 2], [base, other])
    variants = [base, other, numbers, fewer, base]
    assert group_by_structure(variants) == [[0, 2, 4], [1], [3]]
    seeds = replication_seeds(5, len(variants))
    many = simulate_many(base, seeds, variants=variants)
    for seed, variant, got in zip(seeds, variants, many, strict=True):
        pd.testing.assert_frame_equal(simulate(variant, rng=seed).dyads, got.dyads,
                                      check_exact=True)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_tables_built_per_batch_equal_the_replications_tables_stacked(path: Path) -> None:
    """simulate_tables builds each table for a whole batch from its arrays: the very frames
    (values, dtypes, order) that stacking collect() of each replication gives."""
    from diplosim.results.runset import combine
    from diplosim.results.tables import simulate_tables

    scenario = scenario_of(path)
    seeds = replication_seeds(13, 3)
    labels = [seed_label(s) for s in seeds]
    stacked = combine(simulate_many(scenario, seeds), labels)
    built = simulate_tables(scenario, seeds, labels)
    assert sorted(built) == sorted(stacked)
    for name, frame in stacked.items():
        pd.testing.assert_frame_equal(frame, built[name], check_exact=True, obj=name)


def test_tables_of_variants_of_two_structures_come_back_in_replication_order() -> None:
    from diplosim.results.runset import combine
    from diplosim.results.tables import simulate_tables

    base = load_scenario(ROOT / "scenarios" / "oslo_1993.yaml")
    other = base.with_overrides({"parameters.tension.noise": 0.0})  # a batch of its own
    variants = [other, base, other, base.with_overrides({"tension.initial": 0.5})]
    seeds = replication_seeds(17, len(variants))
    labels = [seed_label(s) for s in seeds]
    stacked = combine(simulate_many(base, seeds, variants=variants), labels)
    built = simulate_tables(base, seeds, labels, variants=variants)
    for name, frame in stacked.items():
        pd.testing.assert_frame_equal(frame, built[name], check_exact=True, obj=name)
    assert list(dict.fromkeys(built["dyads"]["replication"])) == [0, 1, 2, 3]


def test_a_lean_batch_records_what_a_fit_reads_unchanged() -> None:
    """lean=True (a fit's batches) records connected and the talks' records only: those equal
    the full batch's, bit for bit, and the rest is left 0 or empty."""
    scenario = load_scenario(ROOT / "scenarios" / "northern_ireland_nine_tracks.yaml")
    seeds = replication_seeds(19, 3)
    full, lean = Batch(scenario, seeds), Batch(scenario, seeds, lean=True)
    full.run()
    lean.run()
    np.testing.assert_array_equal(full.recorder.connected, lean.recorder.connected)
    assert full.recorder.n == lean.recorder.n
    for r in range(len(seeds)):
        a, b = full.replication(r), lean.replication(r)
        assert a.talks is not None
        assert b.talks is not None
        assert json.dumps(a.talks.records, default=str) == json.dumps(b.talks.records, default=str)
        assert len(a.recorder.change_step) > 1
        assert [len(x) for x in b.recorder.change_step] == [0]  # step 0's empty entry only
    for name in ("tension", "misperception", "flow", "mission_closed", "redundancy", "open"):
        assert not getattr(lean.recorder, name).any(), name
    assert all(getattr(full.recorder, name).any() for name in ("tension", "redundancy", "open"))
    assert [len(x) for x in full.logs] == [len(x) for x in lean.logs]


def test_tables_per_batch_where_some_replications_hold_no_talks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Replications without talks rows beside ones with (seed 5: two of three hold talks), in
    several batches: the stacked tables come out as stacking each replication's does — an empty
    table's untyped columns make the stacked columns untyped (object), and so the same bytes."""
    import diplosim.results.tables as results
    from diplosim.results.runset import combine
    from diplosim.results.tables import simulate_tables

    scenario = load_scenario(ROOT / "scenarios" / "mission_closure.yaml")
    seeds = replication_seeds(5, 5)
    labels = [seed_label(s) for s in seeds]
    stacked = combine(simulate_many(scenario, seeds), labels)
    counts = stacked["talks"].groupby("replication").size()
    assert 0 < len(counts) < len(seeds)  # some replications hold talks, some none
    for size in (256, 2):
        monkeypatch.setattr(results, "batch_size", lambda sc, steps=None, most=256, n=size: n)
        built = simulate_tables(scenario, seeds, labels)
        for name, frame in stacked.items():
            pd.testing.assert_frame_equal(frame, built[name], check_exact=True, obj=name)


@given(n=st.integers(1, 40), edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)),
                                            max_size=80))
def test_components_by_label_propagation_are_scipys(n: int,
                                                   edges: list[tuple[int, int]]) -> None:
    """Two nodes share a label exactly when scipy puts them in one connected component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from diplosim.engine.network import components

    pairs = [(a % n, b % n) for a, b in edges]
    u = np.array([a for a, _ in pairs], dtype=np.int64)
    v = np.array([b for _, b in pairs], dtype=np.int64)
    labels = components(n, u, v)
    graph = coo_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, theirs = connected_components(graph, directed=False)
    assert np.array_equal(labels[:, None] == labels[None, :], theirs[:, None] == theirs[None, :])
