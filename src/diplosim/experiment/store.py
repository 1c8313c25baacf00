"""The results store of a sweep: a folder of Parquet parts plus provenance.

```
OUT/provenance.json        experiment and scenario text and hashes, seeds, versions, sessions
OUT/design.parquet         the points (point_id and one column per parameter)
OUT/parts/runs-*.parquet   one part per finished task: run_id, point_id, replication, seed,
                           parameters, status, error, started, seconds, outcomes
OUT/parts/series-*.parquet per-step series of the same runs (when the experiment asks)
```

Every file is written under a temporary name and moved into place (``os.replace``), so a part is
whole or absent whatever kills the sweep. A series part is written before its runs part; a series
part without its runs part is an orphan of a killed sweep and is removed on resume.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from diplosim.io.errors import InputError
from diplosim.io.outputs import atomic_write

PROVENANCE = "provenance.json"
DESIGN = "design.parquet"
PARTS = "parts"


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda p: frame.to_parquet(p, index=False, compression="zstd"))


class SweepStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.parts = self.path / PARTS

    @property
    def provenance_file(self) -> Path:
        return self.path / PROVENANCE

    def exists(self) -> bool:
        return self.provenance_file.is_file()

    def read_provenance(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.provenance_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError.single(f"unreadable provenance ({exc})",
                                    source=str(self.provenance_file)) from None
        return data

    def prepare(self) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        for folder in (self.path, self.parts):  # leftovers of a killed writer (ours by name)
            for tmp in folder.glob(".*.tmp-*"):
                if tmp.is_file() and not tmp.is_symlink():
                    tmp.unlink(missing_ok=True)

    def remove_orphans(self) -> int:
        runs = {p.name.removeprefix("runs-") for p in self.parts.glob("runs-*.parquet")}
        removed = 0
        for p in self.parts.glob("series-*.parquet"):
            if p.name.removeprefix("series-") not in runs:
                p.unlink()
                removed += 1
        return removed

    def stored_run_ids(self) -> set[int]:
        ids: set[int] = set()
        for p in sorted(self.parts.glob("runs-*.parquet")):
            ids.update(int(i) for i in pq.read_table(p, columns=["run_id"]).column(0).to_pylist())
        return ids

    def count_failed(self) -> int:
        """Runs stored with a status other than ok (reads only the status column)."""
        failed = 0
        for p in sorted(self.parts.glob("runs-*.parquet")):
            status = pq.read_table(p, columns=["status"]).column(0).to_pylist()
            failed += sum(1 for s in status if s != "ok")
        return failed

    def write_part(self, rows: pd.DataFrame, series: pd.DataFrame | None) -> Path:
        first, last = int(rows["run_id"].min()), int(rows["run_id"].max())
        name = f"{first:08d}-{last:08d}.parquet"
        if series is not None and len(series):
            write_parquet(self.parts / f"series-{name}", series)
        path = self.parts / f"runs-{name}"
        write_parquet(path, rows)
        return path


@dataclass
class SweepResult:
    """A sweep read back: runs (one row per run, ordered by run_id), series, design, provenance."""

    path: Path
    runs: pd.DataFrame
    series: pd.DataFrame
    design: pd.DataFrame
    provenance: dict[str, Any]

    @property
    def parameters(self) -> list[str]:
        return [str(p["column"]) for p in self.provenance.get("parameters", [])]

    @property
    def outcomes(self) -> list[str]:
        return [str(o["name"]) for o in self.provenance.get("outcomes", [])]

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]


def read_sweep(path: str | Path) -> SweepResult:
    """Read a sweep folder (complete or not) into tables ordered by run id."""
    store = SweepStore(path)
    if not store.path.is_dir() or not store.exists():
        raise InputError.single("not a sweep results folder (no provenance.json)",
                                source=str(path), allowed="a folder written by diplosim sweep")
    provenance = store.read_provenance()
    runs_parts = sorted(store.parts.glob("runs-*.parquet"))
    runs = (pd.concat([pd.read_parquet(p) for p in runs_parts], ignore_index=True)
            if runs_parts else pd.DataFrame(columns=["run_id"]))
    runs = runs.sort_values("run_id", kind="stable").reset_index(drop=True)
    names = {p.name.removeprefix("runs-") for p in runs_parts}
    series_parts = [p for p in sorted(store.parts.glob("series-*.parquet"))
                    if p.name.removeprefix("series-") in names]
    series = (pd.concat([pd.read_parquet(p) for p in series_parts], ignore_index=True)
              .sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
              if series_parts else pd.DataFrame())
    design_file = store.path / DESIGN
    design = pd.read_parquet(design_file) if design_file.exists() else pd.DataFrame()
    return SweepResult(path=store.path, runs=runs, series=series, design=design,
                       provenance=provenance)
