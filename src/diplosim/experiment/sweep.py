"""Run an experiment: design → chunks of runs → executor → Parquet parts, resumable."""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import platform
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from diplosim.experiment.design import Design, build_design, run_seed
from diplosim.experiment.executors import Executor, available_cores, make_executor
from diplosim.experiment.runner import Chunk, Evaluator, RunContext, RunSpec, run_chunk
from diplosim.experiment.spec import Experiment
from diplosim.experiment.store import DESIGN, SweepStore, write_parquet
from diplosim.io.errors import InputError
from diplosim.io.outputs import FORMAT, atomic_write, claim_folder, write_csv, write_json
from diplosim.io.progress import Progress
from diplosim.results.posterior import Posterior
from diplosim.results.runset import command_line, now, versions


@dataclass
class SweepReport:
    path: Path
    total: int
    already: int
    ran: int
    failed: int
    failed_total: int
    seconds: float
    backend: str
    complete: bool

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else float("nan")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def design_table(design: Design) -> pd.DataFrame:
    """Parameter columns safe for Parquet: categorical values that are not all numbers as text."""
    table = design.points.copy()
    for p in design.parameters:
        col = table[p.column]
        if col.dtype == object and not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in col):
            table[p.column] = col.map(str)
    return table


def _provenance(experiment: Experiment, design: Design, total: int) -> dict[str, Any]:
    spec = experiment.spec
    scenario = experiment.scenario
    return {
        "format": FORMAT,
        "kind": "sweep",
        "experiment": {"name": spec.name, "source": experiment.source,
                       "text": experiment.document.text,
                       "sha256": sha256(experiment.document.text)},
        "scenario": {"name": scenario.name, "source": scenario.source, "text": scenario.text,
                     "sha256": sha256(scenario.text), "time_unit": scenario.spec.time_unit,
                     "start": scenario.spec.start.isoformat() if scenario.spec.start else None,
                     "plugins": scenario.plugins},
        "design": {"kind": design.kind.value, "points": len(design), **design.info,
                   "problem": design.problem},
        "parameters": [{"path": p.path, "column": p.column, "type": p.type.value}
                       for p in design.parameters],
        "outcomes": [o.model_dump(exclude_none=True) for o in spec.outcomes],
        "series": spec.series.model_dump() if spec.series else None,
        "replications": spec.replications,
        "steps": experiment.steps,
        "root_seed": spec.seed,
        **({"posterior": {"fit": experiment.posterior.source,
                          "sha256": experiment.posterior.sha256,
                          "particles": len(experiment.posterior.weights),
                          "paths": experiment.posterior.paths}}
           if experiment.posterior is not None else {}),
        "seeds": "SeedSequence(root_seed, spawn_key=(point_id, replication))",
        "runs": total,
        "versions": versions(),
        "machine": {"node": platform.node(), "platform": platform.platform(),
                    "cores": available_cores()},
        "sessions": [],
        "status": "running",
    }


def _open_store(store: SweepStore, experiment: Experiment, resume: bool,
                provenance: dict[str, Any]) -> dict[str, Any]:
    state = claim_folder(store.path, "sweep", resume=resume)
    if resume:
        if state != "own" or not store.exists():
            raise InputError.single("nothing to resume: no sweep here", source=str(store.path),
                                    allowed="the --out folder of an interrupted sweep")
        old = store.read_provenance()
        if old.get("experiment", {}).get("sha256") != provenance["experiment"]["sha256"]:
            raise InputError.single(
                "the experiment file changed since this sweep started; resuming would mix "
                "two experiments", source=experiment.source,
                allowed=f"the experiment stored in {store.provenance_file}, or a new --out")
        if old.get("scenario", {}).get("sha256") != provenance["scenario"]["sha256"]:
            raise InputError.single(
                "the scenario file changed since this sweep started", source=str(store.path),
                allowed="the same scenario text, or a new --out")
        provenance["sessions"] = old.get("sessions", [])
        provenance["started"] = old.get("started")
        return provenance
    provenance["started"] = now()
    return provenance


