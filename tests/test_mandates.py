"""Channel mandates (docs/model.md 3.5): an official channel carries the talks on the settlement
only if its mandate includes settlement; a dated widen_mandate event adds to it."""

from __future__ import annotations

import pytest
from tests.test_batch import replications_equal_single_runs

from diplosim.io.errors import InputError
from diplosim.results import replication_seeds
from diplosim.results.tables import simulate
from diplosim.scenario import scenario_from_text

BASE = """\
name: mandates
time_unit: month
steps: 36
states: [{id: A}, {id: B}]
actors:
  list:
    - {id: a, state: A, kind: envoy, tracks: ["1"], access: 0.9}
    - {id: b, state: B, kind: envoy, tracks: ["1"], access: 0.9}
channels:
  line:
    track: "1"
    close_threshold: 0.99
    reopen_threshold: 0.5
{mandate}    links: [{id: line, between: [a, b]}]
tension: {initial: 0.7, baseline: 0.7, drift: 0.0, escalation: 0.0, deescalation: 0.0}
events: {events}
negotiation:
  dyad: [A, B]
  session:
    protocol: alternating_offers
    deadline: 10
    issues: [{name: x}]
    parties:
      - {name: A, weights: {x: 1}, ideal: {x: 1.0}, strategy: {kind: linear}}
      - {name: B, weights: {x: 1}, ideal: {x: 0.0}, strategy: {kind: linear}}
  ripeness: {hurting: 0.6, window: 3, band: 0.1, way_out: 0.9}
  cooldown: 2
"""

WIDEN = "[{at: 20, type: widen_mandate, channels: {ids: [line]}, matters: [settlement], " \
    "label: talks authorised}]"


def scenario(mandate: str | None, events: str = "[]"):  # type: ignore[no-untyped-def]
    line = f"    mandate: {mandate}\n" if mandate is not None else ""
    return scenario_from_text(BASE.replace("{mandate}", line).replace("{events}", events),
                              "mandates.yaml")


def opened(sc) -> list[int]:  # type: ignore[no-untyped-def]
    return simulate(sc, rng=1).talks["opened"].tolist()


def test_a_channel_carries_the_settlement_only_if_its_mandate_says_so() -> None:
    """Ripe from step 3 on: with no mandate (everything) or one including settlement the talks
    open at step 3; a technical channel carries none until its mandate widens at step 20."""
    assert opened(scenario(None))[0] == 3
    assert opened(scenario("[technical, settlement]"))[0] == 3
    assert opened(scenario("[technical]")) == []
    widened = scenario("[technical]", WIDEN)
    assert opened(widened)[0] == 20
    log = simulate(widened, rng=1).events
    row = log[log["type"] == "widen_mandate"].iloc[0]
    assert row["step"] == 20
    assert row["detail"] == "mandate + settlement"


def test_an_unofficial_channels_mandate_changes_nothing() -> None:
    text = BASE.replace("{mandate}", "").replace("{events}", "[]")
    text = text.replace("    links: [{id: line, between: [a, b]}]\n",
                        "    links: [{id: line, between: [a, b]}]\n"
                        "  workshop:\n    track: \"2\"\n    mandate: [dialogue]\n"
                        "    links: [{id: w, between: [a, b]}]\n")
    assert opened(scenario_from_text(text, "m.yaml"))[0] == 3


def test_mandates_in_a_batch_equal_single_runs() -> None:
    replications_equal_single_runs(scenario("[technical]", WIDEN), replication_seeds(3, 2),
                                   "mandates")


@pytest.mark.parametrize(("events", "words"), [
    ("[{at: 5, type: widen_mandate, channels: {ids: [line]}}]",
     "a widen_mandate event needs matters"),
    ("[{at: 5, type: widen_mandate, matters: [settlement]}]",
     "a widen_mandate event needs channels"),
])
def test_a_widen_mandate_event_needs_its_fields(events: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        scenario("[technical]", events)
