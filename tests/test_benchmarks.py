"""Every benchmark runs (at tiny sizes), so none rots; the figures themselves are in
benchmarks/README.md — no timed assertions here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_run_all_quick_prints_every_figure() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name in ("diplosim --help", "diplosim validate", "batch replication", "all-pairs",
                 "channel-steps", "channel rule", "sweep (flagship", "sweep, 5 runs, end to end",
                 "sweep, 8 runs, end to end"):
        assert any(line.startswith(name) for line in lines), (name, done.stdout)
    assert all(line.rstrip().endswith("x") for line in lines)  # every figure has its ratio


def test_memory_benchmark_samples_the_workers() -> None:
    import json

    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep_bench.py"), "memory",
                           "--runs", "400", "--steps", "80"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["runs"] == 400
    assert result["samples"] > 0
    assert 0 < result["worker_peak_rss_mib"] < 10_000
    assert len(result["worker_rss_by_tenth_mib"]) == 10


def test_scaling_table_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scaling.py"), "--quick",
                           "--steps", "3", "--repeats", "1"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "×" in line]
    assert len(rows) == 4, done.stdout
    assert rows[1].split("|")[3].strip() == "18,450"  # ten times the channels of the first row


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["posterior", "--draws", "12"],
                                  ["run_reps", "--reps", "3", "--repeats", "1"]])
def test_axis_benchmarks_run_at_tiny_sizes(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "axis_bench.py"), *argv],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["benchmark"] == argv[0]


@pytest.mark.slow
def test_the_fit_cost_benchmark_runs_at_a_tiny_size() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "axis_bench.py"),
                           "fit_cost", "--particles", "3", "--alone", "2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["particles_on_axis"] == 3
    assert figures["alone_seconds_per_particle"] > 0


@pytest.mark.slow
def test_the_fit_backends_benchmark_runs_at_a_tiny_size() -> None:
    """Serial, local processes and a Dask cluster started as processes: the same posterior."""
    pytest.importorskip("distributed")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fit_backends.py"),
                           "--population", "10", "--generations", "1"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "posteriors and generations equal" in done.stdout.splitlines()[-1]
