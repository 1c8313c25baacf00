"""Shared scenario builders for the core tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every tension term off except the drift (``{drift}``): tension moves only by drift and shocks.
QUIET = """\
  drift: {drift}
  escalation: 0.0
  deescalation: 0.0
  noise: 0.0
  audience_cost_weight: 0.0
  misperception: {{initial: 0.2, growth: 0.0, learning: 0.0}}
"""


def two_state_text(tension: str, events: str = "", steps: int = 20) -> str:
    """Two states, one embassy (closes above 0.8, reopens below 0.5), the given tension block."""
    return f"""\
name: unit
steps: {steps}
states: [{{id: A}}, {{id: B}}]
actors:
  list:
    - {{id: a_dip, state: A, kind: diplomat, tracks: ["1"], access: 1.0}}
    - {{id: b_dip, state: B, kind: diplomat, tracks: ["1"], access: 1.0}}
channels:
  embassy:
    track: "1"
    mission: true
    ladder: [closed, embassy]
    close_threshold: 0.8
    reopen_threshold: 0.5
    links: [{{id: emb, between: [a_dip, b_dip]}}]
tension:
{tension}events:
{events or "  []"}
"""


@pytest.fixture
def two_state() -> Callable[..., str]:
    return two_state_text


@pytest.fixture
def quiet() -> str:
    return QUIET
