"""Where diplosim may write: new folders, empty ones, and folders it wrote itself.

Every folder diplosim writes carries a marker: ``provenance.json`` in results folders (``run``,
``sweep``) and ``figures.json`` in figure folders, each a JSON object whose ``format`` key is
:data:`FORMAT`. Inside such a folder diplosim knows the names it writes (:data:`OWN`); anything
else — or any symbolic link — is the user's and is never deleted or replaced. A command given a
folder that is not new, not empty and not marked refuses with exit status 2, naming the folder and
a few of its files.
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from diplosim.io.errors import InputError

FORMAT = "diplosim/1"
RESULTS_MARKER = "provenance.json"
FIGURES_MARKER = "figures.json"
FIGURE_SUFFIXES = ("png", "svg", "pdf")

_FIGURES = [FIGURES_MARKER, *(f"*.{s}" for s in FIGURE_SUFFIXES), ".*.tmp.*"]
# Names diplosim writes inside each kind of folder (folders end with "/").
OWN: dict[str, list[str]] = {
    "run": [RESULTS_MARKER, "*.parquet", "csv/", "csv/*.csv", "figures/",
            *(f"figures/{p}" for p in _FIGURES)],
    "sweep": [RESULTS_MARKER, "design.parquet", "parts/", "parts/runs-*.parquet",
              "parts/series-*.parquet", "parts/.*.tmp-*", ".*.tmp-*", "csv/", "csv/*.csv",
              "sensitivity_*.csv", "figures/", *(f"figures/{p}" for p in _FIGURES)],
    "calibration": [RESULTS_MARKER, "abc.db", "abc.db-journal", "*.parquet", "calibrated.yaml",
                    "parameters.yaml", ".*.tmp-*", "figures/",
                    *(f"figures/{p}" for p in _FIGURES)],
    "figures": _FIGURES,
    # the leave-one-case-out study: its table and figure, and one fit's folder per case
    "loco": [RESULTS_MARKER, "loco.parquet", ".*.tmp-*", "figures/",
             *(f"figures/{p}" for p in _FIGURES), "*/", "*/" + RESULTS_MARKER, "*/abc.db",
             "*/abc.db-journal", "*/*.parquet", "*/parameters.yaml", "*/.*.tmp-*", "*/figures/",
             *(f"*/figures/{p}" for p in _FIGURES)],
    "study": [],  # diplosim init: only into a new or empty folder
    # the held-out study's scores of one or more fits (diplosim heldout)
    "heldout": [RESULTS_MARKER, "scores.parquet", "skill.parquet", "scores.csv", "skill.csv",
                "report.md", ".*.tmp-*"],
}
WHAT = {"run": "the results of diplosim run", "sweep": "the results of diplosim sweep",
        "calibration": "the results of diplosim calibrate --fit or --joint",
        "loco": "a leave-one-case-out study of diplosim calibrate --loco",
        "figures": "figures drawn by diplosim",
        "heldout": "the scores of diplosim heldout"}
_ALLOWED = "a new or empty folder, or one diplosim wrote"


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a folder diplosim wrote (its provenance or figure list), else None.
    Results folders of earlier versions (no ``format`` key) are recognised by their keys."""
    for name in (RESULTS_MARKER, FIGURES_MARKER):
        path = folder / name
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode) or st.st_size > 50_000_000:
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if data.get("format") == FORMAT:
            return data
        if name == RESULTS_MARKER and data.get("kind") in ("run", "sweep") and "versions" in data:
            return data  # written before markers had a format key
    return None


def folder_kind(folder: Path) -> str | None:
    """``run``, ``sweep`` or ``figures`` for a folder diplosim wrote, else None. A figures
    folder of an earlier version (no figures.json) counts when its parent is a results folder
    and it holds only figures."""
    marker = read_marker(folder)
    if marker is not None:
        kind = marker.get("kind")
        return kind if kind in OWN else None
    parent = read_marker(folder.parent)
    if parent is not None and folder.name == "figures" and not next(
            _foreign(folder, "figures"), None):
        return "figures"
    return None


def _foreign(folder: Path, kind: str) -> Iterator[str]:
    """Entries of ``folder`` (relative, '/'-separated) that diplosim does not write there."""
    patterns = OWN[kind]
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        for name in sorted(dirs) + sorted(files):
            full = Path(root) / name
            rel = (rel_root / name).as_posix()
            try:
                mode = full.lstat().st_mode
            except OSError:
                yield rel
                continue
            if stat.S_ISDIR(mode):
                own = _matches(rel + "/", patterns)
            else:
                own = stat.S_ISREG(mode) and _matches(rel, patterns)
            if not own:
                if stat.S_ISDIR(mode):
                    dirs.remove(name)
                yield rel + ("/" if stat.S_ISDIR(mode) else "")


def _matches(rel: str, patterns: list[str]) -> bool:
    """``fnmatch`` segment by segment ('*' does not cross '/')."""
    depth = rel.count("/")
    return any(p.count("/") == depth and fnmatch.fnmatchcase(rel, p) for p in patterns)


