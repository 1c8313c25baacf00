"""Progress lines for long work: done/total, rate, time left; quiet when not on a terminal
unless ``DIPLOSIM_PROGRESS=1``."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, what: str = "runs", stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.total = total
        self.what = what
        self.stream = stream or sys.stderr
        if enabled is None:  # a terminal, or asked for (DIPLOSIM_PROGRESS=1, e.g. in batch logs)
            enabled = self.stream.isatty() or os.environ.get("DIPLOSIM_PROGRESS") == "1"
        self.enabled = enabled
        self.start = time.monotonic()
        self.done = 0
        self.failed = 0
        self._last = 0.0

    def update(self, done: int = 1, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            self.stream.write("\r" + self.line() + ("\n" if self.done >= self.total else ""))
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.done}/{self.total} {self.what}{failed} | {rate:.2f}/s | "
                f"{_fmt(elapsed)} elapsed, {_fmt(left)} left")


def _fmt(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "?"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
