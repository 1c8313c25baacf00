"""Results folders of ``diplosim run``: replications' tables in Parquet (and CSV), provenance.

A results folder holds one Parquet file per table (``dyads``, ``open_channels``, ``level_changes``,
``spells``, ``events``, ``summary``) with ``replication`` and ``seed`` columns added, the static
``channels`` and ``actors`` tables, CSV copies under ``csv/``, and ``provenance.json``. The folder
is written under a temporary name and renamed into place, so an interrupted run leaves either a
whole folder or none; it is written only where :mod:`diplosim.io.outputs` allows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from diplosim.io.errors import InputError
from diplosim.io.outputs import FORMAT, RESULTS_MARKER, claim_folder, write_csv
from diplosim.results.tables import TABLES, RunResult
from diplosim.scenario.dates import as_date

STATIC_TABLES = ("channels", "actors")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("diplosim", "mesa", "numpy", "scipy", "pandas", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # a package run from a source tree may not be installed
            out[pkg] = "unknown"
    return out


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunSet:
    """The tables of all replications of a run, read back from a results folder."""

    path: Path | None
    tables: dict[str, pd.DataFrame]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            df: pd.DataFrame = tables[name]
            return df
        raise AttributeError(name)

    @property
    def scenario_name(self) -> str:
        return str(self.provenance.get("scenario", {}).get("name", ""))

    @property
    def time_unit(self) -> str:
        return str(self.provenance.get("scenario", {}).get("time_unit", "step"))

    @property
    def start(self) -> dt.date | None:
        """The scenario's start date (runs on a calendar), else None."""
        return as_date(self.provenance.get("scenario", {}).get("start"))


def combine(results: Sequence[RunResult], seeds: Sequence[Any]) -> dict[str, pd.DataFrame]:
    """Stack the replications' tables, adding ``replication`` and ``seed`` columns."""
    out: dict[str, pd.DataFrame] = {}
    for name in TABLES + tuple(sorted({k for r in results for k in r.extra})):
        frames = []
        for rep, (res, seed) in enumerate(zip(results, seeds, strict=True)):
            if name not in TABLES and name not in res.extra:
                continue
            df = res.table(name).copy()
            df.insert(0, "seed", str(seed))
            df.insert(0, "replication", rep)
            frames.append(df)
        out[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if results:
        out["channels"] = results[0].channels
        out["actors"] = results[0].actors
    return out


def write_runset(out_dir: str | Path, tables: dict[str, pd.DataFrame],
                 provenance: dict[str, Any], csv: bool = True, *, overwrite: bool = False,
                 before_publish: Callable[[Path], object] | None = None) -> Path:
    """Write a results folder atomically: everything goes into a temporary folder beside it
    (``before_publish(tmp)`` may add to it, e.g. figures), which is then renamed into place.
    The tables are written by a thread while ``before_publish`` runs (Arrow's writers release
    the GIL, so figures drawn from the tables in memory and the files overlap): it must not read
    the tables' files.

    ``out_dir`` must be new, empty, or — with ``overwrite`` — the results of an earlier run
    holding only files diplosim wrote (:func:`diplosim.io.outputs.claim_folder`); the earlier
    results stay whole until the new ones are complete."""
    out = Path(out_dir)
    claim_folder(out, "run", overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))

    def write_tables() -> None:
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
            if csv:
                write_csv(df, tmp / "csv" / f"{name}.csv")

    try:
        if csv:
            (tmp / "csv").mkdir()
        with ThreadPoolExecutor(max_workers=1) as pool:  # waits for the writer on any exit
            written = pool.submit(write_tables)
            marked = {"format": FORMAT, "kind": "run", **provenance}
            (tmp / RESULTS_MARKER).write_text(json.dumps(marked, indent=2, default=str))
            if before_publish is not None:
                before_publish(tmp)
            written.result()
        if out.is_dir() and any(out.iterdir()):
            claim_folder(out, "run", overwrite=overwrite)  # still only our files
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old)  # onto the empty placeholder
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_runset(path: str | Path) -> RunSet:
    """Read a results folder written by ``diplosim run``."""
    p = Path(path)
    if not p.is_dir():
        raise InputError.single("no such results folder", source=str(p),
                                allowed="a folder written by diplosim run")
    tables = {f.stem: pd.read_parquet(f) for f in sorted(p.glob("*.parquet"))}
    if not tables:
        raise InputError.single("holds no result tables (*.parquet)", source=str(p))
    prov_file = p / "provenance.json"
    provenance = json.loads(prov_file.read_text()) if prov_file.exists() else {}
    return RunSet(path=p, tables=tables, provenance=provenance)


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
