"""Event plug-ins acting on channels and talks (diplosim.plugins.World), and what a strategy
plug-in reads of the run (diplosim.negotiation.View): the example package's ``refuse_talks`` blocks
a dyad's talks until it is lifted, in single runs and batches alike; an event's channel levels
and ceilings move as the built-in events move them; a state's event reaches the state's dyads;
a strategy sees the step, the date and the dyad's tension."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from tests.plugin_packages import SPOILERS, example_entry_points, example_plugins, registered
from tests.test_batch import replications_equal_single_runs

from diplosim.io.errors import InputError
from diplosim.results import replication_seeds
from diplosim.results.tables import simulate
from diplosim.scenario import scenario_from_text

__all__ = ["example_plugins"]  # the fixture, used by name

NEW_LEADER = ('  - {at: 2002-01-01, type: new_leader, state: east, label: "new leader in the '
              'east", params: {shift: -0.3}}\n')
DRAWN, LIFTED = 4, 37  # the red line's steps (April 2001, January 2004)
RED_LINE = (f"{NEW_LEADER}"
            "  - {at: 2001-04-01, type: refuse_talks, state: west, params: {tension: 0.05}}\n"
            "  - {at: 2004-01-01, type: refuse_talks, state: west, params: {lift: true}}\n")


def spoilers_with(events: str) -> str:
    text = SPOILERS.read_text()
    assert NEW_LEADER in text
    return text.replace(NEW_LEADER, events)


def test_a_refusal_blocks_the_talks_until_it_is_lifted_in_every_replication(
        example_plugins: None) -> None:
    seeds = replication_seeds(11, 6)
    free = scenario_from_text(spoilers_with(NEW_LEADER), "spoilers.yaml")
    window = range(DRAWN, LIFTED)
    # without the red line, talks agree inside its window
    agreed_free = [simulate(free, rng=s).talks.query("agreed") for s in seeds]
    assert all(t["ended"].isin(window).any() for t in agreed_free)
    blocked = scenario_from_text(spoilers_with(RED_LINE), "refuse_talks.yaml")
    assert [p["name"] for p in blocked.plugins] == ["spoilers", "new_leader", "refuse_talks",
                                                    "stepwise"]
    # a batch of the six replications: each equals its single run, table by table
    tables = replications_equal_single_runs(blocked, seeds, "refuse_talks")
    for r, got in enumerate(tables):
        talks = got.talks
        assert not talks["opened"].isin(window).any(), (r, talks)
        assert not talks.query("agreed")["ended"].isin(window).any(), (r, talks)
        assert (talks.query("agreed")["ended"] >= LIFTED).any(), (r, talks)  # after release
        log = got.events.query("type == 'refuse_talks'")
        assert log["step"].tolist() == [DRAWN, LIFTED]
        assert log["target"].tolist() == ["west", "west"]
        assert log["detail"].iloc[0] == "red line drawn: talks blocked (1 dyad(s)), tension +0.05"


def test_talks_under_way_when_talks_are_refused_end_blocked(example_plugins: None) -> None:
    seeds = replication_seeds(11, 4)
    free = scenario_from_text(spoilers_with(NEW_LEADER), "spoilers.yaml")
    first = simulate(free, rng=seeds[0]).talks.iloc[0]
    at = int(first["opened"]) + 2  # the talks are under way then in this replication
    assert at < first["ended"]
    text = spoilers_with(NEW_LEADER + f"  - {{at: {at}, type: refuse_talks, state: east}}\n")
    never_lifted = scenario_from_text(text, "refuse_talks.yaml")
    tables = replications_equal_single_runs(never_lifted, seeds, "blocked")
    talks = tables[0].talks
    assert len(talks) == 1  # none open again while blocked
    row = talks.iloc[0]
    assert (row["opened"], row["ended"], row["outcome"], row["agreed"]) == (
        first["opened"], at, "blocked", False)
    failed = tables[0].events.query("type == 'talks_failed'")
    assert failed[["step", "detail"]].values.tolist() == [[at, "blocked"]]
    for got in tables:  # blocked and never released: no talks open after the red line
        assert not (got.talks["opened"] >= at).any()


CHANNEL_EVENTS = '''
from typing import ClassVar

import numpy as np

from pydantic import Field

from diplosim.plugins import Event, Parameters


class LevelParameters(Parameters):
    level: int = Field(ge=0)


class Ceiling(Event):
    """The built-in set_ceiling, as a plug-in."""

    Parameters: ClassVar[type[Parameters]] = LevelParameters
    needs = ("channels",)

    def apply(self, world, target, values):
        world.set_ceiling(target.channels, values.level)
        return f"ceiling -> {values.level}"


class Level(Event):
    """The built-in set_level, as a plug-in."""

    Parameters: ClassVar[type[Parameters]] = LevelParameters
    needs = ("channels",)

    def apply(self, world, target, values):
        world.set_level(target.channels, values.level)
        return f"level -> {values.level}"


class Reach(Event):
    """Names the dyads it reaches and checks the World's layout."""

    def apply(self, world, target, values):
        assert world.tension.shape == world.misperception.shape == world.talks_blocked.shape
        assert world.hawkishness.shape == world.audience_cost.shape
        assert world.channel_level.shape == world.channel_ceiling.shape == world.channel_dyad.shape
        return f"dyads {target.dyads.tolist()}, channels {target.channels.tolist()}"