def foreign_files(folder: Path, kind: str, show: int = 5) -> tuple[list[str], int]:
    """A few entries diplosim did not write in ``folder`` and how many there are (counted up
    to 10,000)."""
    found: list[str] = []
    count = 0
    for rel in _foreign(folder, kind):
        count += 1
        if len(found) < show:
            found.append(rel)
        if count >= 10_000:
            break
    return found, count


def _listing(found: list[str], count: int) -> str:
    more = f" and {count - len(found):,} more" if count > len(found) else ""
    return ", ".join(found) + more


def claim_folder(path: str | Path, kind: str, *, option: str = "--out", overwrite: bool = False,
                 resume: bool = False) -> str:
    """Check that a command may write ``kind`` output into ``path``; return ``new``, ``empty``
    or ``own``. Refuses (InputError, exit 2) a file, a symbolic link, a folder holding files
    diplosim did not write, a folder of another kind, and — unless ``overwrite`` (runs) or
    ``resume`` (sweeps, fits) — earlier results. Figure folders of diplosim are always writable: a
    figure replaces only a figure."""
    folder = Path(path)
    source = str(folder)
    try:
        st = folder.lstat()
    except FileNotFoundError:
        return "new"
    except OSError as exc:
        raise InputError.single(f"cannot use this folder: {exc.strerror}", source=source) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError.single(
            "is a symbolic link; diplosim does not write through links", source=source,
            allowed=f"the real folder it points to ({os.path.realpath(folder)}) or another "
            f"{option}")
    if not stat.S_ISDIR(st.st_mode):
        raise InputError.single("exists and is not a folder", source=source,
                                allowed=f"{_ALLOWED} ({option} names a folder)")
    try:
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        raise InputError.single(f"cannot read this folder: {exc.strerror}", source=source) from None
    if empty:
        return "empty"
    found_kind = folder_kind(folder)
    if found_kind is None:
        shown, count = foreign_files(folder, "figures" if kind == "figures" else kind)
        listing = _listing(shown, count) if shown else "its files"
        raise InputError.single(
            f"holds files diplosim did not write ({listing})", source=source,
            allowed=f"another {option}, or move those files away ({_ALLOWED}; "
            "diplosim never deletes or replaces a file it did not write)")
    if found_kind != kind:
        raise InputError.single(f"holds {WHAT[found_kind]}", source=source,
                                allowed=f"another {option} for {WHAT[kind]}")
    if kind == "figures":
        return "own"
    marker = read_marker(folder) or {}
    if kind in ("sweep", "calibration") and not resume:
        what = "a sweep" if kind == "sweep" else "a fit"
        raise InputError.single(
            f"already holds results of {what} ({marker.get('status', 'unknown status')})",
            source=source,
            allowed=f"--resume to finish this {what.split()[1]}, or another {option}")
    if kind == "run":
        shown, count = foreign_files(folder, "run")
        if shown:
            raise InputError.single(
                f"holds earlier results and files diplosim did not write ({_listing(shown, count)})"
                "; replacing the results would delete them", source=source,
                allowed=f"another {option}, or move those files away")
        if not overwrite:
            scenario = marker.get("scenario", {}).get("name", "?")
            when = marker.get("finished", "?")
            raise InputError.single(
                f"already holds the results of a run (scenario {scenario}, finished {when})",
                source=source, allowed="--overwrite to replace them (the old results stay "
                f"whole until the new ones are complete), or another {option}")
    return "own"


def check_file_target(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    """A single file diplosim is about to replace must be a regular file (not a link, not a
    folder) with one of ``suffixes``."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise InputError.single("is a symbolic link; diplosim does not write through links",
                                source=str(path), allowed=f"a new path for {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError.single("exists and is not a file", source=str(path),
                                allowed=f"a new path for {what}")
    if path.suffix.lstrip(".") not in suffixes:
        raise InputError.single(f"exists and is not {what}", source=str(path),
                                allowed=f"a new path for {what}")


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file through a temporary name beside it and ``os.replace`` it into place, so it is
    whole or absent whatever kills the writer. ``path`` itself must not be a link or a folder."""
    check_file_target(path, (path.suffix.lstrip("."),), "this file")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str)))


def write_csv(table: Any, path: Path) -> None:
    """A table (a pandas DataFrame) as CSV, written by Arrow's CSV writer (several times
    faster than pandas' on the engine's large tables): a header row, string values quoted,
    numbers in their shortest exact form (``1`` for 1.0), ``true``/``false``, dates as
    YYYY-MM-DD, missing values empty. A table Arrow cannot hold is written by pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    try:
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        for i, field in enumerate(arrow.schema):
            if pa.types.is_timestamp(field.type):  # calendar dates: no time of day to write
                column = arrow.column(i)
                day = pc.cast(column, pa.date32())
                if pc.all(pc.equal(pc.cast(day, field.type), column)).as_py() in (True, None):
                    arrow = arrow.set_column(i, field.name, day)
        pa_csv.write_csv(arrow, path)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        table.to_csv(path, index=False)  # replaces whatever Arrow began to write
