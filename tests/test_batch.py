"""Replications as an array axis (diplosim.engine.batch.Batch) equal single runs exactly.

Replication r of a batch must give the very tables `simulate(scenario, rng=seeds[r])` gives —
for every scenario of the library (talks, dated events, baselines drawn per dyad, regime
changes, many states) — and `run --reps` and sweeps, which use batches, the numbers of single
runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.engine.batch import Batch
from diplosim.experiment.design import run_seed
from diplosim.experiment.outcomes import compute_outcomes
from diplosim.experiment.runner import Chunk, RunContext, RunSpec, run_chunk, simulate_outcomes
from diplosim.experiment.spec import OutcomeSpec
from diplosim.results.replicate import replication_seeds
from diplosim.results.tables import TABLES, batch_size, collect, simulate, simulate_many
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
LONG = {"us_ruptures", "us_ruptures_calibrated"}  # 960 monthly steps: fewer steps here


def scenario_of(path: Path):  # type: ignore[no-untyped-def]
    overrides = {"steps": 240} if path.stem in LONG else {}
    return load_scenario(path, overrides)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_replication_equals_its_single_run(path: Path) -> None:
    scenario = scenario_of(path)
    seeds = replication_seeds(7, 3)
    batch = Batch(scenario, seeds)
    batch.run()
    for r, seed in enumerate(seeds):
        single = simulate(scenario, rng=seed)
        got = collect(batch.replication(r), seed=seed)
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(single, table), getattr(got, table),
                                          check_exact=True, obj=f"{path.stem} {r} {table}")


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
    monkeypatch.setattr(results, "batch_size", lambda sc, steps=None: 2)
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
