"""Results of a run as tidy tables, and the pure entry point :func:`simulate`.

Tables of a :class:`RunResult` (one row per observation, long format):

- ``dyads``: step, dyad, state_a, state_b, tension, misperception (governments'),
  participant_misperception (participants' of all tracks), communication,
  mission_closed, connected, redundancy (connected/redundancy are NaN for untracked dyads).
- ``open_channels``: step, dyad, by ("track" or "kind"), group, open_channels.
- ``level_changes``: step, channel, level — initial levels at step 0, then every change.
- ``spells``: one row per channel spell (a maximal run of steps with level > 0): channel, kind,
  track, dyad, spell, opened, closed (NaN if censored), censored, duration, levels (the sequence
  of levels held, e.g. "3>2>1"), first_closure (the dyad's first mission closure, NaN if none),
  opened_since_closure, closed_since_closure (step minus first_closure), open_at_closure.
- ``events``: step, type, label, target, channels_affected, detail.
- ``summary``: one row per dyad: first_mission_closure, mission_reopened, closure_steps,
  continuity_during_closure, mean_redundancy, mean_redundancy_during_closure, final_tension,
  peak_tension, peak_step, open_at_end_<kind> for each kind, and negotiation outcomes: talks,
  agreements, first_agreement (step; NaN if none), agreement_breakdowns.
- ``talks``: one row per round of Track 1 talks (scenarios with a ``negotiation`` section):
  opened, ended, outcome, rounds, agreed, deal (JSON), utilities and effective reservations of
  both states, distance_to_nash, tension and misperception at opening, the weaker side's
  shortfall, broke_down (step), durability (steps in force; censored if still in force).
- ``channels`` and ``actors``: the static structure (ids, kinds, tracks, ends, access).

Step 0 is the initial state; step t is the state after t steps. In a scenario with a ``start``
date, ``dyads``, ``open_channels``, ``level_changes`` and ``events`` also name the period each
row's step covers: ``date``, its first day (start + (t - 1) units), and ``period``, its label
(``2015-07`` for a month, ``2019-Q3`` for a quarter, the first day for a week); an event placed
at a date keeps that date in ``events.date`` (:mod:`diplosim.scenario.dates`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from diplosim.engine.events import LogEntry
from diplosim.engine.recorder import Recorded
from diplosim.engine.talks import TALKS_COLUMNS
from diplosim.scenario import Scenario
from diplosim.scenario.dates import periods_of

if TYPE_CHECKING:
    from diplosim.engine.batch import Batch

TABLES = ("dyads", "open_channels", "level_changes", "spells", "events", "summary", "talks")


@dataclass(frozen=True)
class RunResult:
    """All tables of one replication."""

    scenario_name: str
    time_unit: str
    steps: int
    seed: Any
    dyads: pd.DataFrame
    open_channels: pd.DataFrame
    level_changes: pd.DataFrame
    spells: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    talks: pd.DataFrame
    channels: pd.DataFrame = field(repr=False)
    actors: pd.DataFrame = field(repr=False)
    start: dt.date | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            df: pd.DataFrame = getattr(self, name)
            return df
        return self.extra[name]


def simulate(scenario: Scenario, rng: Any = None, steps: int | None = None) -> RunResult:
    """Run one replication of ``scenario`` and return its tables. Pure: no I/O."""
    from diplosim.engine.model import DiplomacyModel  # Mesa loads only for single runs

    model = DiplomacyModel(scenario, rng=rng)
    model.run(steps)
    return collect(model, seed=rng)


#: Memory a batch of replications may take for its records (bytes).
BATCH_BYTES = 200_000_000


def batch_size(scenario: Scenario, steps: int | None = None, most: int = 256) -> int:
    """How many replications :func:`simulate_many` steps together: up to ``most``, fewer when
    one replication's records are large."""
    c = scenario.compiled
    rows = (steps or scenario.steps) + 1
    per_rep = (rows * len(c.dyad_labels) * (6 + len(c.kinds.names)) * 8
               + rows * c.tracked_dyads.size * 9 + c.n_channels * 128)
    return int(min(most, max(1, BATCH_BYTES // max(per_rep, 1))))


def run_batches(scenario: Scenario, seeds: Sequence[Any],
                variants: Sequence[Scenario] | None = None, lean: bool = False,
                most: int = 256) -> Iterator[tuple[list[int], Batch]]:
    """The replications ``seeds`` of ``scenario`` (or each under its own of ``variants``) run
    as batches of at most :func:`batch_size` replications, variants of one structure together:
    yields each batch after it has run, with the indices (into ``seeds``) of its
    replications (``lean``: :class:`~diplosim.engine.batch.Batch`'s; ``most``: the
    largest batch, within :data:`BATCH_BYTES` of records)."""
    from diplosim.engine.batch import Batch, group_by_structure

    groups = ([list(range(len(seeds)))] if variants is None
              else group_by_structure(variants))
    for group in groups:
        first_of = scenario if variants is None else variants[group[0]]
        size = batch_size(first_of, most=most)
        for first in range(0, len(group), size):
            chunk = group[first:first + size]
            batch = Batch(first_of, [seeds[i] for i in chunk],
                          None if variants is None else [variants[i] for i in chunk],
                          lean)
            batch.run()
            yield chunk, batch


def simulate_many(scenario: Scenario, seeds: Sequence[Any],
                  on_batch: Callable[[int], None] | None = None,
                  variants: Sequence[Scenario] | None = None) -> list[RunResult]:
    """The replications ``seeds`` of ``scenario``, run as batches
    (:class:`diplosim.engine.batch.Batch`): result ``r`` equals
    ``simulate(scenario, rng=seeds[r])`` exactly — or, given ``variants`` (one scenario per
    replication, e.g. a posterior's draws), ``simulate(variants[r], rng=seeds[r])``; variants
    of one structure share batches. ``on_batch(n)`` is called after each batch of ``n``
    replications (progress)."""
    results: list[RunResult | None] = [None] * len(seeds)
    for chunk, batch in run_batches(scenario, seeds, variants):
        for r, i in enumerate(chunk):
            results[i] = collect(batch.replication(r), seed=seeds[i])
        if on_batch is not None:
            on_batch(len(chunk))
    return [r for r in results if r is not None]


def simulate_tables(scenario: Scenario, seeds: Sequence[Any], labels: Sequence[str],
                    on_batch: Callable[[int], None] | None = None,
                    variants: Sequence[Scenario] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of the replications ``seeds`` stacked, with ``replication`` and ``seed``
    (``labels``) columns — what :func:`~diplosim.results.runset.combine` makes of
    :func:`simulate_many`'s results, byte for byte — built a batch at a time from the batch's
    arrays (:func:`batch_tables`), not a replication at a time."""
    parts: list[tuple[list[int], dict[str, pd.DataFrame]]] = []
    for chunk, batch in run_batches(scenario, seeds, variants):
        parts.append((chunk, batch_tables(batch, chunk, [labels[i] for i in chunk])))
        if on_batch is not None:
            on_batch(len(chunk))
    # variants of several structures run in batches of their own: back to replication order
    out = {name: _by_replication(pd.concat([t[name] for _, t in parts], ignore_index=True))
           for name in TABLES}
    first = scenario if variants is None else variants[0]
    out["channels"] = channel_table(first)
    out["actors"] = actor_table(first)
    return out


def _by_replication(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of their replication (stable: each replication's own order kept)."""
    if df["replication"].is_monotonic_increasing:
        return df
    return df.sort_values("replication", kind="stable", ignore_index=True)


def batch_tables(batch: Batch, replications: Sequence[int], labels: Sequence[str]
                 ) -> dict[str, pd.DataFrame]:
    """Every table of a batch that has run, its replications stacked (replication ``r`` of the
    batch numbered ``replications[r]``, seed label ``labels[r]``): equal to stacking
    :func:`collect` of each replication, built from the batch's arrays at once."""
    views = [batch.replication(r) for r in range(batch.reps)]
    scenario = batch.scenario
    c, spec = scenario.compiled, scenario.spec
    rec = batch.recorder
    n, reps, nd = rec.n, batch.reps, len(c.dyad_labels)
    rep_ids = np.asarray(replications, dtype=np.int64)
    seed_of = np.array([str(x) for x in labels], dtype=object)

    def head(rows_per_rep: NDArray[np.int64] | int) -> dict[str, Any]:
        counts = np.broadcast_to(np.asarray(rows_per_rep, dtype=np.int64), (reps,))
        return {"replication": np.repeat(rep_ids, counts),
                "seed": pd.array(np.repeat(seed_of, counts), dtype="str")}

    def stacked(rows: Sequence[Sequence[Any]],
                frame: Callable[[Sequence[Any]], pd.DataFrame]) -> pd.DataFrame:
        """The replications' ``rows`` in turn as one table (``frame`` makes a table of rows),
        with the two columns. Where some replications have no row and others have, each is
        made a table of its own and stacked as :func:`~diplosim.results.runset.combine` does:
        an empty table's columns have no type, and stacking it changes the others' (so the
        result is the same, types included)."""
        counts = [len(r) for r in rows]
        if min(counts) == 0 < max(counts):
            parts = []
            for r, own in enumerate(rows):
                part = frame(own)
                part.insert(0, "seed", str(labels[r]))
                part.insert(0, "replication", int(rep_ids[r]))
                parts.append(part)
            return pd.concat(parts, ignore_index=True)
        table = frame([row for own in rows for row in own])
        columns = head(np.array(counts, dtype=np.int64))
        table.insert(0, "seed", columns["seed"])
        table.insert(0, "replication", columns["replication"])
        return table

    def per_rep(a: NDArray[Any]) -> NDArray[Any]:
        """(steps, reps * k) -> (reps, steps, k), flattened rep by rep."""
        return a[:n].reshape(n, reps, -1).transpose(1, 0, 2).ravel()

    steps = np.arange(n)
    labels_ = np.array(c.dyad_labels, dtype=object)
    state_ids = np.array(c.state_ids, dtype=object)
    connected = np.full((n, reps, nd), np.nan)
    redundancy = np.full((n, reps, nd), np.nan)
    ntr = c.tracked_dyads.size
    connected[:, :, c.tracked_dyads] = rec.connected[:n].reshape(n, reps, ntr)
    redundancy[:, :, c.tracked_dyads] = rec.redundancy[:n].reshape(n, reps, ntr)
    dyads = pd.DataFrame({
        **head(n * nd),
        "step": np.tile(np.repeat(steps, nd), reps),
        "dyad": np.tile(labels_, n * reps),
        "state_a": np.tile(state_ids[c.dyad_a], n * reps),
        "state_b": np.tile(state_ids[c.dyad_b], n * reps),
        "tension": per_rep(rec.tension),
        "misperception": per_rep(rec.misperception),
        "participant_misperception": per_rep(rec.participant_misperception),
        "communication": per_rep(rec.flow),
        "mission_closed": per_rep(rec.mission_closed).astype(np.int64),
        "connected": connected.transpose(1, 0, 2).ravel(),
        "redundancy": redundancy.transpose(1, 0, 2).ravel(),
    })
    open_channels = _open_table_batch(batch, n, labels_, head)
    level_changes = _changes_batch(batch, views, head)
    closed = rec.mission_closed[:n].reshape(n, reps, nd)
    first_closure = [_first_closure(closed[:, r]) for r in range(reps)]
    spell_rows = [_spell_rows(view, n, fc) for view, fc in zip(views, first_closure, strict=True)]
    logs = [view.recorder.log for view in views]
    records = [view.talks.finish_run(n - 1) if view.talks is not None else []
               for view in views]
    start, unit = spec.start, spec.time_unit
    spells = stacked(spell_rows, lambda rows: pd.DataFrame(rows, columns=SPELL_COLUMNS))
    events = stacked(logs, lambda log: _events_frame(log, start, unit))
    talks = stacked(records, lambda rows: pd.DataFrame(rows, columns=TALKS_COLUMNS))
    summaries = [_summary_columns(view, n, connected[:, r], redundancy[:, r], first_closure[r],
                                  records[r])
                 for r, view in enumerate(views)]
    summary = pd.DataFrame({**head(nd), **{
        k: np.concatenate([x[k] for x in summaries]) for k in summaries[0]}})
    if start is not None:
        for table in (dyads, open_channels, level_changes):
            _insert_periods(table, 3, start, unit)
    return {"dyads": dyads, "open_channels": open_channels, "level_changes": level_changes,
            "spells": spells, "events": events, "summary": summary, "talks": talks}


def _open_table_batch(batch: Batch, n: int, labels: np.ndarray,
                      head: Callable[[Any], dict[str, Any]]) -> pd.DataFrame:
    """:func:`_open_table` of every replication of a batch, stacked."""
    c = batch.scenario.compiled
    reps, nd = batch.reps, len(labels)
    counts = batch.recorder.open[:n].reshape(n, reps, nd, -1)
    kinds = list(c.kinds.names)
    tracks = sorted(set(c.kinds.track), key=lambda t: (len(t), t))
    by_track = np.stack(
        [counts[..., [k for k, tr in enumerate(c.kinds.track) if tr == t]].sum(axis=3)
         for t in tracks], axis=3) if tracks else np.zeros((n, reps, nd, 0), np.int64)
    blocks: list[dict[str, np.ndarray]] = []
    for by, groups, arr in (("track", tracks, by_track), ("kind", kinds, counts)):
        g = len(groups)
        if g == 0:
            continue
        blocks.append({
            "step": np.repeat(np.arange(n), nd * g),
            "dyad": np.tile(np.repeat(labels, g), n),
            "by": np.full(n * nd * g, by, dtype=object),
            "group": np.tile(np.array(groups, dtype=object), n * nd),
            "open_channels": arr.transpose(1, 0, 2, 3).reshape(reps, -1),
        })
    if not blocks:
        return pd.DataFrame({**head(0), **{k: [] for k in
                                           ("step", "dyad", "by", "group", "open_channels")}})
    per = sum(len(b["step"]) for b in blocks)
    columns: dict[str, np.ndarray] = {}
    for name in ("step", "dyad", "by", "group"):
        one = np.concatenate([b[name] for b in blocks])  # one replication's rows
        columns[name] = np.tile(one, reps)
    columns["open_channels"] = np.concatenate([b["open_channels"] for b in blocks],
                                              axis=1).ravel()
    return pd.DataFrame({**head(per), **columns})


def _changes_batch(batch: Batch, views: Sequence[Recorded],
                   head: Callable[[Any], dict[str, Any]]) -> pd.DataFrame:
    """The ``level_changes`` of every replication of a batch, stacked: each replication's
    initial levels at step 0, then its changes."""
    ids = np.array(batch.scenario.compiled.channel_ids, dtype=object)
    steps, channels, levels, counts = [], [], [], []
    unchanged = False  # a replication with no change at all (its channel column is object)
    for view in views:
        rec = view.recorder
        step = np.concatenate(rec.change_step) if rec.change_step else np.zeros(0, np.int64)
        later = step > 0
        channel = (np.concatenate(rec.change_channel).astype(np.int64) if rec.change_channel
                   else np.zeros(0, np.int64))[later]
        level = (np.concatenate(rec.change_level) if rec.change_level
                 else np.zeros(0, np.int64))[later]
        level0 = view.diplomacy_scenario.compiled.level0
        unchanged |= step.size == 0
        steps += [np.zeros(ids.size, dtype=np.int64), step[later]]
        channels += [ids, ids[channel]]
        levels += [level0, level]
        counts.append(ids.size + int(later.sum()))
    channel_ids = np.concatenate(channels)
    return pd.DataFrame({**head(np.array(counts)), "step": np.concatenate(steps),
                         "channel": (pd.Series(channel_ids, dtype=object) if unchanged
                                     else channel_ids),
                         "level": np.concatenate(levels).astype(np.int64)})


def collect(model: Recorded, seed: Any = None) -> RunResult:
    """Build the result tables from a model that has run."""
    c = model.diplomacy_scenario.compiled
    rec = model.recorder
    n = rec.n
    steps = np.arange(n)
    nd = len(c.dyad_labels)
    labels = np.array(c.dyad_labels, dtype=object)
    sa = np.array(c.state_ids, dtype=object)[c.dyad_a]
    sb = np.array(c.state_ids, dtype=object)[c.dyad_b]
    connected, redundancy = dyad_metrics(model)
    dyads = pd.DataFrame({
        "step": np.repeat(steps, nd),
        "dyad": np.tile(labels, n),
        "state_a": np.tile(sa, n),
        "state_b": np.tile(sb, n),
        "tension": rec.tension[:n].ravel(),
        "misperception": rec.misperception[:n].ravel(),
        "participant_misperception": rec.participant_misperception[:n].ravel(),
        "communication": rec.flow[:n].ravel(),
        "mission_closed": rec.mission_closed[:n].ravel().astype(np.int64),
        "connected": connected.ravel(),
        "redundancy": redundancy.ravel(),
    })
    open_channels = _open_table(model, n, labels)
    changes = pd.DataFrame({
        "step": np.concatenate(rec.change_step) if rec.change_step else np.zeros(0, np.int64),
        "channel": np.array(c.channel_ids, dtype=object)[
            np.concatenate(rec.change_channel).astype(np.int64)] if rec.change_channel
        else np.zeros(0, dtype=object),
        "level": np.concatenate(rec.change_level) if rec.change_level else np.zeros(0, np.int64),
    })
    # Step 0 rows hold every channel's initial level.
    init = pd.DataFrame({"step": 0, "channel": np.array(c.channel_ids, dtype=object),
                         "level": c.level0})
    changes = pd.concat([init, changes[changes.step > 0]], ignore_index=True)
    spells = pd.DataFrame(_spell_rows(model, n, _first_closure(rec.mission_closed[:n])),
                          columns=SPELL_COLUMNS)
    summary, talks = summarize(model)
    spec = model.diplomacy_scenario.spec
    events = _events_frame(rec.log, spec.start, spec.time_unit)
    if spec.start is not None:  # each row names the period its step covers
        for table in (dyads, open_channels, changes):
            _insert_periods(table, 1, spec.start, spec.time_unit)
    return RunResult(
        scenario_name=model.diplomacy_scenario.name,
        time_unit=spec.time_unit,
        start=spec.start,
        steps=n - 1,
        seed=seed,
        dyads=dyads,
        open_channels=open_channels,
        level_changes=changes,
        spells=spells,
        events=events,
        summary=summary,
        talks=talks,
        channels=channel_table(model.diplomacy_scenario),
        actors=actor_table(model.diplomacy_scenario),
    )


EVENT_COLUMNS = ["step", "type", "label", "target", "channels_affected", "detail"]


def _insert_periods(table: pd.DataFrame, at: int, start: dt.date, unit: str) -> None:
    """The ``date`` and ``period`` of each row's step, as columns ``at`` and ``at + 1``."""
    first_day, label = periods_of(table["step"].to_numpy(), start, unit)
    table.insert(at, "date", first_day)
    table.insert(at + 1, "period", label)


def _events_frame(log: Sequence[LogEntry], start: dt.date | None, unit: str) -> pd.DataFrame:
    """The ``events`` table of log entries (of one run, or of several in turn); on a calendar
    with their periods (after ``step``), a dated event keeping its own date."""
    events = pd.DataFrame([vars(e) for e in log], columns=EVENT_COLUMNS)
    if start is None:
        return events
    _insert_periods(events, 1, start, unit)
    own = np.array([e.when or np.datetime64("NaT", "D") for e in log], dtype="datetime64[D]")
    dated = ~np.isnat(own)
    if dated.any():  # a dated event keeps its own date
        events["date"] = np.where(dated, own, events["date"].to_numpy(dtype="datetime64[D]"))
    return events


def _open_table(model: Recorded, n: int, labels: np.ndarray) -> pd.DataFrame:
    c = model.diplomacy_scenario.compiled
    counts = model.recorder.open[:n]  # (n, dyads, kinds)
    kinds = list(c.kinds.names)
    tracks = sorted(set(c.kinds.track), key=lambda t: (len(t), t))
    by_track = np.stack(
        [counts[:, :, [k for k, tr in enumerate(c.kinds.track) if tr == t]].sum(axis=2)
         for t in tracks], axis=2) if tracks else np.zeros((n, len(labels), 0), np.int64)
    frames = []
    for by, groups, arr in (("track", tracks, by_track), ("kind", kinds, counts)):
        g = len(groups)
        if g == 0:
            continue
        nd = len(labels)
        frames.append(pd.DataFrame({
            "step": np.repeat(np.arange(n), nd * g),
            "dyad": np.tile(np.repeat(labels, g), n),
            "by": by,
            "group": np.tile(np.array(groups, dtype=object), n * nd),
            "open_channels": arr.reshape(-1),
        }))
    if not frames:
        return pd.DataFrame(columns=["step", "dyad", "by", "group", "open_channels"])
    return pd.concat(frames, ignore_index=True)


def dyad_metrics(model: Recorded) -> tuple[np.ndarray, np.ndarray]:
    """``connected`` and ``redundancy`` per step and dyad (NaN for untracked dyads)."""
    c = model.diplomacy_scenario.compiled
    rec = model.recorder
    shape = (rec.n, len(c.dyad_labels))
    connected = np.full(shape, np.nan)
    redundancy = np.full(shape, np.nan)
    connected[:, c.tracked_dyads] = rec.connected[:rec.n]
    redundancy[:, c.tracked_dyads] = rec.redundancy[:rec.n]
    return connected, redundancy


def summarize(model: Recorded) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-dyad ``summary`` and the ``talks`` table of a model that has run (call once)."""
    n = model.recorder.n
    connected, redundancy = dyad_metrics(model)
    records = model.talks.finish_run(n - 1) if model.talks is not None else []
    summary = pd.DataFrame(_summary_columns(
        model, n, connected, redundancy, _first_closure(model.recorder.mission_closed[:n]),
        records))
    return summary, pd.DataFrame(records, columns=TALKS_COLUMNS)


def _first_closure(mission_closed: np.ndarray) -> np.ndarray:
    has = mission_closed.any(axis=0)
    first = mission_closed.argmax(axis=0).astype(float)
    first[~has] = np.nan
    return first


SPELL_COLUMNS = [
    "channel", "kind", "track", "dyad", "spell", "opened", "closed", "censored", "duration",
    "levels", "first_closure", "opened_since_closure", "closed_since_closure", "open_at_closure"]


def _spell_rows(model: Recorded, n: int, first_closure: np.ndarray) -> list[dict[str, Any]]:
    c = model.diplomacy_scenario.compiled
    rec = model.recorder
    final_step = n - 1
    order_step = np.concatenate(rec.change_step) if rec.change_step else np.zeros(0, np.int64)
    order_chan = (np.concatenate(rec.change_channel) if rec.change_channel
                  else np.zeros(0, np.int64))
    order_level = np.concatenate(rec.change_level) if rec.change_level else np.zeros(0, np.int64)
    sort = np.lexsort((order_step, order_chan))
    changes_by_channel: dict[int, list[tuple[int, int]]] = {}
    for s, ch, lv in zip(order_step[sort], order_chan[sort], order_level[sort], strict=True):
        changes_by_channel.setdefault(int(ch), []).append((int(s), int(lv)))
    rows: list[dict[str, Any]] = []
    for ch in range(c.n_channels):
        history = [(0, int(c.level0[ch])), *changes_by_channel.get(ch, [])]
        d = int(c.channel_dyad[ch])
        fc = float(first_closure[d])
        for number, (opened, end, levels) in enumerate(channel_spells(history), start=1):
            rows.append({
                "channel": c.channel_ids[ch],
                "kind": c.kinds.names[c.channel_kind[ch]],
                "track": c.kinds.track[c.channel_kind[ch]],
                "dyad": c.dyad_labels[d],
                "spell": number,
                "opened": opened,
                "closed": np.nan if end is None else end,
                "censored": end is None,
                "duration": (final_step if end is None else end) - opened,
                "levels": ">".join(str(v) for v in levels),
                "first_closure": fc,
                "opened_since_closure": opened - fc,
                "closed_since_closure": np.nan if end is None else end - fc,
                "open_at_closure": bool(
                    not np.isnan(fc) and opened <= fc and (end is None or end > fc)),
            })
    return rows


def channel_spells(history: list[tuple[int, int]]) -> list[tuple[int, int | None, list[int]]]:
    """Spells (opened, closed or None if still open, levels held) from (step, level) changes."""
    spells: list[tuple[int, int | None, list[int]]] = []
    opened: int | None = None
    levels: list[int] = []
    for step, level in history:
        if level > 0:
            if opened is None:
                opened, levels = step, [level]
            elif levels[-1] != level:
                levels.append(level)
        elif opened is not None:
            spells.append((opened, step, levels))
            opened = None
    if opened is not None:
        spells.append((opened, None, levels))
    return spells


def closure_metrics(model: Recorded, n: int, connected: np.ndarray, redundancy: np.ndarray,
                    first_closure: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per dyad: steps with missions closed, continuity and mean redundancy during closure (NaN
    for untracked dyads and dyads never closed), and the step missions reopened after the first
    closure (NaN if never). Shared by the summary table and sweep outcomes."""
    c = model.diplomacy_scenario.compiled
    closed = model.recorder.mission_closed[:n].astype(bool)
    closure_steps = closed.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        continuity = np.where(closure_steps > 0,
                              np.nansum(np.where(closed, connected, 0.0), axis=0)
                              / np.maximum(closure_steps, 1), np.nan)
        red_closure = np.where(closure_steps > 0,
                               np.nansum(np.where(closed, redundancy, 0.0), axis=0)
                               / np.maximum(closure_steps, 1), np.nan)
    untracked = np.ones(len(c.dyad_labels), dtype=bool)
    untracked[c.tracked_dyads] = False
    continuity[untracked] = np.nan
    red_closure[untracked] = np.nan
    reopened = np.full(len(c.dyad_labels), np.nan)
    for d in np.flatnonzero(~np.isnan(first_closure)):
        after = np.flatnonzero(~closed[int(first_closure[d]):, d])
        if after.size:
            reopened[d] = first_closure[d] + after[0]
    return closure_steps, continuity, red_closure, reopened


def _summary_columns(model: Recorded, n: int, connected: np.ndarray, redundancy: np.ndarray,
                     first_closure: np.ndarray,
                     records: Sequence[dict[str, Any]] | None = None) -> dict[str, np.ndarray]:
    """The summary's columns; with the run's talks ``records``, its negotiation columns too."""
    c = model.diplomacy_scenario.compiled
    rec = model.recorder
    tension = rec.tension[:n]
    closure_steps, continuity, red_closure, reopened = closure_metrics(
        model, n, connected, redundancy, first_closure)
    valid = ~np.isnan(redundancy)
    counts = valid.sum(axis=0)
    mean_redundancy = np.where(
        counts > 0, np.where(valid, redundancy, 0.0).sum(axis=0) / np.maximum(counts, 1), np.nan)
    state_ids = np.array(c.state_ids, dtype=object)
    out: dict[str, np.ndarray] = {
        "dyad": np.array(c.dyad_labels, dtype=object),
        "state_a": state_ids[c.dyad_a],
        "state_b": state_ids[c.dyad_b],
        "first_mission_closure": first_closure,
        "mission_reopened": reopened,
        "closure_steps": closure_steps.astype(np.int64),
        "continuity_during_closure": continuity,
        "mean_redundancy": mean_redundancy,
        "mean_redundancy_during_closure": red_closure,
        "final_tension": tension[-1],
        "peak_tension": tension.max(axis=0),
        "peak_step": tension.argmax(axis=0).astype(np.int64),
    }
    final_open = rec.open[n - 1]
    for k, name in enumerate(c.kinds.names):
        out[f"open_at_end_{name}"] = final_open[:, k]
    if records is not None:
        out.update(talks_columns(c.dyad_labels, records))
    return out


def talks_columns(dyads: Sequence[str], records: Sequence[dict[str, Any]]
                  ) -> dict[str, np.ndarray]:
    """The summary's negotiation columns for ``dyads`` from a run's talks records."""
    index = {d: i for i, d in enumerate(dyads)}
    held = np.zeros(len(dyads), dtype=np.int64)
    agreements = np.zeros(len(dyads), dtype=np.int64)
    first = np.full(len(dyads), np.nan)
    breakdowns = np.zeros(len(dyads), dtype=np.int64)
    for rec in records:
        i = index.get(rec["dyad"])
        if i is None:
            continue
        held[i] += 1
        if rec["agreed"]:
            agreements[i] += 1
            first[i] = min(first[i], rec["ended"]) if agreements[i] > 1 else rec["ended"]
        breakdowns[i] += not pd.isna(rec["broke_down"])
    return {"talks": held, "agreements": agreements, "first_agreement": first,
            "agreement_breakdowns": breakdowns}


def channel_table(scenario: Scenario) -> pd.DataFrame:
    c = scenario.compiled
    ids = np.array(c.actor_ids, dtype=object)
    return pd.DataFrame({
        "channel": list(c.channel_ids),
        "kind": [c.kinds.names[k] for k in c.channel_kind],
        "track": [c.kinds.track[k] for k in c.channel_kind],
        "dyad": [c.dyad_labels[d] for d in c.channel_dyad],
        "actor_a": ids[c.channel_a] if c.n_channels else [],
        "actor_b": ids[c.channel_b] if c.n_channels else [],
        "via": [c.actor_ids[v] if v >= 0 else None for v in c.channel_via],
        "initial_level": c.level0,
        "top_level": c.kinds.top[c.channel_kind] if c.n_channels else [],
        "mission": c.kinds.mission[c.channel_kind] if c.n_channels else [],
    })


def actor_table(scenario: Scenario) -> pd.DataFrame:
    c = scenario.compiled
    govs = pd.DataFrame({
        "actor": [f"{s}.government" for s in c.state_ids],
        "state": list(c.state_ids),
        "kind": "government",
        "tracks": "1",
        "access": 1.0,
        "government": True,
    })
    actors = pd.DataFrame({
        "actor": list(c.actor_ids),
        "state": [c.state_ids[s] if s >= 0 else None for s in c.actor_state],
        "kind": list(c.actor_kind),
        "tracks": [",".join(t) for t in c.actor_tracks],
        "access": c.actor_access,
        "government": False,
    })
    return pd.concat([govs, actors], ignore_index=True)