class Writes(Event):
    def apply(self, world, target, values):
        world.channel_level[:] = 0
        return ""


class OutOfRange(Event):
    def apply(self, world, target, values):
        world.set_level(np.array([world.channel_level.size]), 0)
        return ""
'''
POINTS = {"diplosim.events": {"ceiling": "channel_events:Ceiling", "level": "channel_events:Level",
                              "reach": "channel_events:Reach", "writes": "channel_events:Writes",
                              "out_of_range": "channel_events:OutOfRange"}}


@pytest.fixture
def channel_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "channel_events.py").write_text(CHANNEL_EVENTS)
    points = example_entry_points()
    points["diplosim.events"] = {**points["diplosim.events"], **POINTS["diplosim.events"]}
    with registered(tmp_path / "site", monkeypatch, "channel-events", "0.1", points,
                    tmp_path / "src"):
        monkeypatch.syspath_prepend(str(SPOILERS.parents[1] / "src"))
        yield
    sys.modules.pop("channel_events", None)


def test_an_events_channel_levels_and_ceilings_move_as_the_builtin_events_move_them(
        channel_events: None) -> None:
    events = ("  - {at: 8, type: %s, channels: {kind: workshop}, %s}\n"
              "  - {at: 20, type: %s, channels: {kind: backchannel}, %s}\n"
              "  - {at: 30, type: %s, channels: {kind: backchannel}, %s}\n")
    builtin = events % ("set_ceiling", "level: 0", "set_ceiling", "level: 0",
                        "set_ceiling", "level: 1")
    plugin = events % ("ceiling", "params: {level: 0}", "ceiling", "params: {level: 0}",
                       "ceiling", "params: {level: 1}")
    builtin += "  - {at: 31, type: set_level, channels: {kind: backchannel}, level: 1}\n"
    plugin += "  - {at: 31, type: level, channels: {kind: backchannel}, params: {level: 1}}\n"
    one = scenario_from_text(spoilers_with(NEW_LEADER + builtin), "builtin.yaml")
    two = scenario_from_text(spoilers_with(NEW_LEADER + plugin), "plugin.yaml")
    seeds = replication_seeds(5, 3)
    tables = replications_equal_single_runs(two, seeds, "channel events")
    for seed, got in zip(seeds, tables, strict=True):
        want = simulate(one, rng=seed)
        for name in ("dyads", "talks", "level_changes", "summary"):
            pd.testing.assert_frame_equal(getattr(want, name), getattr(got, name),
                                          check_exact=True, obj=name)
        columns = ["step", "target", "channels_affected", "detail"]
        pd.testing.assert_frame_equal(want.events[columns], got.events[columns])
        assert got.events.query("step == 20")["channels_affected"].tolist() == [1]


def test_a_states_event_reaches_its_dyads_in_the_scenarios_numbering(
        channel_events: None) -> None:
    text = ("name: three\nsteps: 4\nstates: [{id: a}, {id: b}, {id: c}]\n"
            "actors:\n  generate:\n    - {states: all, kind: envoy, tracks: ['1'], count: 1}\n"
            "channels:\n  embassy:\n    track: '1'\n    generate:\n"
            "      - {dyads: all, from: {kind: envoy}, to: {kind: envoy}, count: 1}\n"
            "events:\n  - {at: 2, type: reach, state: c}\n"
            "  - {at: 3, type: reach, dyad: [a, c], channels: {dyad: [b, c]}}\n")
    sc = scenario_from_text(text, "three.yaml")
    assert sc.compiled.dyad_labels == ("a-b", "a-c", "b-c")
    tables = replications_equal_single_runs(sc, replication_seeds(2, 3), "reach")
    for got in tables:  # every replication sees its own numbering, as a single run does
        assert got.events["detail"].tolist() == ["dyads [1, 2], channels []",
                                                 "dyads [1], channels [2]"]


@pytest.mark.parametrize(("event", "expected"), [
    ("writes", "failed: ValueError: assignment destination is read-only"),
    ("out_of_range", "failed: ValueError: no channel 4: the scenario has 4 channels (0 to 3)"),
])
def test_an_event_moves_channels_only_through_its_world(channel_events: None, event: str,
                                                        expected: str) -> None:
    sc = scenario_from_text(spoilers_with(NEW_LEADER + f"  - {{at: 3, type: {event}}}\n"),
                            "bad.yaml")
    with pytest.raises(InputError, match=f"the event type '{event}' .channel-events 0.1. "
                       + expected.replace("(", r"\(").replace(")", r"\)")):
        simulate(sc, rng=1)


VIEW_PROBE = '''
from dataclasses import dataclass
from typing import ClassVar