def chunks_of[T](runs: Iterable[T], sizes: Iterable[int]) -> Iterator[tuple[T, ...]]:
    """Consecutive runs in tuples of the given sizes (the last may be shorter), lazily."""
    it = iter(runs)
    for size in sizes:
        chunk = tuple(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def plan_runs(design: Design, replications: int, posterior: Posterior | None = None,
              root_seed: int = 0) -> Iterator[RunSpec]:
    """Every run of the design; under a posterior each run's own draw (seeded by the run, so
    the same on resume) comes first in its overrides, and the point's values win."""
    for point in range(len(design)):
        overrides = design.overrides(point)
        for rep in range(replications):
            particle = -1
            values = overrides
            if posterior is not None:
                particle = posterior.draw([run_seed(root_seed, point, rep)])[0]
                values = {**posterior.parameters(particle), **overrides}
            yield RunSpec(run_id=point * replications + rep, point_id=point, replication=rep,
                          overrides=values, particle=particle)


MAX_CHUNK = 200  # runs of one point in a chunk are simulated together (diplosim.engine.batch)
# A batch's cost per step is mostly fixed: on the flagship a run costs ~15 ms in a batch of 4,
# ~4 ms in a batch of 32 (benchmarks/README.md), so no chunk holds fewer runs of a point than
# this unless the point has fewer left.
MIN_CHUNK = 32


def chunk_sizes(remaining: int, workers: int, fixed: int | None = None) -> Iterator[int]:
    """Runs per task: ``fixed`` if given, else guided self-scheduling (Polychronopoulos & Kuck
    1987): a quarter of each worker's share of what is left, from ``MIN_CHUNK`` to ``MAX_CHUNK``
    runs. Early tasks are long (one scenario validation and one Parquet part for many runs); the
    last ones are short, so no worker idles long at the end. Chunking never changes results:
    every run has its own seed."""
    left = remaining
    while left > 0:
        size = fixed or max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(left / (4 * max(workers, 1)))))
        yield size
        left -= size


def chunks_by_point(runs: Iterable[RunSpec], sizes: Iterable[int],
                    least: int = MIN_CHUNK) -> Iterator[tuple[RunSpec, ...]]:
    """Consecutive runs in chunks of about the given sizes, cut so that every chunk holds at
    least ``least`` runs of each point in it (or all that point has left): a chunk ends at a
    point's last run rather than take a few runs of the next point, and takes a point's last
    few runs rather than leave them for a chunk of their own; points of few runs fill a chunk
    together. Lazy, one point at a time."""
    sizes = iter(sizes)

    def size() -> int:
        return max(next(sizes, least), least)

    chunk: list[RunSpec] = []
    want = size()
    for _, group in itertools.groupby(runs, key=lambda r: r.point_id):
        rest = list(group)
        # the next point fits neither whole nor with ``least`` of its runs: a chunk of its own
        # (a point of fewer runs than ``least`` joins the chunk while it fits: points share the
        # batch axis, so many one-run points make one batch)
        if chunk and want - len(chunk) < min(least, len(rest)):
            yield tuple(chunk)
            chunk, want = [], size()
        while rest:
            room = want - len(chunk)
            take = len(rest) if len(rest) - room < least else room
            chunk += rest[:take]
            rest = rest[take:]
            if len(chunk) >= want:
                yield tuple(chunk)
                chunk, want = [], size()
    if chunk:
        yield tuple(chunk)


def run_sweep(experiment: Experiment, out: str | Path, *, backend: str = "process",
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              csv: bool = False, progress: bool | None = None,
              evaluator: Evaluator | None = None) -> SweepReport:
    """Run (or finish) a sweep into ``out``; return what happened."""
    spec = experiment.spec
    design = build_design(spec, experiment.source, experiment.document.lines)
    total = len(design) * spec.replications
    store = SweepStore(out)
    provenance = _open_store(store, experiment, resume,
                             _provenance(experiment, design, total))
    # Workers first: a fork-started pool must be made before anything starts threads here.
    # A sweep that fits in one task gains nothing from a pool of processes: it runs here.
    local = backend == "process" and total <= MIN_CHUNK
    executor = make_executor("serial" if local else backend, workers, scheduler)
    if local:
        executor.description = f"serial (process backend: {total} runs fit in one task)"

    try:
        return _run(experiment, design, store, provenance, executor, resume, csv, progress,
                    evaluator, backend)
    finally:
        executor.close()


