"""The real cases as calibration targets: what happened, by date, and how far a run is from it.

Each of the eight real cases of the scenario library (``scenarios/``) has two kinds of target:

- its **first agreement**: the real date (US–Cuba 17 December 2014, …), or none within the
  case's span (US–China Track 1.5, Russia–West);
- its **connected windows**: dated spans through which the real governments stayed in contact
  (the interests sections, the hotline, the deconfliction line, …).

A replication is summarised by the date of its first agreement (in years from the case's start;
NaN: none) and by the share of each window's rows in which the governments are connected. The
distance of a batch of replications to the record (:func:`case_distance`) is, for a case with an
agreement, the mean over replications of ``|t - t_real| / span`` (1 for a replication with no
agreement), for a case without one the share of replications that reach one, plus, per window,
one minus the mean connected share: each term in [0, 1]. The joint fit (:mod:`.joint_fit`) and
the leave-one-case-out study use these targets; tests/test_real_cases.py tests the stylised facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diplosim.engine.recorder import Recorded
from diplosim.results.tables import RunResult
from diplosim.scenario import Scenario
from diplosim.scenario.dates import date_of, dates_of
from diplosim.scenario.schema import EventType

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Window:
    """Governments of ``dyad`` (a dyad label, e.g. ``usa-cuba``) connected from ``first`` to
    ``last`` (compared with the end of each row's step)."""

    dyad: str
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Case:
    """One real case: its scenario and what happened."""

    name: str
    agreement: dt.date | None
    agreement_label: str
    windows: tuple[Window, ...]

    def span_years(self, start: dt.date, end: dt.date) -> float:
        return (end - start).days / DAYS_PER_YEAR


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


CASES: tuple[Case, ...] = (
    Case("us_cuba", _d("2014-12-17"), "restoration announced",
         (Window("usa-cuba", _d("1977-10-01"), _d("2015-07-01")),)),
    Case("us_iran", _d("2013-11-24"), "Joint Plan of Action",
         (Window("usa-iran", _d("1981-01-01"), _d("2024-12-01")),)),
    Case("oslo_1993", _d("1993-08-20"), "Declaration of Principles initialled", ()),
    Case("camp_david_1978", _d("1978-09-17"), "Camp David Accords", ()),
    Case("india_pakistan", _d("2021-02-25"), "ceasefire recommitment",
         (Window("india-pakistan", _d("2019-02-01"), _d("2020-01-01")),)),
    Case("us_china_track15", None, "no Track 1 nuclear agreement", ()),
    Case("russia_west_expulsions", None, "no agreement",
         (Window("russia-usa", _d("2022-03-01"), _d("2024-12-01")),)),
    Case("northern_ireland_nine_tracks", _d("1998-04-10"), "Good Friday Agreement",
         (Window("uk-republicans", _d("1996-03-01"), _d("1997-07-01")),)),
)
BY_NAME = {c.name: c for c in CASES}

#: The held-out test cases of docs/validity.md: files of facts written after its rules, fitted
#: by no fit; the first agreement each must produce (never scheduled in its file), or none.
TEST_CASES: tuple[Case, ...] = (
    Case("mozambique_1990", _d("1990-12-01"), "partial ceasefire on the corridors", ()),
    Case("aceh_2000", _d("2000-05-12"), "Joint Understanding on a Humanitarian Pause", ()),
    Case("colombia_farc_2010", _d("2013-05-26"), "partial agreement on rural development", ()),
    Case("philippines_milf_2001", _d("2001-06-22"), "Tripoli Agreement on Peace", ()),
    Case("us_dprk_1993", _d("1993-06-11"), "Joint Statement", ()),
    Case("ethiopia_eritrea_1998", _d("2000-06-18"), "Agreement on Cessation of Hostilities", ()),
    Case("sri_lanka_ltte_2000", _d("2002-02-22"), "Ceasefire Agreement", ()),
    Case("israel_syria_1991", None, "no agreement", ()),
    Case("cyprus_2008", None, "no agreement", ()),
    # the larger test set (docs/validity.md, "Talks that can fail"), chosen 7 December 2026
    Case("kosovo_status_2006", None, "no agreement", ()),
    Case("western_sahara_2007", None, "no agreement", ()),
    Case("nagorno_karabakh_1997", None, "no agreement", ()),
    Case("israel_palestinians_2013", None, "no agreement", ()),
    Case("ecuador_peru_1995", _d("1995-02-17"), "Itamaraty Peace Declaration (ceasefire)", ()),
    Case("el_salvador_1990", _d("1990-07-26"), "San José Agreement on Human Rights", ()),
    Case("guatemala_1991", _d("1991-07-25"), "Querétaro Framework Agreement", ()),
    Case("tajikistan_1994", _d("1994-09-17"), "Tehran Agreement on a temporary ceasefire", ()),
)
TEST_BY_NAME = {c.name: c for c in TEST_CASES}


@dataclass(frozen=True)
class CaseRuns:
    """What the targets read of a batch of replications of one case."""

    first_agreement: np.ndarray  # years from the case's start to the first agreement (NaN: none)
    connected: np.ndarray  # (replications, windows): share of the window's rows connected
    span: float  # the case's span in years


def summarise(case: Case, results: list[RunResult]) -> CaseRuns:
    """The target statistics of replications of ``case`` (dated runs)."""
    first = np.full(len(results), np.nan)
    connected = np.zeros((len(results), len(case.windows)))
    span = 0.0
    for i, r in enumerate(results):
        assert r.start is not None, f"{case.name} has no start date"
        end = dates_of([r.steps], r.start, r.time_unit)[0]
        span = float((end - np.datetime64(r.start, "D")).astype(int)) / DAYS_PER_YEAR
        ev = r.events
        steps = ev.loc[ev["type"] == "agreement", "step"].to_numpy()
        if steps.size:
            when = dates_of([int(steps.min())], r.start, r.time_unit)[0]
            first[i] = float((when - np.datetime64(r.start, "D")).astype(int)) / DAYS_PER_YEAR
        for j, w in enumerate(case.windows):
            d = r.dyads[r.dyads["dyad"] == w.dyad]
            ends = dates_of(d["step"].to_numpy(), r.start, r.time_unit)
            inside = (ends >= np.datetime64(w.first)) & (ends <= np.datetime64(w.last))
            connected[i, j] = float(d["connected"].to_numpy()[inside].mean())
    return CaseRuns(first, connected, span)


def summarise_runs(case: Case, runs: Sequence[Recorded]) -> CaseRuns:
    """:func:`summarise` read from the replications' arrays (a batch's
    :meth:`~diplosim.engine.batch.Batch.replication` views, or models that have run) instead of
    their tables: the same numbers, without building a table (what a fit needs)."""
    first = np.full(len(runs), np.nan)
    connected = np.zeros((len(runs), len(case.windows)))
    span = 0.0
    for i, run in enumerate(runs):
        scenario = run.diplomacy_scenario
        c, start, unit = scenario.compiled, scenario.spec.start, scenario.spec.time_unit
        assert start is not None, f"{case.name} has no start date"
        rec = run.recorder
        origin = np.datetime64(start, "D")
        end = dates_of([rec.n - 1], start, unit)[0]
        span = float((end - origin).astype(int)) / DAYS_PER_YEAR
        records = run.talks.records if run.talks is not None else []
        agreed = [r["ended"] for r in records if r["agreed"]]
        if agreed:
            when = dates_of([int(min(agreed))], start, unit)[0]
            first[i] = float((when - origin).astype(int)) / DAYS_PER_YEAR
        ends = dates_of(np.arange(rec.n), start, unit)
        for j, w in enumerate(case.windows):
            inside = (ends >= np.datetime64(w.first)) & (ends <= np.datetime64(w.last))
            tracked = np.flatnonzero(c.tracked_dyads == c.dyad_labels.index(w.dyad))
            values = (rec.connected[:rec.n, int(tracked[0])].astype(float) if tracked.size
                      else np.full(rec.n, np.nan))
            connected[i, j] = float(values[inside].mean())
    return CaseRuns(first, connected, span)


def first_official_opening(scenario: Scenario) -> float:
    """When the case's first official (Track 1) channel is open, in years from its start, read
    from the file's facts (docs/validity.md, reference b): 0 if one is open at the start, else
    the date of the first event that sets one to an open level; the span's end if neither."""
    c, spec = scenario.compiled, scenario.spec
    assert spec.start is not None, f"{scenario.name} has no start date"
    official = np.asarray(c.kinds.track, dtype=object)[c.channel_kind] == "1"
    if bool(np.any(official & (c.level0 > 0))):
        return 0.0
    for ev in sorted(c.events, key=lambda e: e.step):
        if (ev.spec.type == EventType.SET_LEVEL and (ev.spec.level or 0) > 0
                and bool(official[ev.channels].any())):
            when = ev.spec.at if isinstance(ev.spec.at, dt.date) else date_of(
                ev.step - 1, spec.start, spec.time_unit)
            return (when - spec.start).days / DAYS_PER_YEAR
    end = date_of(spec.steps, spec.start, spec.time_unit)
    return (end - spec.start).days / DAYS_PER_YEAR


def real_years(case: Case, start: dt.date) -> float | None:
    """The real first agreement, in years from the case's start (None: none)."""
    return None if case.agreement is None else (case.agreement - start).days / DAYS_PER_YEAR


def case_distance(case: Case, start: dt.date, runs: CaseRuns) -> float:
    """Distance of replications to the case's record (see the module's docstring)."""
    real = real_years(case, start)
    reached = np.isfinite(runs.first_agreement)
    if real is None:
        agree = float(reached.mean())
    else:
        err = np.where(reached, np.abs(runs.first_agreement - real) / runs.span, 1.0)
        agree = float(np.minimum(err, 1.0).mean())
    windows = float((1.0 - runs.connected.mean(axis=0)).sum()) if case.windows else 0.0
    return agree + windows


def prediction_table(case: Case, start: dt.date, runs: CaseRuns) -> dict[str, object]:
    """A held-out case's prediction from posterior draws (one replication per draw): the first
    agreement's median and 90% interval (as dates), whether the real date is inside, the
    interval's width as a share of the span, the share of draws with an agreement, and each
    window's mean connected share."""
    years = runs.first_agreement
    reached = np.isfinite(years)
    share = float(reached.mean())
    row: dict[str, object] = {"case": case.name, "real": case.agreement_label,
                              "real_date": case.agreement, "draws": int(years.size),
                              "agreement_share": share}

    def date(y: float) -> dt.date:
        return start + dt.timedelta(days=round(y * DAYS_PER_YEAR))

    # Draws with no agreement are placed beyond the span: the interval's quantiles then say "none
    # within the span" where they fall there.
    filled = np.where(reached, years, np.inf)
    q05, q50, q95 = np.quantile(filled, [0.05, 0.5, 0.95], method="inverted_cdf")
    row.update(median=date(q50) if np.isfinite(q50) else None,
               q05=date(q05) if np.isfinite(q05) else None,
               q95=date(q95) if np.isfinite(q95) else None)
    if case.agreement is None:
        row.update(inside=None, width_share=None, predicted=share <= 0.10)
    else:
        real = real_years(case, start)
        inside = bool(np.isfinite(q05) and real is not None and q05 <= real <= q95)
        width = float((q95 - q05) / runs.span) if np.isfinite(q95) else np.inf
        row.update(inside=inside, width_share=width, predicted=inside and width <= 1 / 3)
    for j, w in enumerate(case.windows):
        row[f"connected {w.dyad} {w.first:%Y-%m}..{w.last:%Y-%m}"] = float(
            runs.connected[:, j].mean())
    return row
