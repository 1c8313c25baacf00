"""The calendar of a scenario with a ``start`` date: steps to dates and dates to steps.

A scenario that gives ``start`` (the date its first step begins) and a calendar ``time_unit``
(day, week, month, quarter, year) lives on a calendar. Step k spans the interval
[start + (k - 1) units, start + k units); a table's row for step t is the state at the end of
step t, dated start + t units (row 0, the initial state, is dated ``start``). An event placed at a
date happens in the step whose interval holds that date: step = 1 + floor(units from start to the
date). Months and quarters count calendar months (a month's length varies); a start on the 29th
to 31st of a month is refused, since adding months to it is ambiguous.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

#: Time units a scenario with a ``start`` date may use, with their length in months or days.
CALENDAR_UNITS: dict[str, tuple[str, int]] = {
    "day": ("days", 1),
    "week": ("days", 7),
    "month": ("months", 1),
    "quarter": ("months", 3),
    "year": ("months", 12),
}


def check_start(start: dt.date, unit: str) -> str | None:
    """Why ``start`` and ``unit`` cannot make a calendar, or None when they can."""
    if unit not in CALENDAR_UNITS:
        return (f"a scenario with a start date needs a calendar time_unit "
                f"({', '.join(CALENDAR_UNITS)}), not {unit!r}")
    if CALENDAR_UNITS[unit][0] == "months" and start.day > 28:
        return (f"a start on day {start.day} of a month is ambiguous for time_unit {unit!r} "
                "(months differ in length): start on day 1 to 28")
    return None


def _add_months(start: dt.date, months: int) -> dt.date:
    total = start.year * 12 + (start.month - 1) + months
    return dt.date(total // 12, total % 12 + 1, start.day)


def date_of(step: int, start: dt.date, unit: str) -> dt.date:
    """The date of table row ``step``: start plus ``step`` units."""
    kind, size = CALENDAR_UNITS[unit]
    if kind == "days":
        return start + dt.timedelta(days=size * step)
    return _add_months(start, size * step)


def step_of(when: dt.date, start: dt.date, unit: str) -> int:
    """The step whose interval holds ``when`` (1 for the first step; < 1 before ``start``)."""
    kind, size = CALENDAR_UNITS[unit]
    if kind == "days":
        return (when - start).days // size + 1
    months = (when.year - start.year) * 12 + (when.month - start.month)
    if when.day < start.day:  # not yet a whole month
        months -= 1
    return months // size + 1


def dates_of(steps: Sequence[int] | np.ndarray, start: dt.date, unit: str) -> np.ndarray:
    """Dates of many rows at once, as ``datetime64[D]``."""
    values = np.asarray(steps, dtype=np.int64)
    kind, size = CALENDAR_UNITS[unit]
    origin = np.datetime64(start, "D")
    if kind == "days":
        return origin + (values * size).astype("timedelta64[D]")
    month0 = np.datetime64(start, "M")
    months = month0 + (values * size).astype("timedelta64[M]")
    return months.astype("datetime64[D]") + np.timedelta64(start.day - 1, "D")


def as_date(value: object) -> dt.date | None:
    """A ``start`` as stored in provenance (ISO text) or in a spec, else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None