def _run(experiment: Experiment, design: Design, store: SweepStore, provenance: dict[str, Any],
         executor: Executor, resume: bool, csv: bool, progress: bool | None,
         evaluator: Evaluator | None, backend: str) -> SweepReport:
    spec = experiment.spec
    total = len(design) * spec.replications
    store.prepare()
    store.remove_orphans()
    done_ids = store.stored_run_ids()
    table = design_table(design)
    write_parquet(store.path / DESIGN, table.reset_index())
    session: dict[str, Any] = {"started": now(), "command": command_line(), "backend": backend,
                               "resumed": resume, "already_stored": len(done_ids)}
    provenance["sessions"].append(session)
    write_json(store.provenance_file, provenance)

    # Lazily planned and chunked: the parent holds the design, not a list of every run.
    remaining = (r for r in plan_runs(design, spec.replications, experiment.posterior, spec.seed)
                 if r.run_id not in done_ids)
    to_run = total - len(done_ids)
    context = RunContext(scenario_text=experiment.scenario.text,
                         scenario_source=experiment.scenario.source, steps=experiment.steps,
                         outcomes=tuple(spec.outcomes), series=spec.series,
                         root_seed=spec.seed, evaluator=evaluator)
    bar = Progress(to_run, "runs", enabled=progress)
    ran = failed = 0
    tick = time.perf_counter()
    complete = False
    try:
        session["executor"] = executor.description
        session["chunk_size"] = spec.chunk_size or "guided"
        sizes = chunk_sizes(to_run, executor.workers, spec.chunk_size)
        chunked = (chunks_of(remaining, sizes) if spec.chunk_size
                   else chunks_by_point(remaining, sizes))
        chunks = (Chunk(context, c) for c in chunked)
        for result in executor.imap_unordered(run_chunk, chunks):
            rows = pd.DataFrame(result.rows)
            params = table.loc[rows["point_id"].to_numpy()].reset_index(drop=True)
            rows = pd.concat([rows.iloc[:, :4], params, rows.iloc[:, 4:]], axis=1)
            series = (pd.concat([pd.DataFrame(s) for s in result.series], ignore_index=True)
                      if result.series else None)
            store.write_part(rows, series)
            bad = int((rows["status"] != "ok").sum())
            ran += len(rows)
            failed += bad
            bar.update(len(rows), bad)
        complete = True
    finally:
        seconds = time.perf_counter() - tick
        session.update(ended=now(), ran=ran, failed=failed, seconds=round(seconds, 3))
        stored = store.stored_run_ids()
        complete = complete and len(stored) == total
        provenance["status"] = "complete" if complete else "interrupted"
        if complete:
            provenance["ended"] = session["ended"]
        write_json(store.provenance_file, provenance)
    failed_total = 0
    if complete:
        failed_total = store.count_failed()
        provenance["failed"] = failed_total
        write_json(store.provenance_file, provenance)
        if csv:
            export_csv(store.path)
    return SweepReport(path=store.path, total=total, already=len(done_ids), ran=ran,
                       failed=failed, failed_total=failed_total, seconds=seconds,
                       backend=backend, complete=complete)


def export_csv(path: Path) -> None:
    """Write runs.csv (and series.csv) next to the parts."""
    from diplosim.experiment.store import read_sweep

    result = read_sweep(path)
    csv_dir = path / "csv"
    csv_dir.mkdir(exist_ok=True)
    tables = {"runs": result.runs, "design": result.design}
    if len(result.series):
        tables["series"] = result.series
    for name, table in tables.items():
        atomic_write(csv_dir / f"{name}.csv", functools.partial(write_csv, table))


def outcome_table(result: Any, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per point: parameters, and mean, sd and count of each outcome over its ok replications."""
    ok = result.ok
    names = outcomes or result.outcomes
    grouped = ok.groupby("point_id")[names]
    stats = grouped.agg(["mean", "std", "count"])
    stats.columns = [f"{o}_{s}" for o, s in stats.columns]
    design = result.design.set_index("point_id")
    table: pd.DataFrame = design.join(stats, how="left").reset_index()
    return table


