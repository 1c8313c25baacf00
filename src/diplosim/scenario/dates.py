"""The calendar of a scenario with a ``start`` date: steps to dates and dates to steps.

A scenario that gives ``start`` (the date its first step begins) and a calendar ``time_unit``
(day, week, month, quarter, year) lives on a calendar. Step k covers the period
[start + (k - 1) units, start + k units). A table's row for step t holds the state at the end of
step t and names the period the step covers: its ``date`` is the period's first day,
start + (t - 1) units, and its ``period`` a label at the unit's precision (``2015-07`` for a
month, ``2019-Q3`` for a calendar quarter, ``1978`` for a calendar year, the first day for a week
or a day; the first day too when months, quarters or years do not start on the 1st of January,
April, July or October). Row 0, the state before the first step, is dated to the period before
``start``. An event placed at a date happens in the step whose period holds that date:
step = 1 + floor(units from start to the date); the events table keeps the event's own date.
Months and quarters count calendar months (a month's length varies); a start on the 29th to 31st
of a month is refused, since adding months to it is ambiguous.
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
    """The end of step ``step`` (the first day after it): start plus ``step`` units."""
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
    """:func:`date_of` of many steps at once, as ``datetime64[D]``."""
    values = np.asarray(steps, dtype=np.int64)
    kind, size = CALENDAR_UNITS[unit]
    origin = np.datetime64(start, "D")
    if kind == "days":
        return origin + (values * size).astype("timedelta64[D]")
    month0 = np.datetime64(start, "M")
    months = month0 + (values * size).astype("timedelta64[M]")
    return months.astype("datetime64[D]") + np.timedelta64(start.day - 1, "D")


def period_label(first_day: dt.date, start: dt.date, unit: str) -> str:
    """The label of the period that begins on ``first_day``: ``2015-07`` for a month,
    ``2019-Q3`` for a quarter, ``1978`` for a year when the calendar's periods start on the 1st
    of a month (of a quarter's first month, of January); otherwise, and for weeks and days, the
    first day itself (``1978-09-25``)."""
    if unit == "month" and start.day == 1:
        return f"{first_day.year:04d}-{first_day.month:02d}"
    if unit == "quarter" and start.day == 1 and start.month % 3 == 1:
        return f"{first_day.year:04d}-Q{(first_day.month - 1) // 3 + 1}"
    if unit == "year" and (start.month, start.day) == (1, 1):
        return f"{first_day.year:04d}"
    return first_day.isoformat()


def period_of(step: int, start: dt.date, unit: str) -> str:
    """The label of the period step ``step`` covers."""
    return period_label(date_of(step - 1, start, unit), start, unit)


def periods_of(steps: Sequence[int] | np.ndarray, start: dt.date, unit: str
               ) -> tuple[np.ndarray, np.ndarray]:
    """For table rows of ``steps``: the first day of the period each step covers
    (``datetime64[D]``) and its label (:func:`period_label`)."""
    values = np.asarray(steps, dtype=np.int64)
    distinct, where = np.unique(values, return_inverse=True)
    firsts = dates_of(distinct - 1, start, unit)
    labels = np.array([period_label(d.item(), start, unit) for d in firsts], dtype=object)
    return firsts[where], labels[where]


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
