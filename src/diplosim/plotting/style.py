"""One figure style: Okabe–Ito colours (colour-blind safe), paper-sized, labelled axes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from diplosim.scenario.dates import CALENDAR_UNITS, date_of

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
TRACK_COLOURS = {"1": "#0072B2", "1.5": "#009E73", "2": "#E69F00"}
CLOSURE_SHADE = "#BBBBBB"

RC: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=[c for c in OKABE_ITO if c != "#F0E442"]),
    "svg.hashsalt": "diplosim",
    "savefig.bbox": "tight",
}


@contextmanager
def style() -> Iterator[None]:
    with mpl.rc_context(RC):  # type: ignore[arg-type]
        yield


# For lines and markers on white: Okabe-Ito without the yellow, which is too light for thin lines.
LINE_COLOURS = tuple(c for c in OKABE_ITO if c != "#F0E442")


# Groups sharing one axis (curves of channel kinds): neighbours in this order differ in hue and
# lightness (no two oranges or two blues in a row), so five groups read apart even in grey.
GROUP_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9")
# Tracks beyond 1, 1.5 and 2 (e.g. the nine tracks of Diamond & McDonald): Okabe–Ito's other
# colours, then grey, brown and a dark violet.
EXTRA_TRACK_COLOURS = ("#D55E00", "#CC79A7", "#56B4E9", "#000000", "#999999", "#8C510A",
                       "#6A3D9A", "#E6AB02")


def colour(i: int) -> str:
    return LINE_COLOURS[i % len(LINE_COLOURS)]


def group_colour(i: int) -> str:
    """Colour of the i-th of several groups drawn on one axis."""
    return GROUP_COLOURS[i % len(GROUP_COLOURS)]


def track_colour(track: str, others: Sequence[str] = ()) -> str:
    """Tracks 1, 1.5, 2 keep fixed colours; other tracks take distinct ones by their order."""
    if track in TRACK_COLOURS:
        return TRACK_COLOURS[track]
    extra = [t for t in others if t not in TRACK_COLOURS]
    i = extra.index(track) if track in extra else len(extra)
    return EXTRA_TRACK_COLOURS[i % len(EXTRA_TRACK_COLOURS)]


def track_order(tracks: Iterable[object]) -> list[str]:
    """Tracks in reading order: numeric names by value (1, 1.5, 2, ..., 9), then the others."""
    def key(t: str) -> tuple[int, float, str]:
        try:
            return (0, float(t), t)
        except ValueError:
            return (1, 0.0, t)

    return sorted({str(t) for t in tracks}, key=key)


LINESTYLES = ("-", (0, (5, 2)), (0, (1.5, 1.5)), (0, (5, 2, 1.5, 2)))


def linestyle(i: int) -> Any:
    """Solid, dashed, dotted, dash-dot: curves of the same colour family stay apart in grey."""
    return LINESTYLES[i % len(LINESTYLES)]


def new_figure(ax: Axes | None, size: tuple[float, float] = (6.5, 4.0)) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one Axes (not attached to pyplot)."""
    if ax is not None:
        fig = ax.get_figure()
        assert isinstance(fig, Figure)
        return fig, ax
    with style():
        fig = Figure(figsize=size, layout="constrained")
        return fig, fig.add_subplot()


def new_grid(rows: int, cols: int, size: tuple[float, float], **kw: Any
             ) -> tuple[Figure, Any]:
    with style():
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(rows, cols, **kw)
    return fig, axes


def time_label(unit: str) -> str:
    return f"time ({unit}s)" if unit and not unit.endswith("s") else f"time ({unit or 'steps'})"


def calendar_axis(ax: Axes, start: dt.date | None, unit: str, last_step: float) -> None:
    """Label a step axis with dates: years for runs of four years or more, months below.

    Ticks sit at the first of January (or of a month) at a round interval, placed at their exact
    step position on the scenario's calendar (:mod:`diplosim.scenario.dates`)."""
    if start is None or unit not in CALENDAR_UNITS:
        return
    end = date_of(max(int(np.ceil(last_step)), 1), start, unit)
    years = (end - start).days / 365.25
    if years >= 4:
        every = next((k for k in (1, 2, 5, 10, 20, 25, 50, 100) if years / k <= 8), 200)
        first = (start.year // every + (1 if dt.date(start.year // every * every, 1, 1) < start
                                         else 0)) * every
        ticks = [dt.date(y, 1, 1) for y in range(first, end.year + 1, every)]
        fmt = "%Y"
    else:
        months = max(int(years * 12), 1)
        every = next((k for k in (1, 2, 3, 6, 12) if months / k <= 8), 12)
        ticks = []
        y, m = start.year, start.month + (1 if start.day > 1 else 0)
        while True:
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
            d = dt.date(y, m, 1)
            if d > end:
                break
            if (m - 1) % every == 0:
                ticks.append(d)
            m += 1
        fmt = "%b %Y"
    ax.set_xticks([position_of(d, start, unit) for d in ticks],
                  [d.strftime(fmt) for d in ticks])
    ax.set_xlabel("date" if ax.get_xlabel() else "")


def position_of(when: dt.date, start: dt.date, unit: str) -> float:
    """The (fractional) step position of a date on the scenario's calendar."""
    kind, size = CALENDAR_UNITS[unit]
    if kind == "days":
        return (when - start).days / size
    months = (when.year - start.year) * 12 + (when.month - start.month)
    return (months + (when.day - start.day) / 30.4375) / size


def styled[F: Any](fn: F) -> F:
    """Run a plotting function inside the house style."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
