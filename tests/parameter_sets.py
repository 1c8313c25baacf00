"""A parameter set of the tests' own, shipped beside the real ones for one test: the pooled set
with sections added (``shared.SETS`` pointed at a folder holding both)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from diplosim.scenario import shared


@contextmanager
def pooled_with(name: str, additions: Mapping[str, Any], where: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    data = yaml.safe_load((shared.SETS / "pooled.yaml").read_text())
    data.update(additions)
    where.mkdir(parents=True, exist_ok=True)
    for known in shared.available():
        shutil.copy(shared.SETS / f"{known}.yaml", where)
    (where / f"{name}.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(shared, "SETS", where)
    shared._read.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        shared._read.cache_clear()