from diplosim.negotiation import Strategy, TimeDependent

SEEN = []


@dataclass(frozen=True)
class Probe(Strategy):
    """Linear concession that notes what its View says of the run."""

    name: ClassVar[str] = "probe"

    def propose(self, view, rng):
        SEEN.append((view.round, view.step, view.date, view.tension))
        return TimeDependent().propose(view, rng)

    def respond(self, view, offer):
        return TimeDependent().respond(view, offer)
'''


def test_a_strategys_view_gives_the_step_the_date_and_the_dyads_tension(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from diplosim.negotiation import parse_session, run_session

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "view_probe.py").write_text(VIEW_PROBE)
    points = {**example_entry_points(), "diplosim.strategies": {
        **example_entry_points()["diplosim.strategies"], "probe": "view_probe:Probe"}}
    with registered(tmp_path / "site", monkeypatch, "view-probe", "0.1", points,
                    tmp_path / "src"):
        monkeypatch.syspath_prepend(str(SPOILERS.parents[1] / "src"))
        text = SPOILERS.read_text().replace("strategy: {kind: linear}", "strategy: {kind: probe}")
        sc = scenario_from_text(text, "probe.yaml")
        seen = sys.modules["view_probe"].SEEN
        tables = simulate(sc, rng=3)
        talks = tables.talks.iloc[0]
        steps = [s for _, s, _, _ in seen]
        assert len(set(steps)) > 1  # the talks' steps, one or more rounds each
        assert steps == sorted(steps)
        assert set(steps) <= set(range(int(talks["opened"]), int(talks["ended"]) + 1))
        dyads = tables.dyads.set_index("step")
        for _, step, date, tension in seen:
            assert date == dt.date(2001 + (step - 1) // 12, (step - 1) % 12 + 1, 1)  # its period
            if step < talks["ended"]:  # the tension the step ends with, before the outcome
                assert tension == dyads.loc[step, "tension"]
            assert 0.0 <= tension <= 1.0
        seen.clear()
        session = ("protocol: alternating_offers\ndeadline: 6\nissues: [{name: x}]\nparties:\n"
                   "  - {name: a, weights: {x: 1}, ideal: {x: 1.0}, strategy: {kind: probe}}\n"
                   "  - {name: b, weights: {x: 1}, ideal: {x: 0.0}, strategy: {kind: linear}}\n")
        run_session(parse_session(session, "s.yaml"))
        assert seen
        assert {(s, d, t) for _, s, d, t in seen} == {(None, None, None)}  # outside a scenario
        seen.clear()
    sys.modules.pop("view_probe", None)
